import * as pulumi from "@pulumi/pulumi";
import type { Tbf } from "../provider/kernel/qdisc";
import type { LinkOutputs } from "../provider/link";
import type { Owned } from "../provider/ownership";
import { vxlanReferences } from "../provider/schema/references";
import type { VxlanInputs } from "../provider/schema/vxlan";
import type { VxlanOutputs } from "../provider/vxlan";
import type { OutputSlots, ResourceArgs } from "./common";
import { SingleLinkResource } from "./link";

/** Inputs of a {@link Vxlan}. */
export type VxlanArgs = ResourceArgs<Omit<VxlanInputs, "managedBy">>;

const vxlanOutputs: OutputSlots<Omit<VxlanOutputs, keyof LinkOutputs | keyof Owned>> = {
  vni: undefined,
  remote: undefined,
  group: undefined,
  local: undefined,
  dev: undefined,
  dstPort: undefined,
  learning: undefined,
  ttl: undefined,
  srcPortRange: undefined,
  rate: undefined,
};

/**
 * A VXLAN device (`ip link add name X type vxlan id VNI remote A dev D dstport 4789`): an L2
 * tunnel over UDP to a unicast `remote` or a multicast `group`, sent through the underlay `dev`
 * in the same namespace. Put it on a bridge with `master` to join that bridge to the far side's.
 */
export class Vxlan extends SingleLinkResource {
  declare public readonly vni: pulumi.Output<number>;
  declare public readonly remote: pulumi.Output<string | undefined>;
  declare public readonly group: pulumi.Output<string | undefined>;
  declare public readonly local: pulumi.Output<string | undefined>;
  /** The underlay interface. */
  declare public readonly dev: pulumi.Output<string | undefined>;
  declare public readonly dstPort: pulumi.Output<number>;
  declare public readonly learning: pulumi.Output<boolean>;
  /** 0: "auto". */
  declare public readonly ttl: pulumi.Output<number | undefined>;
  declare public readonly srcPortRange: pulumi.Output<[number, number] | undefined>;
  /** Its egress limit as the kernel has it (rate, bucket, queue); undefined: none. */
  declare public readonly rate: pulumi.Output<Tbf | undefined>;

  constructor(name: string, args: VxlanArgs, opts?: pulumi.CustomResourceOptions) {
    super("Vxlan", name, args, vxlanOutputs, opts, vxlanReferences);
  }
}
