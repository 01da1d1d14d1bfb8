import * as pulumi from "@pulumi/pulumi";
import type { RouteInputs } from "../provider/schema/route";
import type { RouteOutputs } from "../provider/route";
import { managedBy, type OutputSlots, type ResourceArgs } from "./common";
import { NetnsResource } from "./provider";
import { routeReferences } from "../provider/schema/references";

/** Inputs of a {@link Route}. */
export type RouteArgs = ResourceArgs<Omit<RouteInputs, "managedBy">>;

const routeOutputs: OutputSlots<RouteOutputs> = {
  namespace: undefined,
  destination: undefined,
  via: undefined,
  dev: undefined,
  metric: undefined,
  table: undefined,
  adopt: undefined,
  managedBy: undefined,
  stackInstance: undefined,
  host: undefined,
};

/**
 * A route in a namespace's routing table (`ip route add DEST via GW [dev DEV] [metric M] [table T]`),
 * marked as ours with `proto 110`.
 *
 * `destination: "default"` is the default route of `via`'s family (`0.0.0.0/0` or `::/0`); an
 * IPv6 default route with no gateway is written `::/0`. The gateway must be reachable when the
 * route is created, so give the Route a dependency on the link whose address covers it.
 *
 * Changing namespace, destination, table or metric replaces the route; via and dev change in place.
 */
export class Route extends NetnsResource {
  /** The namespace the route lives in; undefined: the host namespace. */
  declare public readonly namespace: pulumi.Output<string | undefined>;
  /** The destination as the kernel has it: `0.0.0.0/0` or `::/0` for `"default"`. */
  declare public readonly destination: pulumi.Output<string>;
  /** The gateway, as the kernel has it. */
  declare public readonly via: pulumi.Output<string | undefined>;
  /** The outgoing interface (the kernel's choice when not given). */
  declare public readonly dev: pulumi.Output<string | undefined>;
  /** The metric as the kernel keeps it (1024 for an IPv6 route given none). */
  declare public readonly metric: pulumi.Output<number>;
  /** The numeric table id (254 is main). */
  declare public readonly table: pulumi.Output<number>;
  /** Whether this stack took over a route it did not create. */
  declare public readonly adopt: pulumi.Output<boolean>;

  constructor(name: string, args: RouteArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "Route",
      name,
      { ...routeOutputs, ...(args as object), managedBy: managedBy("Route", name) },
      opts,
      routeReferences(args),
    );
  }
}
