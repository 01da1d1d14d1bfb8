import * as pulumi from "@pulumi/pulumi";
import type { MacvlanOutputs } from "../provider/macvlan";
import type { MacvtapOutputs } from "../provider/macvtap";
import type { MacvtapInputs } from "../provider/schema/macvtap";
import type { OutputSlots, ResourceArgs } from "./common";
import { ParentedLinkResource } from "./macvlan";

/** Inputs of a {@link Macvtap}. */
export type MacvtapArgs = ResourceArgs<Omit<MacvtapInputs, "managedBy">>;

const macvtapOutputs: OutputSlots<Omit<MacvtapOutputs, keyof MacvlanOutputs>> = {
  deviceMajor: undefined,
  deviceMinor: undefined,
  devicePath: undefined,
};

/**
 * A macvtap (`ip link add name X link PARENT type macvtap mode M`): a macvlan whose frames a VM
 * reads and writes through the character device `devicePath` (major `deviceMajor`, minor
 * `deviceMinor`); whoever may open that node may attach. Replaced with its parent.
 */
export class Macvtap extends ParentedLinkResource {
  declare public readonly deviceMajor: pulumi.Output<number>;
  declare public readonly deviceMinor: pulumi.Output<number>;
  /** `/dev/tap<ifindex>`, where udev would make the node (without udev: `mknod PATH c MAJOR MINOR`). */
  declare public readonly devicePath: pulumi.Output<string>;

  constructor(name: string, args: MacvtapArgs, opts?: pulumi.CustomResourceOptions) {
    super("Macvtap", name, args, macvtapOutputs, opts);
  }
}
