import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { ResourceKind } from "./provider";

/** `T` with every property, element and nested object accepting Pulumi inputs (outputs, promises). */
export type DeepInput<T> = T extends string | number | boolean | undefined | null
  ? pulumi.Input<T>
  : T extends readonly (infer E)[]
    ? pulumi.Input<readonly DeepInput<E>[]>
    : pulumi.Input<{ readonly [K in keyof T]: DeepInput<T[K]> }>;

/** A resource's arguments: a plain object whose fields accept Pulumi inputs, deeply. */
export type ResourceArgs<T> = { readonly [K in keyof T]: DeepInput<T[K]> };

/** The schema's limit for `managedBy` (it becomes part of a 255-byte interface alias). */
const MANAGED_BY_MAX_BYTES = 200;

// encodeURIComponent leaves these alone, but `ip -batch` reads a quote as a quote.
const encode = (part: string) =>
  encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The ownership mark of a resource: `<project>/<stack>/<kind>/<name>`, each part percent-encoded
 * so the mark has no blanks or quotes (it goes into an interface alias and an `ip -batch` line).
 * A mark that would be too long keeps its start and ends in a hash of the whole, so it stays
 * unique per resource.
 */
export function managedBy(kind: ResourceKind, name: string): string {
  const mark = [pulumi.getProject(), pulumi.getStack(), kind, name].map(encode).join("/");
  if (mark.length <= MANAGED_BY_MAX_BYTES) return mark;
  const hash = createHash("sha256").update(mark).digest("hex").slice(0, 16);
  return `${mark.slice(0, MANAGED_BY_MAX_BYTES - hash.length - 1)}~${hash}`;
}

/**
 * One key per output of `T`, each undefined: the props that make the engine report every output
 * of a class. Typed by the provider's outputs interface, so an output missing here fails to compile.
 */
export type OutputSlots<T> = Readonly<Record<keyof T, undefined>>;
