/** The outputs every single link resource has; listed so the SDK class exposes them. */
export const linkOutputProperties = {
  name: undefined,
  namespace: undefined,
  addresses: undefined,
  mtu: undefined,
  macAddress: undefined,
  up: undefined,
  master: undefined,
  ifindex: undefined,
  operstate: undefined,
};
