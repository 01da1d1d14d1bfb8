// The registry of kinds: one descriptor each (provider/kind.ts). The provider map, the names the
// SDK may use and the kernel kinds of links all derive from this list; adding a kind is adding
// its descriptor here (DESIGN.md "Adding a kind").
import type * as pulumi from "@pulumi/pulumi";
import { bridgeKind } from "./bridge";
import { lanKind } from "./lan";
import { onItsHost } from "./host";
import { macvlanKind } from "./macvlan";
import { macvtapKind } from "./macvtap";
import { namespaceKind } from "./namespace";
import { routeKind } from "./route";
import { serviceKind } from "./service";
import { stackInstanceKind } from "./stackInstance";
import { tapDeviceKind } from "./tapDevice";
import { vethPairKind } from "./vethPair";
import { vxlanKind } from "./vxlan";

const registry = [
  namespaceKind,
  vethPairKind,
  bridgeKind,
  tapDeviceKind,
  routeKind,
  stackInstanceKind,
  vxlanKind,
  macvlanKind,
  macvtapKind,
  lanKind,
  serviceKind,
] as const;

type Descriptor = (typeof registry)[number];

/** Every kind the provider serves: the last part of a type token, the key of {@link providers}. */
export type ProviderKind = Descriptor["kind"];
/** The kinds users declare through an SDK class. */
export type ResourceKind = Extract<Descriptor, { declaredBy: "user" }>["kind"];
/** The kernel's `info_kind` of every link a kind makes. */
export type LinkKernelKind = Exclude<Descriptor["kernelKind"], undefined>;

/** Each kind's descriptor by name. */
export const kinds = Object.fromEntries(registry.map((d) => [d.kind, d])) as {
  readonly [D in Descriptor as D["kind"]]: D;
};

/**
 * What the SDK's serialized providers load by package name (`require("pulumi-netns/provider")
 * .providers[KIND]`): one dynamic provider per kind, each handler on its resource's machine.
 */
export const providers = Object.fromEntries(registry.map((d) => [d.kind, onItsHost(d.provider)])) as Readonly<
  Record<ProviderKind, pulumi.dynamic.ResourceProvider>
>;
