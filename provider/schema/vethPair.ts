import { z } from "zod";
import {
  adoptField,
  interfaceNameProblems,
  isUnknown,
  type Known,
  managedByField,
  stackInstanceField,
  mtu,
  orUnknown,
} from "./common";
import { linkEndSchema } from "./link";

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
  })
  .superRefine(
    (value, ctx) => {
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
