import * as pulumi from "@pulumi/pulumi";
import type { ProviderKind, ResourceKind } from "../provider/kinds";
import type { HostInputs } from "../provider/schema/host";
import type { References } from "../provider/schema/references";
import { declareReferences, machineKey, withDeclaredDependencies } from "./registry";

// The provider's registry of kinds names them: the kinds users declare (the last part of each
// resource's type token), and every kind the provider serves (theirs and the stack's own
// StackInstance). Type-only, so programs never load the provider's implementation.
export type { ProviderKind, ResourceKind };

/**
 * The `__provider` Pulumi's dynamic-provider plugin evaluates for a resource: the plugin runs it
 * with `require-from-string` from the program's directory and calls `handler()` for the
 * provider. It loads the implementation by package name, so it is ~100 bytes in every resource's
 * state (a closure serialized by `pulumi.dynamic.Resource` is ~2 KB) and upgrading the package
 * upgrades the behaviour of resources already in state.
 */
export function providerText(kind: ProviderKind): string {
  return `exports.handler = () => require("pulumi-netns/provider").providers[${JSON.stringify(kind)}];\n`;
}

/**
 * A dynamic resource (type `pulumi-nodejs:dynamic/netns:<Kind>`, served by the
 * `pulumi-resource-pulumi-nodejs` plugin exactly as `pulumi.dynamic.Resource` is) whose provider
 * is {@link providerText} rather than a serialized closure.
 */
export abstract class DynamicResource extends pulumi.CustomResource {
  constructor(
    kind: ProviderKind,
    name: string,
    props: Record<string, unknown>,
    opts: pulumi.CustomResourceOptions | undefined,
  ) {
    super(`pulumi-nodejs:dynamic/netns:${kind}`, name, { ...props, __provider: providerText(kind) }, opts);
  }
}

/**
 * The stack's own identity: a random id made once, at its first `pulumi up`, and kept in the
 * stack's state. Every resource of the stack puts it in the ownership mark of what it creates, so
 * two stacks with the same project and stack names (two checkouts, two state backends) are
 * different owners and never take each other's objects.
 */
export class StackInstance extends DynamicResource {
  /** The id the stack's marks carry. */
  declare public readonly instance: pulumi.Output<string>;

  constructor(pinned: string | undefined) {
    super("StackInstance", "pulumi-netns-stack", { instance: undefined, pinned }, undefined);
  }
}

// One per run of the program: an inline Automation API program runs many times in one process,
// each run under a new root Stack resource.
const perRun = new WeakMap<object, StackInstance>();
const outsideAStack = {};

/**
 * The id of this program's StackInstance, made on first use. `pulumi config set
 * pulumi-netns:stackInstance ID` pins it (to take back a lost state's objects).
 */
export function stackInstance(): pulumi.Output<string> {
  const run = pulumi.runtime.getStackResource() ?? outsideAStack;
  let current = perRun.get(run);
  if (!current) {
    current = new StackInstance(new pulumi.Config("pulumi-netns").get("stackInstance"));
    perRun.set(run, current);
  }
  return current.instance;
}

/**
 * A resource of a kind users declare: a dynamic resource carrying its stack's instance id. It
 * waits for the resources that make what its `references` name by plain string (its kind's
 * references function, the one `check` claims with), and records what it makes itself.
 */
export abstract class NetnsResource extends DynamicResource {
  /**
   * The machine it lives on, as given (`host`: address, port, user, pinned host key; secret in
   * state when the key is); undefined on this machine.
   */
  declare public readonly host: pulumi.Output<HostInputs | undefined>;
  /** Where it lives, without key material: `ssh://USER@ADDRESS:PORT`; undefined on this machine. */
  declare public readonly machine: pulumi.Output<string | undefined>;

  constructor(
    kind: ResourceKind,
    name: string,
    props: Record<string, unknown>,
    opts: pulumi.CustomResourceOptions | undefined,
    references: References,
  ) {
    super(
      kind,
      name,
      { host: undefined, machine: undefined, ...props, stackInstance: stackInstance() },
      withDeclaredDependencies(opts, references.uses, machineKey(props.host)),
    );
    declareReferences(references, this, machineKey(props.host));
  }
}
