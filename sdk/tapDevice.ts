import * as pulumi from "@pulumi/pulumi";
import type { TapDeviceInputs } from "../provider/schema/tapDevice";
import { type ResourceArgs, managedBy } from "./common";
import { linkOutputProperties } from "./link";
import { NetnsResource } from "./provider";
import { declareLink, withDeclaredDependencies } from "./registry";

/** Inputs of a {@link TapDevice}. */
export type TapDeviceArgs = ResourceArgs<Omit<TapDeviceInputs, "managedBy">>;

/**
 * A persistent tap device (`ip tuntap add dev X mode tap`) that a VM or a user-space program
 * opens, optionally as a non-root `owner`/`group`.
 */
export class TapDevice extends NetnsResource {
  declare public readonly name: pulumi.Output<string>;
  declare public readonly namespace: pulumi.Output<string | undefined>;
  declare public readonly addresses: pulumi.Output<string[]>;
  declare public readonly mtu: pulumi.Output<number>;
  declare public readonly macAddress: pulumi.Output<string>;
  declare public readonly up: pulumi.Output<boolean>;
  declare public readonly master: pulumi.Output<string | undefined>;
  declare public readonly ifindex: pulumi.Output<number>;
  declare public readonly operstate: pulumi.Output<string>;
  declare public readonly owner: pulumi.Output<number | undefined>;
  declare public readonly group: pulumi.Output<number | undefined>;
  declare public readonly multiQueue: pulumi.Output<boolean>;
  declare public readonly vnetHdr: pulumi.Output<boolean>;

  constructor(name: string, args: TapDeviceArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "TapDevice",
      name,
      {
        ...linkOutputProperties,
        owner: undefined,
        group: undefined,
        multiQueue: undefined,
        vnetHdr: undefined,
        ...(args as object),
        managedBy: managedBy("TapDevice", name),
      },
      withDeclaredDependencies(opts, [args as { namespace?: unknown; master?: unknown }]),
    );
    declareLink(args as { namespace?: unknown; name?: unknown }, this);
  }
}
