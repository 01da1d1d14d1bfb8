import * as pulumi from "@pulumi/pulumi";
import type { VethPairInputs } from "../provider/schema/vethPair";
import type { VethEndOutputs, VethPairOutputs } from "../provider/vethPair";
import { type OutputSlots, type ResourceArgs, managedBy } from "./common";
import { NetnsResource } from "./provider";
import { vethPairReferences } from "../provider/schema/references";

/** Inputs of a {@link VethPair}. */
export type VethPairArgs = ResourceArgs<Omit<VethPairInputs, "managedBy">>;

const vethPairOutputs: OutputSlots<VethPairOutputs> = {
  a: undefined,
  b: undefined,
  mtu: undefined,
  adopt: undefined,
  managedBy: undefined,
  stackInstance: undefined,
  host: undefined,
};

/**
 * A veth pair whose two ends are created directly in their namespaces in one kernel call
 * (`ip link add name A netns N1 type veth peer name B netns N2`).
 */
export class VethPair extends NetnsResource {
  /** End `a` as the kernel has it, with its egress limit (`rate`) if it has one. */
  declare public readonly a: pulumi.Output<VethEndOutputs>;
  /** End `b` as the kernel has it, with its egress limit (`rate`) if it has one. */
  declare public readonly b: pulumi.Output<VethEndOutputs>;

  constructor(name: string, args: VethPairArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "VethPair",
      name,
      { ...vethPairOutputs, ...(args as object), managedBy: managedBy("VethPair", name) },
      opts,
      vethPairReferences(args),
    );
  }
}
