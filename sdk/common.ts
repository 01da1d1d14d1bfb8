import * as pulumi from "@pulumi/pulumi";
import type { ResourceKind } from "./provider";

/** `T` with every property, element and nested object accepting Pulumi inputs (outputs, promises). */
export type DeepInput<T> = T extends string | number | boolean | undefined | null
  ? pulumi.Input<T>
  : T extends readonly (infer E)[]
    ? pulumi.Input<readonly DeepInput<E>[]>
    : pulumi.Input<{ readonly [K in keyof T]: DeepInput<T[K]> }>;

/** Module of the type tokens: resources show as `pulumi-nodejs:netns:VethPair`. */
export const TYPE_MODULE = "netns";

/**
 * The ownership mark of a resource: `<project>/<stack>/<kind>/<name>`, each part URI-encoded so
 * the mark has no whitespace or quotes (it goes into an interface alias and an `ip -batch` line).
 */
export function managedBy(kind: ResourceKind, name: string): string {
  return [pulumi.getProject(), pulumi.getStack(), kind, name].map(encodeURIComponent).join("/");
}
