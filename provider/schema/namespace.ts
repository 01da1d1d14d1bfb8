import { z } from "zod";
import { hostField } from "./host";
import { namespaceName } from "./names";
import { adoptField, managedByField, stackInstanceField } from "./ownershipFields";
import { sysctlKey, sysctlValue } from "./sysctl";
import { type Known, orUnknown } from "./unknown";
import { diffBy, ownershipRules, record, replace } from "./diff";

/** `ip netns add NAME`, plus per-namespace network sysctls. */
export const namespaceSchema = z.strictObject({
  /** Required here; the SDK defaults it to the resource name. Changing it replaces the namespace. */
  name: orUnknown(namespaceName),
  /** `net.*` sysctl key to value; integers are turned into strings. */
  sysctls: orUnknown(z.record(sysctlKey, orUnknown(sysctlValue))).default({}),
  /** Take over a namespace that already exists instead of failing. */
  adopt: adoptField,
  /** `<project>/<stack>/<kind>/<name>`, computed by the SDK; recorded as the ownership mark. */
  managedBy: managedByField,
  /** The owning stack's instance id, from the SDK's StackInstance resource; part of the mark. */
  stackInstance: stackInstanceField,
  /** The machine it lives on, over SSH; unset: this one. Moving it replaces it. */
  host: hostField,
});

/** What users write (the SDK wraps each field in `pulumi.Input`). */
export type NamespaceInputs = z.input<typeof namespaceSchema>;
/** What `check` returns: defaults applied; during preview any value may still be UNKNOWN. */
export type NamespaceChecked = z.output<typeof namespaceSchema>;
/** Defaults applied and every value known: what `create` and `update` receive. */
export type NamespaceResolved = Known<NamespaceChecked>;

/**
 * A new name is another namespace. `name` is the only replace field, so a known replacement never
 * collides; only an unknown name (preview) might.
 */
export const diffNamespace = diffBy({
  schema: namespaceSchema,
  fields: { name: replace, sysctls: record, ...ownershipRules },
  identity: ["name"],
});
