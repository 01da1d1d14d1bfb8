/**
 * Update versus replace, decided on resolved inputs (defaults applied on both sides). Pure: the
 * resources' `diff` handlers call `diffInputs` and hand the result to the engine.
 */
import { z } from "zod";
import { UNKNOWN, formatPath, isUnknown, normalizeCidr } from "./common";
import { bridgeSchema } from "./bridge";
import { linkFields } from "./link";
import { namespaceSchema } from "./namespace";
import { comparableRoute, routeSchema } from "./route";
import { tapDeviceSchema } from "./tapDevice";
import { vethPairSchema } from "./vethPair";

/** The SDK's resource kinds (`sdk/provider.ts`). */
export type ResourceKind = "Namespace" | "VethPair" | "Bridge" | "TapDevice";

/** Every kind {@link diffInputs} decides for. */
export type DiffKind = ResourceKind | "Route";

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
type Compare = "value" | "mac" | "cidrSet" | "record";
interface Field {
  readonly action: Action;
  readonly compare: Compare;
}

const replace: Field = { action: "replace", compare: "value" };
const update: Field = { action: "update", compare: "value" };

const linkSpec: Record<keyof typeof linkFields, Field> = {
  name: replace,
  namespace: replace,
  addresses: { action: "update", compare: "cidrSet" },
  mtu: update,
  macAddress: { action: "update", compare: "mac" },
  up: update,
  master: update,
};

const ownership = { adopt: update, managedBy: update, stackInstance: update };

type Shape = Record<string, z.ZodType>;
interface Spec {
  readonly shape: Shape;
  readonly fields: Record<string, Field>;
}

const specs: Record<Exclude<ResourceKind, "VethPair">, Spec> = {
  Namespace: {
    shape: namespaceSchema.shape,
    fields: { name: replace, sysctls: { action: "update", compare: "record" }, ...ownership },
  },
  Bridge: {
    shape: bridgeSchema.shape,
    fields: {
      ...linkSpec,
      stp: update,
      vlanFiltering: update,
      forwardDelay: update,
      ageingTime: update,
      ...ownership,
    },
  },
  TapDevice: {
    shape: tapDeviceSchema.shape,
    fields: {
      ...linkSpec,
      owner: replace,
      group: replace,
      multiQueue: replace,
      vnetHdr: replace,
      ...ownership,
    },
  },
};

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

