import { z } from "zod";
import { isUnknown, type Known } from "./unknown";
import { diffBy, ownershipRules } from "./diff";
import { LINK_IDENTITY, linkRules } from "./link";
import { macvlanRules, macvlanShape, parentNamespaceResolved, refineMacvlan } from "./macvlan";

/**
 * `ip link add name X link PARENT [netns N] type macvtap mode M`: a macvlan whose frames go to a
 * character device (`/dev/tapN`) instead of the stack. The kernel keeps no owner for it (unlike a
 * tun tap's TUNSETOWNER): who may open it is the device node's owner and mode, so it has no
 * `owner` or `group` input.
 */
export const macvtapSchema = z.strictObject(macvlanShape).superRefine(
  (value, ctx) => {
    refineMacvlan(value, ctx);
    const { master } = (value ?? {}) as { master?: unknown };
    // Tried: `ip link set dev MACVTAP master BR` answers EBUSY; the tap device holds its frames.
    if (master !== undefined && !isUnknown(master)) {
      ctx.addIssue({
        code: "custom",
        path: ["master"],
        input: master,
        message: "a macvtap cannot be a bridge port (the kernel answers EBUSY): omit master",
      });
    }
  },
  { when: () => true },
);

/** What users write (the SDK wraps each field in `pulumi.Input`). */
export type MacvtapInputs = z.input<typeof macvtapSchema>;
/** What `check` returns: defaults applied; during preview any value may still be UNKNOWN. */
export type MacvtapChecked = z.output<typeof macvtapSchema>;
/** Defaults applied and every value known: what `create` and `update` receive. */
export type MacvtapResolved = Known<MacvtapChecked>;

/** As a macvlan's (tried the same way with `type macvtap`): mode in place except passthru. */
export const diffMacvtap = diffBy({
  schema: macvtapSchema,
  fields: { ...linkRules, ...macvlanRules, ...ownershipRules },
  identity: LINK_IDENTITY,
  comparable: parentNamespaceResolved,
});
