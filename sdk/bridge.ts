import * as pulumi from "@pulumi/pulumi";
import type { BridgeOutputs } from "../provider/bridge";
import type { LinkOutputs } from "../provider/link";
import type { Owned } from "../provider/ownership";
import type { BridgeInputs } from "../provider/schema/bridge";
import type { OutputSlots, ResourceArgs } from "./common";
import { SingleLinkResource } from "./link";

/** Inputs of a {@link Bridge}. */
export type BridgeArgs = ResourceArgs<Omit<BridgeInputs, "managedBy">>;

const bridgeOutputs: OutputSlots<Omit<BridgeOutputs, keyof LinkOutputs | keyof Owned>> = {
  stp: undefined,
  vlanFiltering: undefined,
  forwardDelay: undefined,
  ageingTime: undefined,
};

/** A Linux bridge (`ip link add name X type bridge`); ports join it with `master`. */
export class Bridge extends SingleLinkResource {
  declare public readonly stp: pulumi.Output<boolean>;
  declare public readonly vlanFiltering: pulumi.Output<boolean>;
  /** Seconds. */
  declare public readonly forwardDelay: pulumi.Output<number>;
  /** Seconds a learned MAC address is kept. */
  declare public readonly ageingTime: pulumi.Output<number>;

  constructor(name: string, args: BridgeArgs, opts?: pulumi.CustomResourceOptions) {
    super("Bridge", name, args, bridgeOutputs, opts);
  }
}