function resolveObject(shape: Shape, fields: Record<string, Field>, raw: unknown): Record<string, unknown> {
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
function changedPaths(compare: Compare, path: PropertyKey[], prev: unknown, next: unknown): PropertyKey[][] {
  if (isUnknown(next) || isUnknown(prev)) return [path];
  switch (compare) {
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
        new Set(list.map((v) => (typeof v === "string" ? normalizeCidr(v) : v)));
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

interface Accumulator {
  replaces: string[];
  updates: string[];
}

function compareFields(
  acc: Accumulator,
  fields: Record<string, Field>,
  prefix: PropertyKey[],
  prev: Record<string, unknown>,
  next: Record<string, unknown>,
): void {
  for (const [key, field] of Object.entries(fields)) {
    for (const path of changedPaths(field.compare, [...prefix, key], prev[key], next[key])) {
      (field.action === "replace" ? acc.replaces : acc.updates).push(formatPath(path));
    }
  }
}

/** (namespace, name) of a link; undefined namespace is the host's. Either part may be UNKNOWN. */
interface Identity {
  readonly namespace: unknown;
  readonly name: unknown;
}

function mayEqual(x: unknown, y: unknown): boolean {
  return isUnknown(x) || isUnknown(y) || x === y;
}

/**
 * Could a new object occupy an old one's place? An unknown part could be anything, so it may
 * collide: during preview that predicts delete-before-replace conservatively; at update time the
 * engine calls diff again with every value known.
 */
function collides(olds: readonly Identity[], news: readonly Identity[]): boolean {
  return news.some((n) => olds.some((o) => mayEqual(o.namespace, n.namespace) && mayEqual(o.name, n.name)));
}

function linkIdentity(link: Record<string, unknown> | "unknown"): Identity {
  return link === "unknown"
    ? { namespace: UNKNOWN, name: UNKNOWN }
    : { namespace: link.namespace, name: link.name };
}

function result(acc: Accumulator, collision: () => boolean): InputDiff {
  const changes = acc.replaces.length + acc.updates.length > 0;
  return {
    changes,
    replaces: acc.replaces,
    updates: acc.updates,
    deleteBeforeReplace: acc.replaces.length > 0 && collision(),
  };
}

function resolveEnd(raw: unknown): Record<string, unknown> | "unknown" {
  return isUnknown(raw) ? "unknown" : resolveObject(linkFields, linkSpec, raw);
}

function unknownEnd(): Record<string, unknown> {
  return Object.fromEntries(Object.keys(linkSpec).map((k) => [k, UNKNOWN]));
}

function diffVethPair(olds: unknown, news: unknown): InputDiff {
  const topFields = { mtu: update, ...ownership };
  const shape: Shape = vethPairSchema.shape;
  const prev = resolveObject(shape, topFields, olds);
  const next = resolveObject(shape, topFields, news);
  const rawPrev = (typeof olds === "object" && olds !== null ? olds : {}) as Record<string, unknown>;
  const rawNext = (typeof news === "object" && news !== null ? news : {}) as Record<string, unknown>;
  const ends = {
    prev: { a: resolveEnd(rawPrev.a), b: resolveEnd(rawPrev.b) },
    next: { a: resolveEnd(rawNext.a), b: resolveEnd(rawNext.b) },
  };

  const acc: Accumulator = { replaces: [], updates: [] };
  for (const end of ["a", "b"] as const) {
    const p = ends.prev[end];
    const n = ends.next[end];
    const pEnd = p === "unknown" ? unknownEnd() : { ...p, mtu: p.mtu ?? prev.mtu };
    const nEnd = n === "unknown" ? unknownEnd() : { ...n, mtu: n.mtu ?? next.mtu };
    compareFields(acc, linkSpec, [end], pEnd, nEnd);
  }
  compareFields(acc, ownership, [], prev, next);
  return result(acc, () =>
    collides(
      [linkIdentity(ends.prev.a), linkIdentity(ends.prev.b)],
      [linkIdentity(ends.next.a), linkIdentity(ends.next.b)],
    ),
  );
}

/** The kernel keys a route by (table, destination, metric); `via` and `dev` change in place. */
const routeFields: Record<string, Field> = {
  namespace: replace,
  destination: replace,
  table: replace,
  metric: replace,
  via: update,
  dev: update,
  ...ownership,
};

function diffRoute(olds: unknown, news: unknown): InputDiff {
  const shape: Shape = routeSchema.shape;
  // Compared canonically: "default" is 0.0.0.0/0 or ::/0, an omitted metric the kernel's default.
  const prev = comparableRoute(resolveObject(shape, routeFields, olds));
  const next = comparableRoute(resolveObject(shape, routeFields, news));
  const acc: Accumulator = { replaces: [], updates: [] };
  compareFields(acc, routeFields, [], prev, next);
  const key = ["namespace", "destination", "table", "metric"];
  return result(acc, () => key.every((k) => mayEqual(prev[k], next[k])));
}

/** Decides, per field, whether going from `olds` to `news` is no change, an update or a replacement. */
export function diffInputs(kind: DiffKind, olds: unknown, news: unknown): InputDiff {
  if (kind === "VethPair") return diffVethPair(olds, news);
  if (kind === "Route") return diffRoute(olds, news);
  const spec = specs[kind];
  const prev = resolveObject(spec.shape, spec.fields, olds);
  const next = resolveObject(spec.shape, spec.fields, news);
  const acc: Accumulator = { replaces: [], updates: [] };
  compareFields(acc, spec.fields, [], prev, next);
  if (kind === "Namespace") {
    // name is the only replace field, so a known replacement always has a new name and never
    // collides; only an unknown name (preview) might.
    return result(acc, () => mayEqual(prev.name, next.name));
  }
  return result(acc, () => collides([linkIdentity(prev)], [linkIdentity(next)]));
}
