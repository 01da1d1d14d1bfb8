import * as pulumi from "@pulumi/pulumi";
import type { LanHostOutputs, LanOutputs } from "../provider/lan";
import type { LanInputs } from "../provider/schema/lan";
import { lanReferences } from "../provider/schema/references";
import { type OutputSlots, type ResourceArgs, managedBy } from "./common";
import { NetnsResource } from "./provider";

/** Inputs of a {@link Lan}; `namespace` defaults to the resource name. */
export type LanArgs = ResourceArgs<Omit<LanInputs, "managedBy" | "namespace"> & { namespace?: string }>;

const lanOutputs: OutputSlots<LanOutputs> = {
  namespace: undefined,
  bridge: undefined,
  mtu: undefined,
  ipv6LinkLocal: undefined,
  bridgeMacAddress: undefined,
  hosts: undefined,
  managedBy: undefined,
  stackInstance: undefined,
  host: undefined,
};

/**
 * A bridge in a namespace of its own and its hosts: each host a namespace (named by its key in
 * `hosts`) cabled by a veth pair (`interface` inside the host, `port` on the bridge) with its
 * addresses, MTU and default gateway. One resource for the whole star, so a lab of hundreds of
 * hosts costs the engine one step, not two per host; a change to one host changes only that host
 * (see docs/GUIDE.md "Large labs").
 */
export class Lan extends NetnsResource {
  /** The namespace holding the bridge. */
  declare public readonly namespace: pulumi.Output<string>;
  /** The bridge's name in {@link namespace}. */
  declare public readonly bridge: pulumi.Output<string>;
  declare public readonly bridgeMacAddress: pulumi.Output<string>;
  /** Each host as the kernel has it, by key (its namespace's name). */
  declare public readonly hosts: pulumi.Output<Record<string, LanHostOutputs>>;

  constructor(name: string, args: LanArgs, opts?: pulumi.CustomResourceOptions) {
    const a = args as Record<string, unknown>;
    const props = { ...lanOutputs, ...a, namespace: a.namespace ?? name, managedBy: managedBy("Lan", name) };
    super("Lan", name, props, opts, lanReferences(props));
  }
}
