import { z } from "zod";
import { hostField } from "./host";
import { adoptField, managedByField, stackInstanceField } from "./ownershipFields";
import { quote, ruledNumber } from "./rules";
import { type Known, orUnknown } from "./unknown";
import { diffBy, ownershipRules, replace } from "./diff";
import { LINK_IDENTITY, linkFields, linkRules, refineLink } from "./link";
import { rateFields, rateRules } from "./rate";

/** (uid_t)-1 means "no owner" to the tun driver, so the largest usable id is 2^32 - 2. */
export const ID_MAX = 2 ** 32 - 2;

function idProblems(field: string, what: string) {
  return (value: number): string[] =>
    Number.isInteger(value) && value >= 0 && value <= ID_MAX
      ? []
      : [`${field} is a ${what}: an integer from 0 to ${ID_MAX} (2^32-1 means "none"); got ${quote(value)}`];
}

/** The tun driver's max_mtu as `ip -d link show` reports it for a tap: 65521, not ETH_MAX_MTU (65535). */
export const TAP_MTU_MAX = 65521;

/** `ip tuntap add dev X mode tap [user U] [group G] [multi_queue] [vnet_hdr]`. */
export const tapDeviceSchema = z
  .strictObject({
    ...linkFields,
    ...rateFields,
    /** uid allowed to attach without CAP_NET_ADMIN. Fixed at creation: changing it replaces the device. */
    owner: orUnknown(ruledNumber(idProblems("owner", "uid"))).optional(),
    /** gid allowed to attach. Fixed at creation: changing it replaces the device. */
    group: orUnknown(ruledNumber(idProblems("group", "gid"))).optional(),
    /** IFF_MULTI_QUEUE; fixed at creation. */
    multiQueue: orUnknown(z.boolean()).default(false),
    /** IFF_VNET_HDR; fixed at creation. */
    vnetHdr: orUnknown(z.boolean()).default(false),
    adopt: adoptField,
    managedBy: managedByField,
    /** The owning stack's instance id, from the SDK\'s StackInstance resource; part of the mark. */
    stackInstance: stackInstanceField,
    /** The machine it lives on, over SSH; unset: this one. Moving it replaces it. */
    host: hostField,
  })
  .superRefine(
    (value, ctx) => {
      refineLink(value, ctx);
      const { mtu } = (value ?? {}) as { mtu?: unknown };
      if (typeof mtu === "number" && mtu > TAP_MTU_MAX) {
        ctx.addIssue({
          code: "custom",
          path: ["mtu"],
          input: mtu,
          message: `a tap's mtu is at most ${TAP_MTU_MAX} (the tun driver's max_mtu); got ${mtu}`,
        });
      }
    },
    { when: () => true },
  );

/** What users write (the SDK wraps each field in `pulumi.Input`). */
export type TapDeviceInputs = z.input<typeof tapDeviceSchema>;
/** What `check` returns: defaults applied; during preview any value may still be UNKNOWN. */
export type TapDeviceChecked = z.output<typeof tapDeviceSchema>;
/** Defaults applied and every value known: what `create` and `update` receive. */
export type TapDeviceResolved = Known<TapDeviceChecked>;

/** The tun driver fixes owner, group and flags when it makes the device: changing one replaces it. */
export const diffTapDevice = diffBy({
  schema: tapDeviceSchema,
  fields: {
    ...linkRules,
    ...rateRules,
    owner: replace,
    group: replace,
    multiQueue: replace,
    vnetHdr: replace,
    ...ownershipRules,
  },
  identity: LINK_IDENTITY,
});
