import * as pulumi from "@pulumi/pulumi";
import type { LinkOutputs } from "../provider/link";
import type { Owned } from "../provider/ownership";
import type { TapDeviceInputs } from "../provider/schema/tapDevice";
import type { TapDeviceOutputs } from "../provider/tapDevice";
import type { Tbf } from "../provider/kernel/qdisc";
import type { OutputSlots, ResourceArgs } from "./common";
import { SingleLinkResource } from "./link";

/** Inputs of a {@link TapDevice}. */
export type TapDeviceArgs = ResourceArgs<Omit<TapDeviceInputs, "managedBy">>;

const tapDeviceOutputs: OutputSlots<Omit<TapDeviceOutputs, keyof LinkOutputs | keyof Owned>> = {
  rate: undefined,
  owner: undefined,
  group: undefined,
  multiQueue: undefined,
  vnetHdr: undefined,
};

/**
 * A persistent tap device (`ip tuntap add dev X mode tap`) that a VM or a user-space program
 * opens, optionally as a non-root `owner`/`group`.
 */
export class TapDevice extends SingleLinkResource {
  /** The uid allowed to attach; undefined: any user with access to /dev/net/tun. */
  declare public readonly owner: pulumi.Output<number | undefined>;
  /** The gid allowed to attach. */
  declare public readonly group: pulumi.Output<number | undefined>;
  declare public readonly multiQueue: pulumi.Output<boolean>;
  declare public readonly vnetHdr: pulumi.Output<boolean>;
  /** Its egress limit as the kernel has it (rate, bucket, queue); undefined: none. */
  declare public readonly rate: pulumi.Output<Tbf | undefined>;

  constructor(name: string, args: TapDeviceArgs, opts?: pulumi.CustomResourceOptions) {
    super("TapDevice", name, args, tapDeviceOutputs, opts);
  }
}
