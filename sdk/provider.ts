import * as pulumi from "@pulumi/pulumi";

/** The resource kinds the provider implements; also the last part of each resource's type token. */
export type ResourceKind = "Namespace" | "VethPair" | "Bridge" | "TapDevice" | "Route";

/**
 * The `__provider` Pulumi's dynamic-provider plugin evaluates for a resource: the plugin runs it
 * with `require-from-string` from the program's directory and calls `handler()` for the
 * provider. It loads the implementation by package name, so it is ~100 bytes in every resource's
 * state (a closure serialized by `pulumi.dynamic.Resource` is ~2 KB) and upgrading the package
 * upgrades the behaviour of resources already in state.
 */
export function providerText(kind: ResourceKind): string {
  return `exports.handler = () => require("pulumi-netns/provider").providers[${JSON.stringify(kind)}];\n`;
}

/**
 * A dynamic resource (type `pulumi-nodejs:dynamic/netns:<Kind>`, served by the
 * `pulumi-resource-pulumi-nodejs` plugin exactly as `pulumi.dynamic.Resource` is) whose provider
 * is {@link providerText} rather than a serialized closure.
 */
export abstract class NetnsResource extends pulumi.CustomResource {
  constructor(
    kind: ResourceKind,
    name: string,
    props: Record<string, unknown>,
    opts: pulumi.CustomResourceOptions | undefined,
  ) {
    super(`pulumi-nodejs:dynamic/netns:${kind}`, name, { ...props, __provider: providerText(kind) }, opts);
  }
}
