import * as pulumi from "@pulumi/pulumi";
import type { LinkOutputs } from "../provider/link";
import { managedBy, type OutputSlots } from "./common";
import { NetnsResource, type ResourceKind } from "./provider";
import { singleLinkReferences, type References } from "../provider/schema/references";

/** The outputs every single link resource has; listed so the SDK class exposes them. */
const linkOutputProperties: OutputSlots<LinkOutputs> = {
  name: undefined,
  namespace: undefined,
  addresses: undefined,
  mtu: undefined,
  macAddress: undefined,
  up: undefined,
  master: undefined,
  ifindex: undefined,
  operstate: undefined,
};

/** A resource that is one link (a bridge, a tap): the outputs and wiring they share. */
export abstract class SingleLinkResource extends NetnsResource {
  /** The interface name. */
  declare public readonly name: pulumi.Output<string>;
  /** Its namespace; undefined: the host namespace. */
  declare public readonly namespace: pulumi.Output<string | undefined>;
  /** The global addresses on the link, as the kernel has them. */
  declare public readonly addresses: pulumi.Output<string[]>;
  declare public readonly mtu: pulumi.Output<number>;
  declare public readonly macAddress: pulumi.Output<string>;
  /** Administratively up. */
  declare public readonly up: pulumi.Output<boolean>;
  /** The bridge it is a port of, if any. */
  declare public readonly master: pulumi.Output<string | undefined>;
  declare public readonly ifindex: pulumi.Output<number>;
  /** Whether traffic can flow (`UP`), not only whether it was set up. */
  declare public readonly operstate: pulumi.Output<string>;

  constructor(
    kind: ResourceKind,
    name: string,
    args: object,
    kindOutputs: object,
    opts: pulumi.CustomResourceOptions | undefined,
    references: (args: unknown) => References = singleLinkReferences,
  ) {
    super(
      kind,
      name,
      {
        ...linkOutputProperties,
        ...kindOutputs,
        ...args,
        managedBy: managedBy(kind, name),
      },
      opts,
      references(args),
    );
  }
}
