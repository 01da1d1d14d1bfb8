import { z } from "zod";
import { hostField } from "./host";
import { interfaceName, namespaceName } from "./names";
import { adoptField, managedByField, stackInstanceField } from "./ownershipFields";
import { isUnknown, type Known, orUnknown } from "./unknown";
import { diffBy, ownershipRules, replace, updateUnless } from "./diff";
import { LINK_IDENTITY, linkFields, linkRules, refineLink } from "./link";
import { rateFields, rateRules } from "./rate";

/** The modes of `ip link add ... type macvlan mode M` (and of macvtap, which shares macvlan's netlink). */
export const MACVLAN_MODES = ["bridge", "private", "vepa", "passthru", "source"] as const;
export type MacvlanMode = (typeof MACVLAN_MODES)[number];

/** What a macvlan (or macvtap) adds to the link fields: its parent and its mode. */
export const macvlanFields = {
  /**
   * The link it is made on (a veth end, a bridge, a NIC), in {@link parentNamespace}: declared in
   * the stack or existing (one the stack does not own is only referenced, never changed). The
   * kernel deletes a macvlan with its parent and cannot move it to another: changing it replaces.
   */
  parent: orUnknown(interfaceName),
  /**
   * The parent's namespace; omitted: the macvlan's own. When it differs, the macvlan is made there
   * and moved at once into `namespace` (`ip -n P link add ... link PARENT netns N`).
   */
  parentNamespace: orUnknown(namespaceName).optional(),
  /**
   * How it shares the parent: `bridge` (macvlans on one parent talk to each other), `private`,
   * `vepa`, `passthru` (the only one on its parent, with the parent's MAC) or `source`.
   */
  mode: orUnknown(z.enum(MACVLAN_MODES)).default("bridge"),
};

/**
 * A link cannot be its own parent; a macvlan in the host namespace cannot take its parent from a
 * namespace (the host namespace has no name to move it into). Skipped while a value is unknown.
 */
export function refineMacvlan(value: unknown, ctx: z.core.$RefinementCtx): void {
  refineLink(value, ctx);
  if (typeof value !== "object" || value === null) return;
  const { name, namespace, parent, parentNamespace } = value as Record<string, unknown>;
  if ([name, namespace, parent, parentNamespace].some(isUnknown)) return;
  if (namespace === undefined && parentNamespace !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["parentNamespace"],
      input: parentNamespace,
      message:
        "a link in the host namespace takes its parent from the host namespace; omit parentNamespace " +
        "or give the link a namespace",
    });
    return;
  }
  if (name === parent && (parentNamespace === undefined || parentNamespace === namespace)) {
    ctx.addIssue({
      code: "custom",
      path: ["parent"],
      input: parent,
      message: `a link cannot be its own parent; ${JSON.stringify(name)} names itself`,
    });
  }
}

/** Every input of a macvlan (and of a macvtap): the link fields, its own, the ownership fields. */
export const macvlanShape = {
  ...linkFields,
  ...rateFields,
  ...macvlanFields,
  adopt: adoptField,
  managedBy: managedByField,
  /** The owning stack's instance id, from the SDK's StackInstance resource; part of the mark. */
  stackInstance: stackInstanceField,
  /** The machine it lives on, over SSH; unset: this one. Moving it replaces it. */
  host: hostField,
};

/** `ip link add name X link PARENT [netns N] type macvlan mode M`. */
export const macvlanSchema = z.strictObject(macvlanShape).superRefine(refineMacvlan, { when: () => true });

/** What users write (the SDK wraps each field in `pulumi.Input`). */
export type MacvlanInputs = z.input<typeof macvlanSchema>;
/** What `check` returns: defaults applied; during preview any value may still be UNKNOWN. */
export type MacvlanChecked = z.output<typeof macvlanSchema>;
/** Defaults applied and every value known: what `create` and `update` receive. */
export type MacvlanResolved = Known<MacvlanChecked>;

/**
 * Tried on Linux 6.18 (`ip link set dev X type macvlan mode M`): bridge, private, vepa and source
 * change into one another in place; into or out of passthru the kernel answers EINVAL (a
 * passthru macvlan owns its parent), so that replaces. `link P` is not changed by `link set`, and
 * a parent in another namespace is another parent: both replace.
 */
export const macvlanRules = {
  ...rateRules,
  parent: replace,
  parentNamespace: replace,
  mode: updateUnless((prev, next) => prev === "passthru" || next === "passthru"),
};

/** The parent's namespace as the kernel sees it: omitted means the macvlan's own. */
export const parentNamespaceResolved = (resolved: Record<string, unknown>): Record<string, unknown> => ({
  ...resolved,
  parentNamespace: resolved.parentNamespace ?? resolved.namespace,
});

export const diffMacvlan = diffBy({
  schema: macvlanSchema,
  fields: { ...linkRules, ...macvlanRules, ...ownershipRules },
  identity: LINK_IDENTITY,
  comparable: parentNamespaceResolved,
});
