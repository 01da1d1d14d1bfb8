import * as pulumi from "@pulumi/pulumi";
import type { TapDeviceInputs } from "../provider/schema/tapDevice";
import type { ResourceArgs } from "./common";
import { SingleLinkResource } from "./link";

/** Inputs of a {@link TapDevice}. */
export type TapDeviceArgs = ResourceArgs<Omit<TapDeviceInputs, "managedBy">>;

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

  constructor(name: string, args: TapDeviceArgs, opts?: pulumi.CustomResourceOptions) {
    super("TapDevice", name, args, ["owner", "group", "multiQueue", "vnetHdr"], opts);
  }
}
