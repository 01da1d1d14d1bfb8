// The implementation the SDK's serialized providers load by package name
// (`require("pulumi-netns/provider")`), one dynamic provider per resource kind.
import type * as pulumi from "@pulumi/pulumi";
import { bridgeProvider } from "./bridge";
import { namespaceProvider } from "./namespace";
import { routeProvider } from "./route";
import { stackInstanceProvider } from "./stackInstance";
import { tapDeviceProvider } from "./tapDevice";
import { vethPairProvider } from "./vethPair";

export const providers: Readonly<Record<string, pulumi.dynamic.ResourceProvider>> = {
  Namespace: namespaceProvider,
  VethPair: vethPairProvider,
  Bridge: bridgeProvider,
  TapDevice: tapDeviceProvider,
  Route: routeProvider,
  StackInstance: stackInstanceProvider,
};

export type { BridgeOutputs } from "./bridge";
export type { LinkOutputs } from "./link";
export type { NamespaceOutputs } from "./namespace";
export type { RouteOutputs } from "./route";
export type { StackInstanceOutputs } from "./stackInstance";
export type { TapDeviceOutputs } from "./tapDevice";
export type { VethPairOutputs } from "./vethPair";
