/**
 * Update versus replace, decided on resolved inputs (defaults applied on both sides). Pure: each
 * kind's descriptor builds its `diffInputs` from a table of {@link DiffRules}, one rule for every
 * input of its schema, and the resources' `diff` handlers hand the result to the engine.
 */
import type { z } from "zod";
import { formatPath } from "./propertyPath";
import { isUnknown } from "./unknown";
import { canonicalCidr } from "../address";

export interface InputDiff {
  readonly changes: boolean;
  /** Paths (`name`, `a.namespace`) whose change needs a new object. */
  readonly replaces: string[];
  /** Paths (`mtu`, `a.addresses`, `sysctls["net.ipv4.ip_forward"]`) changed in place. */
  readonly updates: string[];
  /** True when the replacement could collide with the old object, so the old must go first. */
  readonly deleteBeforeReplace: boolean;
}

type Action = "replace" | "update";
/**
 * How two values of a field are compared; `elsewhere`: another rule compares it (never a change
 * here); `same`: the field's own {@link Field.same}.
 */
type Compare = "value" | "mac" | "cidrSet" | "record" | "elsewhere" | "same";
export interface Field {
  readonly action: Action;
  readonly compare: Compare;
  /** For `same`: whether two known values mean the same kernel state (e.g. a rate, see schema/rate.ts). */
  readonly same?: (prev: unknown, next: unknown) => boolean;
  /** For an `update` field: the changes the kernel cannot make in place, which replace instead. */
  readonly replaceWhen?: (prev: unknown, next: unknown) => boolean;
}

export const replace: Field = { action: "replace", compare: "value" };
export const update: Field = { action: "update", compare: "value" };
/** Addresses: a set, compared in canonical spelling. */
export const cidrSet: Field = { action: "update", compare: "cidrSet" };
/** A MAC address: compared without regard to case. */
export const mac: Field = { action: "update", compare: "mac" };
/** A string map (sysctls): each key its own path. */
export const record: Field = { action: "update", compare: "record" };
/**
 * A field the kernel changes in place, except between some values (a macvlan's mode into or out of
 * `passthru`): those changes replace. An unknown value may be such a change, so it replaces too.
 */
export function updateUnless(cannotChange: (prev: unknown, next: unknown) => boolean): Field {
  return {
    action: "update",
    compare: "value",
    replaceWhen: (prev, next) => isUnknown(prev) || isUnknown(next) || cannotChange(prev, next),
  };
}
/** A field the kind's diff compares through other rules (a veth pair's ends, its shared MTU). */
export const comparedElsewhere: Field = { action: "update", compare: "elsewhere" };

/**
 * One rule per input of schema `S`, keyed by the schema's own keys: a field the schema gains
 * without a rule here, or a rule for a field it does not have, fails to compile.
 */
export type DiffRules<S extends z.ZodType> = { readonly [K in keyof z.input<S>]-?: Field };

/** Which machine a `host` input names (schema/host.ts): its address and port; unset, this one. */
export function machineOf(host: unknown): string {
  if (typeof host !== "object" || host === null) return "local";
  const { address, port } = host as { address?: unknown; port?: unknown };
  return `${String(address)}:${String(port ?? 22)}`;
}

/**
 * The rules of the inputs every resource carries (see provider/ownership.ts). Moving a resource
 * to another machine replaces it (made there, deleted here); a new user, key or pinned host key
 * for the same machine is an update, which changes nothing in the kernel.
 */
export const ownershipRules = {
  adopt: update,
  managedBy: update,
  stackInstance: update,
  host: updateUnless((prev, next) => machineOf(prev) !== machineOf(next)),
} as const;

type Shape = Record<string, z.ZodType>;

/**
 * One field resolved the way `check` would (its default applied, integers in sysctls turned into
 * strings). A value the schema refuses (state written under older rules) is kept as it is, so
 * diffing never throws.
 */
function resolveField(schema: z.ZodType | undefined, raw: unknown): unknown {
  if (schema === undefined) return raw;
  const parsed = schema.safeParse(raw);
  return parsed.success ? parsed.data : raw;
}

