import * as pulumi from "@pulumi/pulumi";
import type { LinkOutputs } from "../provider/link";
import type { MacvtapOutputs } from "../provider/macvtap";
import type { Owned } from "../provider/ownership";
import type { MacvlanMode } from "../provider/schema/macvlan";
import type { MacvtapInputs } from "../provider/schema/macvtap";
import { lowerLinkReferences } from "../provider/schema/references";
import type { OutputSlots, ResourceArgs } from "./common";
import { SingleLinkResource } from "./link";

/** Inputs of a {@link Macvtap}. */
export type MacvtapArgs = ResourceArgs<Omit<MacvtapInputs, "managedBy">>;

const macvtapOutputs: OutputSlots<Omit<MacvtapOutputs, keyof LinkOutputs | keyof Owned>> = {
  mode: undefined,
  parent: undefined,
  parentNamespace: undefined,
  deviceMajor: undefined,
  deviceMinor: undefined,
  devicePath: undefined,
};

/**
 * A macvtap (`ip link add name X link PARENT type macvtap mode M`): a macvlan whose frames a VM
 * reads and writes through the character device `devicePath` (major `deviceMajor`, minor
 * `deviceMinor`); whoever may open that node may attach. Replaced with its parent.
 */
export class Macvtap extends SingleLinkResource {
  declare public readonly mode: pulumi.Output<MacvlanMode>;
  /** The link it is made on. */
  declare public readonly parent: pulumi.Output<string>;
  /** The parent's namespace; undefined: the macvtap's own. */
  declare public readonly parentNamespace: pulumi.Output<string | undefined>;
  declare public readonly deviceMajor: pulumi.Output<number>;
  declare public readonly deviceMinor: pulumi.Output<number>;
  /** `/dev/tap<ifindex>`, where udev would make the node (without udev: `mknod PATH c MAJOR MINOR`). */
  declare public readonly devicePath: pulumi.Output<string>;

  constructor(name: string, args: MacvtapArgs, opts?: pulumi.CustomResourceOptions) {
    super("Macvtap", name, args, macvtapOutputs, opts, lowerLinkReferences);
  }
}
