import { z } from "zod";
import { hostField } from "./host";
import { adoptField, managedByField, stackInstanceField } from "./ownershipFields";
import { quote, ruledNumber } from "./rules";
import { type Known, orUnknown } from "./unknown";
import { diffBy, ownershipRules, update } from "./diff";
import { LINK_IDENTITY, linkFields, linkRules, refineLink } from "./link";

/**
 * Seconds with at most centisecond precision: iproute2 and the kernel take bridge timers as
 * clock_t (USER_HZ = 100 ticks a second), so the kernel layer sends `Math.round(seconds * 100)`.
 */
function secondsProblems(field: string, min: number, max: number, why: string) {
  return (value: number): string[] => {
    const problems: string[] = [];
    if (!(value >= min && value <= max))
      problems.push(`${field} is ${min}-${max} seconds (${why}); got ${quote(value)}`);
    if (Math.abs(value * 100 - Math.round(value * 100)) > 1e-6) {
      problems.push(
        `${field} has at most centisecond precision (the kernel counts 1/100 s); got ${quote(value)}`,
      );
    }
    return problems;
  };
}

/** With STP on the kernel refuses anything outside BR_MIN/MAX_FORWARD_DELAY (br_stp.c). */
export const FORWARD_DELAY_STP_MIN = 2;
export const FORWARD_DELAY_MAX = 30;
/** IEEE 802.1D Table 7-4's upper bound; the kernel itself takes any u32 of centiseconds. */
export const AGEING_TIME_MAX = 1_000_000;

/** `ip link add name X type bridge stp_state .. vlan_filtering .. forward_delay .. ageing_time ..`. */
export const bridgeSchema = z
  .strictObject({
    ...linkFields,
    /** Kernel STP (`stp_state 1`). */
    stp: orUnknown(z.boolean()).default(false),
    vlanFiltering: orUnknown(z.boolean()).default(false),
    /**
     * Seconds; omitted: the kernel default (15 s). 0-30, and 2-30 while `stp` is on: outside that
     * the kernel answers ERANGE; with STP off it stores anything but clamps to 2-30 when STP starts.
     */
    forwardDelay: orUnknown(
      ruledNumber(secondsProblems("forwardDelay", 0, FORWARD_DELAY_MAX, "BR_MAX_FORWARD_DELAY")),
    ).optional(),
    /** Seconds a learnt MAC stays in the FDB; omitted: the kernel default (300 s). 0 disables learning's memory. */
    ageingTime: orUnknown(
      ruledNumber(secondsProblems("ageingTime", 0, AGEING_TIME_MAX, "IEEE 802.1D's range")),
    ).optional(),
    adopt: adoptField,
    managedBy: managedByField,
    /** The owning stack's instance id, from the SDK's StackInstance resource; part of the mark. */
    stackInstance: stackInstanceField,
    /** The machine it lives on, over SSH; unset: this one. Moving it replaces it. */
    host: hostField,
  })
  .superRefine(
    (value, ctx) => {
      refineLink(value, ctx);
      const { stp, forwardDelay } = (value ?? {}) as { stp?: unknown; forwardDelay?: unknown };
      if (stp !== true || typeof forwardDelay !== "number" || forwardDelay < 0) return;
      if (forwardDelay < FORWARD_DELAY_STP_MIN) {
        ctx.addIssue({
          code: "custom",
          path: ["forwardDelay"],
          input: forwardDelay,
          message: `with stp on, forwardDelay is ${FORWARD_DELAY_STP_MIN}-${FORWARD_DELAY_MAX} seconds (the kernel's BR_MIN_FORWARD_DELAY); got ${forwardDelay}`,
        });
      }
    },
    { when: () => true },
  );

/** What users write (the SDK wraps each field in `pulumi.Input`). */
export type BridgeInputs = z.input<typeof bridgeSchema>;
/** What `check` returns: defaults applied; during preview any value may still be UNKNOWN. */
export type BridgeChecked = z.output<typeof bridgeSchema>;
/** Defaults applied and every value known: what `create` and `update` receive. */
export type BridgeResolved = Known<BridgeChecked>;

/** Every bridge setting changes in place (`ip link set dev X type bridge ...`). */
export const diffBridge = diffBy({
  schema: bridgeSchema,
  fields: {
    ...linkRules,
    stp: update,
    vlanFiltering: update,
    forwardDelay: update,
    ageingTime: update,
    ...ownershipRules,
  },
  identity: LINK_IDENTITY,
});
