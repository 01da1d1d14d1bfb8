import * as pulumi from "@pulumi/pulumi";
import type { BridgeInputs } from "../provider/schema/bridge";
import type { ResourceArgs } from "./common";
import { SingleLinkResource } from "./link";

/** Inputs of a {@link Bridge}. */
export type BridgeArgs = ResourceArgs<Omit<BridgeInputs, "managedBy">>;

/** A Linux bridge (`ip link add name X type bridge`); ports join it with `master`. */
export class Bridge extends SingleLinkResource {
  declare public readonly stp: pulumi.Output<boolean>;
  declare public readonly vlanFiltering: pulumi.Output<boolean>;
  /** Seconds. */
  declare public readonly forwardDelay: pulumi.Output<number>;
  /** Seconds a learned MAC address is kept. */
  declare public readonly ageingTime: pulumi.Output<number>;

  constructor(name: string, args: BridgeArgs, opts?: pulumi.CustomResourceOptions) {
    super("Bridge", name, args, ["stp", "vlanFiltering", "forwardDelay", "ageingTime"], opts);
  }
}
