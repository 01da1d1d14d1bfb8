import { z } from "zod";
import { hostField } from "./host";
import { mtu } from "./mtu";
import { interfaceNameProblems } from "./names";
import { adoptField, managedByField, stackInstanceField } from "./ownershipFields";
import { isUnknown, type Known, orUnknown, UNKNOWN } from "./unknown";
import {
  type Accumulator,
  comparedElsewhere,
  compareFields,
  type DiffRules,
  type InputDiff,
  mayEqual,
  ownershipRules,
  resolveObject,
  result,
} from "./diff";
import { linkEndRules, linkEndSchema } from "./link";
import { rateFrameProblems } from "./rate";

/** `ip link add name A type veth peer name B`, each end in its own (or the host) namespace. */
export const vethPairSchema = z
  .strictObject({
    a: orUnknown(linkEndSchema),
    b: orUnknown(linkEndSchema),
    /**
     * MTU for both ends; an end's own `mtu` wins over it. Omitted everywhere: the kernel default.
     * See `effectiveEndMtu`.
     */
    mtu: orUnknown(mtu).optional(),
    adopt: adoptField,
    managedBy: managedByField,
    /** The owning stack's instance id, from the SDK's StackInstance resource; part of the mark. */
    stackInstance: stackInstanceField,
    /** The machine it lives on, over SSH; unset: this one. Moving it replaces it. */
    host: hostField,
  })
  .superRefine(
    (value, ctx) => {
      // An end's own mtu was checked with the end; one that takes the pair's is checked here.
      for (const end of ["a", "b"] as const) {
        const e = value?.[end] as { mtu?: unknown; rate?: unknown } | undefined;
        if (typeof e !== "object" || e === null || e.mtu !== undefined || typeof value.mtu !== "number")
          continue;
        for (const problem of rateFrameProblems(e.rate, value.mtu)) {
          ctx.addIssue({
            code: "custom",
            path: [end, "rate", problem.path],
            input: e.rate,
            message: problem.message,
          });
        }
      }
      const a = endIdentity(value?.a);
      const b = endIdentity(value?.b);
      if (a === undefined || b === undefined || a.name !== b.name || a.namespace !== b.namespace) return;
      const where =
        a.namespace === undefined ? "the host namespace" : `namespace ${JSON.stringify(a.namespace)}`;
      ctx.addIssue({
        code: "custom",
        path: ["b", "name"],
        input: b.name,
        message: `the two ends of a veth pair must differ; a and b are both ${JSON.stringify(a.name)} in ${where}`,
      });
    },
    // Runs even when other fields failed, so this failure is reported along with theirs.
    { when: () => true },
  );

/** (namespace, name) of an end when both are known strings (namespace undefined = host). */
function endIdentity(end: unknown): { namespace: string | undefined; name: string } | undefined {
  if (typeof end !== "object" || end === null) return undefined;
  const { name, namespace } = end as { name?: unknown; namespace?: unknown };
  // An invalid or unknown name already has its own failure (or may be anything): nothing to compare.
  if (typeof name !== "string" || isUnknown(name) || interfaceNameProblems(name).length > 0) return undefined;
  if (namespace !== undefined && (typeof namespace !== "string" || isUnknown(namespace))) return undefined;
  return { namespace, name };
}

/** What users write (the SDK wraps each field in `pulumi.Input`). */
export type VethPairInputs = z.input<typeof vethPairSchema>;
/** What `check` returns: defaults applied; during preview any value may still be UNKNOWN. */
export type VethPairChecked = z.output<typeof vethPairSchema>;
/** Defaults applied and every value known: what `create` and `update` receive. */
export type VethPairResolved = Known<VethPairChecked>;

/** The MTU an end should have: its own, else the pair's, else undefined (kernel default). */
export function effectiveEndMtu(pair: VethPairResolved, end: "a" | "b"): number | undefined {
  return pair[end].mtu ?? pair.mtu;
}

/** The pair's own fields; each end is compared field by field with {@link linkEndRules}. */
const vethPairRules: DiffRules<typeof vethPairSchema> = {
  a: comparedElsewhere,
  b: comparedElsewhere,
  /** Compared as each end's effective MTU: moving it from the pair to both ends is no change. */
  mtu: comparedElsewhere,
  ...ownershipRules,
};

type End = Record<string, unknown> | "unknown";

function resolveEnd(raw: unknown): End {
  return isUnknown(raw) ? "unknown" : resolveObject(linkEndSchema.shape, linkEndRules, raw);
}

/** An end not known yet: every field of it could be anything. */
const unknownEnd = (): Record<string, unknown> =>
  Object.fromEntries(Object.keys(linkEndRules).map((k) => [k, UNKNOWN]));

/** (namespace, name) of an end; either part may be UNKNOWN. */
const identityOf = (end: End) =>
  end === "unknown" ? { namespace: UNKNOWN, name: UNKNOWN } : { namespace: end.namespace, name: end.name };

/**
 * Update versus replace for a veth pair: each end as a link (its MTU the effective one), then the
 * pair's own fields. The old pair must go first when any new end could take any old end's place.
 */
export function diffVethPair(olds: unknown, news: unknown): InputDiff {
  const shape = vethPairSchema.shape;
  const prev = resolveObject(shape, vethPairRules, olds);
  const next = resolveObject(shape, vethPairRules, news);
  const raw = (v: unknown) => (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
  const ends = {
    prev: { a: resolveEnd(raw(olds).a), b: resolveEnd(raw(olds).b) },
    next: { a: resolveEnd(raw(news).a), b: resolveEnd(raw(news).b) },
  };
  const acc: Accumulator = { replaces: [], updates: [] };
  for (const end of ["a", "b"] as const) {
    const p = ends.prev[end];
    const n = ends.next[end];
    const pEnd = p === "unknown" ? unknownEnd() : { ...p, mtu: p.mtu ?? prev.mtu };
    const nEnd = n === "unknown" ? unknownEnd() : { ...n, mtu: n.mtu ?? next.mtu };
    compareFields(acc, linkEndRules, [end], pEnd, nEnd);
  }
  compareFields(acc, vethPairRules, [], prev, next);
  const olderEnds = [identityOf(ends.prev.a), identityOf(ends.prev.b)];
  const newerEnds = [identityOf(ends.next.a), identityOf(ends.next.b)];
  return result(acc, () =>
    newerEnds.some((n) =>
      olderEnds.some((o) => mayEqual(o.namespace, n.namespace) && mayEqual(o.name, n.name)),
    ),
  );
}
