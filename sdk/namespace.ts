import * as pulumi from "@pulumi/pulumi";
import type { NamespaceInputs } from "../provider/schema/namespace";
import type { NamespaceOutputs } from "../provider/namespace";
import { type OutputSlots, type ResourceArgs, managedBy } from "./common";
import { NetnsResource } from "./provider";
import { namespaceReferences } from "../provider/schema/references";

/** Inputs of a {@link Namespace}. */
export type NamespaceArgs = ResourceArgs<Omit<NamespaceInputs, "managedBy" | "name"> & { name?: string }>;

const namespaceOutputs: OutputSlots<NamespaceOutputs> = {
  name: undefined,
  sysctls: undefined,
  inode: undefined,
  adopt: undefined,
  managedBy: undefined,
  stackInstance: undefined,
  host: undefined,
};

/**
 * A Linux network namespace (`ip netns add NAME`), with its loopback up and `net.*` sysctls
 * applied inside it.
 */
export class Namespace extends NetnsResource {
  /** The namespace's name under /run/netns. */
  declare public readonly name: pulumi.Output<string>;
  /** The `net.*` sysctls applied inside the namespace. */
  declare public readonly sysctls: pulumi.Output<Record<string, string>>;
  /** Whether this stack took over a namespace it did not create. */
  declare public readonly adopt: pulumi.Output<boolean>;
  /** The inode of the namespace's nsfs file: its stable kernel identity while it exists. */
  declare public readonly inode: pulumi.Output<number>;

  constructor(name: string, args: NamespaceArgs = {}, opts?: pulumi.CustomResourceOptions) {
    const a = args as Record<string, unknown>;
    const namespaceName = a.name ?? name;
    super(
      "Namespace",
      name,
      { ...namespaceOutputs, ...a, name: namespaceName, managedBy: managedBy("Namespace", name) },
      opts,
      namespaceReferences({ name: namespaceName }),
    );
  }
}
