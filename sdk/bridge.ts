import * as pulumi from "@pulumi/pulumi";
import type { BridgeInputs } from "../provider/schema/bridge";
import { type ResourceArgs, managedBy } from "./common";
import { linkOutputProperties } from "./link";
import { NetnsResource } from "./provider";
import { declareLink, withDeclaredDependencies } from "./registry";

/** Inputs of a {@link Bridge}. */
export type BridgeArgs = ResourceArgs<Omit<BridgeInputs, "managedBy">>;

/** A Linux bridge (`ip link add name X type bridge`); ports join it with `master`. */
export class Bridge extends NetnsResource {
  declare public readonly name: pulumi.Output<string>;
  declare public readonly namespace: pulumi.Output<string | undefined>;
  declare public readonly addresses: pulumi.Output<string[]>;
  declare public readonly mtu: pulumi.Output<number>;
  declare public readonly macAddress: pulumi.Output<string>;
  declare public readonly up: pulumi.Output<boolean>;
  declare public readonly master: pulumi.Output<string | undefined>;
  declare public readonly ifindex: pulumi.Output<number>;
  declare public readonly operstate: pulumi.Output<string>;
  declare public readonly stp: pulumi.Output<boolean>;
  declare public readonly vlanFiltering: pulumi.Output<boolean>;
  declare public readonly forwardDelay: pulumi.Output<number>;
  declare public readonly ageingTime: pulumi.Output<number>;

  constructor(name: string, args: BridgeArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "Bridge",
      name,
      {
        ...linkOutputProperties,
        stp: undefined,
        vlanFiltering: undefined,
        forwardDelay: undefined,
        ageingTime: undefined,
        ...(args as object),
        managedBy: managedBy("Bridge", name),
      },
      withDeclaredDependencies(opts, [args as { namespace?: unknown; master?: unknown }]),
    );
    const plainArgs = args as { namespace?: unknown; name?: unknown };
    declareLink(plainArgs, this);
  }
}
