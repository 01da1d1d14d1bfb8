// Two machines, A and B, reached over SSH from wherever `pulumi up` runs. On each, a bridge in the
// machine's own namespace with two hosts (namespaces) cabled to it, and a VXLAN device that
// tunnels the bridge's frames over the machines' own network to the other machine: the four
// hosts share one LAN, 10.201.0.0/24, across the two machines.
import * as pulumi from "@pulumi/pulumi";
import * as netns from "pulumi-netns";

const config = new pulumi.Config();
// Prefixed names let several copies run side by side on one pair of machines (the tests use this).
const prefix = config.get("prefix") ?? "";
const vni = config.getNumber("vni") ?? 4242;
// VXLAN over IPv4 costs 50 bytes of the underlay's 1500; a bridge drops what is too big.
const mtu = config.getNumber("mtu") ?? 1450;
// The key that logs in to both machines, a secret (encrypted in state); unset: the SSH agent.
const privateKey = config.getSecret("privateKey");

const machines = (["a", "b"] as const).map((m) => ({
  m,
  host: {
    address: config.require(`${m}Address`),
    port: config.getNumber(`${m}Port`) ?? 22,
    user: config.get("user") ?? "root",
    // The machine's public host key, compared out of band (`ssh-keyscan` on a trusted network).
    hostKey: config.require(`${m}HostKey`),
    ...(privateKey ? { privateKey } : {}),
  },
  // The machine's address on the network the machines share, and the device that carries it.
  underlay: config.require(`${m}Underlay`),
  underlayDev: config.get(`${m}UnderlayDev`) ?? "eth0",
}));

const sites = machines.map(({ m, host, underlay, underlayDev }, i) => {
  const other = machines[1 - i]!;
  const br = new netns.Bridge(`${m}-br`, { name: `${prefix}br`, host, mtu });
  const vxlan = new netns.Vxlan(`${m}-vxlan`, {
    name: `${prefix}vx`,
    vni,
    local: underlay,
    remote: other.underlay,
    dev: underlayDev,
    master: br.name,
    mtu,
    host,
  });
  const hosts = [1, 2].map((n) => {
    const name = `${m}${n}`;
    const address = `10.201.0.${i * 2 + n}`;
    const namespace = new netns.Namespace(name, { name: `${prefix}${name}`, host });
    const cable = new netns.VethPair(`${name}-cable`, {
      a: { name: "eth0", namespace: namespace.name, addresses: [`${address}/24`] },
      b: { name: `${prefix}${name}`, master: br.name },
      mtu,
      host,
    });
    return { name, address, namespace, cable };
  });
  return { m, br, vxlan, hosts };
});

/** Where each machine's bridge lives (no key material: `machine` is never secret). */
export const where = Object.fromEntries(sites.map((s) => [s.m, s.br.machine]));
/** Each host's namespace and address, and the machine it is on. */
export const hosts = Object.fromEntries(
  sites.flatMap((s) =>
    s.hosts.map((h) => [h.name, { machine: s.m, namespace: h.namespace.name, address: h.address }]),
  ),
);
export const tunnels = sites.map((s) => ({ machine: s.m, vni: s.vxlan.vni, ifindex: s.vxlan.ifindex }));
