// The implementation the SDK's serialized providers load by package name
// (`require("pulumi-netns/provider")`), one dynamic provider per resource kind.
export { kinds, providers, type LinkKernelKind, type ProviderKind, type ResourceKind } from "./kinds";

export type { BridgeOutputs } from "./bridge";
export type { LinkOutputs } from "./link";
export type { NamespaceOutputs } from "./namespace";
export type { RouteOutputs } from "./route";
export type { StackInstanceOutputs } from "./stackInstance";
export type { TapDeviceOutputs } from "./tapDevice";
export type { VethEndOutputs, VethPairOutputs } from "./vethPair";
export type { Tbf } from "./kernel/qdisc";
