export { Bridge, type BridgeArgs } from "./bridge";
export { Macvlan, type MacvlanArgs } from "./macvlan";
export { Macvtap, type MacvtapArgs } from "./macvtap";
export { Namespace, type NamespaceArgs } from "./namespace";
export { Probe, type ProbeArgs } from "./probe";
export { Route, type RouteArgs } from "./route";
export { TapDevice, type TapDeviceArgs } from "./tapDevice";
export { VethPair, type VethPairArgs } from "./vethPair";
export type { LinkOutputs } from "../provider/link";
