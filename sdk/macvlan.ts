import * as pulumi from "@pulumi/pulumi";
import type { Tbf } from "../provider/kernel/qdisc";
import type { LinkOutputs } from "../provider/link";
import type { MacvlanOutputs } from "../provider/macvlan";
import type { Owned } from "../provider/ownership";
import type { MacvlanInputs, MacvlanMode } from "../provider/schema/macvlan";
import { lowerLinkReferences } from "../provider/schema/references";
import type { OutputSlots, ResourceArgs } from "./common";
import { SingleLinkResource } from "./link";

/** Inputs of a {@link Macvlan}. */
export type MacvlanArgs = ResourceArgs<Omit<MacvlanInputs, "managedBy">>;

const macvlanOutputs: OutputSlots<Omit<MacvlanOutputs, keyof LinkOutputs | keyof Owned>> = {
  mode: undefined,
  parent: undefined,
  parentNamespace: undefined,
  rate: undefined,
};

/** A link made on a parent link (a macvlan, a macvtap): the outputs and wiring they share. */
export abstract class ParentedLinkResource extends SingleLinkResource {
  declare public readonly mode: pulumi.Output<MacvlanMode>;
  /** The link it is made on. */
  declare public readonly parent: pulumi.Output<string>;
  /** The parent's namespace; undefined: the link's own. */
  declare public readonly parentNamespace: pulumi.Output<string | undefined>;
  /** Its egress limit as the kernel has it (rate, bucket, queue); undefined: none. */
  declare public readonly rate: pulumi.Output<Tbf | undefined>;

  constructor(
    kind: "Macvlan" | "Macvtap",
    name: string,
    args: object,
    kindOutputs: object,
    opts: pulumi.CustomResourceOptions | undefined,
  ) {
    super(kind, name, args, { ...macvlanOutputs, ...kindOutputs }, opts, lowerLinkReferences);
  }
}

/**
 * A macvlan (`ip link add name X link PARENT type macvlan mode M`): a link with its own MAC on a
 * parent link, possibly in another namespace than the parent's. Replacing the resource that makes
 * the parent replaces it too (the kernel deletes a macvlan with its parent).
 */
export class Macvlan extends ParentedLinkResource {
  constructor(name: string, args: MacvlanArgs, opts?: pulumi.CustomResourceOptions) {
    super("Macvlan", name, args, {}, opts);
  }
}