/** The fields `fields` names, each resolved against `shape`; a missing or non-object `raw` is `{}`. */
export function resolveObject(
  shape: Shape,
  fields: Readonly<Record<string, Field>>,
  raw: unknown,
): Record<string, unknown> {
  const source = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) out[key] = resolveField(shape[key], source[key]);
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Paths below `path` that differ; the unknown sentinel in `next` always differs. */
function changedPaths(field: Field, path: PropertyKey[], prev: unknown, next: unknown): PropertyKey[][] {
  if (field.compare === "elsewhere") return [];
  if (isUnknown(next) || isUnknown(prev)) return [path];
  switch (field.compare) {
    case "same":
      return (field.same ?? sameValue)(prev, next) ? [] : [path];
    case "value":
      return sameValue(prev, next) ? [] : [path];
    case "mac":
      if (typeof prev === "string" && typeof next === "string") {
        return prev.toLowerCase() === next.toLowerCase() ? [] : [path];
      }
      return sameValue(prev, next) ? [] : [path];
    case "cidrSet": {
      if (!Array.isArray(prev) || !Array.isArray(next)) return sameValue(prev, next) ? [] : [path];
      if (next.some(isUnknown)) return [path];
      const norm = (list: unknown[]) =>
        new Set(list.map((v) => (typeof v === "string" ? canonicalCidr(v) : v)));
      const a = norm(prev);
      const b = norm(next);
      return a.size === b.size && [...a].every((v) => b.has(v)) ? [] : [path];
    }
    case "record": {
      const isRecord = (v: unknown): v is Record<string, unknown> =>
        typeof v === "object" && v !== null && !Array.isArray(v);
      if (!isRecord(prev) || !isRecord(next)) return sameValue(prev, next) ? [] : [path];
      const keys = [...new Set([...Object.keys(prev), ...Object.keys(next)])].sort();
      return keys.filter((k) => isUnknown(next[k]) || !sameValue(prev[k], next[k])).map((k) => [...path, k]);
    }
  }
}

/** The changed paths found so far, by action. */
export interface Accumulator {
  replaces: string[];
  updates: string[];
}

/** Adds to `acc` the paths (below `prefix`) where `prev` and `next` differ, per `fields`. */
export function compareFields(
  acc: Accumulator,
  fields: Readonly<Record<string, Field>>,
  prefix: PropertyKey[],
  prev: Record<string, unknown>,
  next: Record<string, unknown>,
): void {
  for (const [key, field] of Object.entries(fields)) {
    const replaces = field.action === "replace" || field.replaceWhen?.(prev[key], next[key]) === true;
    for (const path of changedPaths(field, [...prefix, key], prev[key], next[key])) {
      (replaces ? acc.replaces : acc.updates).push(formatPath(path));
    }
  }
}

/** Whether two values may be equal: equal, or either not known yet. */
export function mayEqual(x: unknown, y: unknown): boolean {
  return isUnknown(x) || isUnknown(y) || x === y;
}

/**
 * The diff of what `acc` found. `collision` says whether the new object could occupy the old
 * one's place (so the old must go first); it is asked only when something is replaced.
 */
export function result(acc: Accumulator, collision: () => boolean): InputDiff {
  const changes = acc.replaces.length + acc.updates.length > 0;
  return {
    changes,
    replaces: acc.replaces,
    updates: acc.updates,
    deleteBeforeReplace: acc.replaces.length > 0 && collision(),
  };
}

/** A diff on resolved inputs, `(olds, news) => InputDiff`: what each kind's descriptor carries. */
export type DiffInputs = (olds: unknown, news: unknown) => InputDiff;

/** What a kind whose inputs are one flat object needs to diff them. */
export interface FlatDiff<S extends z.ZodObject> {
  readonly schema: S;
  readonly fields: DiffRules<S>;
  /**
   * The fields that name the kernel object: a replacement whose identity may equal the old one's
   * (equal, or not known yet) collides with it. An unknown part could be anything, so during
   * preview that predicts delete-before-replace conservatively; at update time the engine calls
   * diff again with every value known. Omitted: the kind has no kernel object to collide with.
   */
  readonly identity?: readonly (keyof z.input<S> & string)[];
  /** Turns resolved inputs into the form compared (e.g. a route's kernel key); default as is. */
  readonly comparable?: (resolved: Record<string, unknown>) => Record<string, unknown>;
}

/** The diff of a kind whose inputs are one flat object: one rule per field, see {@link FlatDiff}. */
export function diffBy<S extends z.ZodObject>(spec: FlatDiff<S>): DiffInputs {
  const shape: Shape = spec.schema.shape;
  const fields: Readonly<Record<string, Field>> = spec.fields;
  const comparable = spec.comparable ?? ((r) => r);
  return (olds, news) => {
    const prev = comparable(resolveObject(shape, fields, olds));
    const next = comparable(resolveObject(shape, fields, news));
    const acc: Accumulator = { replaces: [], updates: [] };
    compareFields(acc, fields, [], prev, next);
    const identity = spec.identity;
    return result(acc, () => identity !== undefined && identity.every((k) => mayEqual(prev[k], next[k])));
  };
}
