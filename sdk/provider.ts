import type * as pulumi from "@pulumi/pulumi";

/** The resource kinds the provider implements; also the last part of each resource's type token. */
export type ResourceKind = "Namespace" | "VethPair" | "Bridge" | "TapDevice" | "Route";

const providers = new Map<ResourceKind, pulumi.dynamic.ResourceProvider>();

/**
 * The dynamic provider for one resource kind, as it is serialized into every resource's state.
 *
 * Each method loads the implementation by package name when it is called, so the serialized
 * closure is a few hundred bytes instead of the whole provider, and upgrading the package
 * upgrades the behaviour of resources already in state. One object per kind, because Pulumi
 * caches the serialization per provider object.
 */
export function providerFor(kind: ResourceKind): pulumi.dynamic.ResourceProvider {
  let provider = providers.get(kind);
  if (!provider) {
    provider = {
      check: (olds, news) => require("pulumi-netns/provider").providers[kind].check(olds, news),
      diff: (id, olds, news) => require("pulumi-netns/provider").providers[kind].diff(id, olds, news),
      create: (inputs) => require("pulumi-netns/provider").providers[kind].create(inputs),
      read: (id, props) => require("pulumi-netns/provider").providers[kind].read(id, props),
      update: (id, olds, news) => require("pulumi-netns/provider").providers[kind].update(id, olds, news),
      delete: (id, props) => require("pulumi-netns/provider").providers[kind].delete(id, props),
    };
    providers.set(kind, provider);
  }
  return provider;
}
