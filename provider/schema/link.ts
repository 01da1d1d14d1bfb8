/**
 * Fields every link kind shares (the `LinkAttrs` of vishvananda/netlink). A link lives in
 * `namespace`, or in the host namespace when `namespace` is omitted.
 */
import { z } from "zod";
import { addressList, macAddress } from "./addresses";
import { mtu } from "./mtu";
import { interfaceName, interfaceNameProblems, namespaceName } from "./names";
import { isUnknown, type Known, orUnknown } from "./unknown";
import { cidrSet, type DiffRules, mac, replace, update } from "./diff";
import { rateFields, rateFrameProblems, rateRules } from "./rate";

export const linkFields = {
  /** Interface name; see `interfaceNameProblems`. Changing it replaces the link. */
  name: orUnknown(interfaceName),
  /** Namespace the link lives in; omitted means the host namespace. Changing it replaces the link. */
  namespace: orUnknown(namespaceName).optional(),
  /** Addresses in CIDR form (`10.0.0.1/24`, `fd00::1/64`); a set: order does not matter. */
  addresses: orUnknown(addressList).default([]),
  /** Omitted: the kernel's default for the link kind, left as found. */
  mtu: orUnknown(mtu).optional(),
  /** Unicast MAC address; omitted: the kernel picks a random one. */
  macAddress: orUnknown(macAddress).optional(),
  /** Administrative state (`ip link set dev X up`). */
  up: orUnknown(z.boolean()).default(true),
  /** A bridge in the same namespace to enslave this link to (`ip link set dev X master Y`). */
  master: orUnknown(interfaceName).optional(),
};

/**
 * A link cannot be its own master (skipped while either name is unknown); a rate, where the kind
 * takes one, must pass a full-size frame of the link.
 */
export function refineLink(
  value: unknown,
  ctx: z.core.$RefinementCtx,
  path: readonly PropertyKey[] = [],
): void {
  if (typeof value !== "object" || value === null) return;
  const { name, master, rate, mtu } = value as {
    name?: unknown;
    master?: unknown;
    rate?: unknown;
    mtu?: unknown;
  };
  for (const problem of rateFrameProblems(rate, typeof mtu === "number" ? mtu : undefined)) {
    ctx.addIssue({
      code: "custom",
      path: [...path, "rate", problem.path],
      input: rate,
      message: problem.message,
    });
  }
  if (typeof name !== "string" || typeof master !== "string" || isUnknown(name) || isUnknown(master)) return;
  if (interfaceNameProblems(name).length > 0) return;
  if (name === master) {
    ctx.addIssue({
      code: "custom",
      path: [...path, "master"],
      input: master,
      message: `a link cannot be its own master; ${JSON.stringify(name)} names itself`,
    });
  }
}

/** The link fields alone: what the diff rules every link kind shares ({@link linkRules}) cover. */
type LinkFieldsSchema = z.ZodObject<typeof linkFields, z.core.$strict>;

/** One end of a veth pair: the link fields and an egress rate limit. */
export const linkEndSchema = z
  .strictObject({ ...linkFields, ...rateFields })
  .superRefine((value, ctx) => refineLink(value, ctx), { when: () => true });

/** What users write (the SDK wraps each field in `pulumi.Input`). */
export type LinkInputs = z.input<typeof linkEndSchema>;
/** What `check` returns: defaults applied; during preview any value may still be UNKNOWN. */
export type LinkChecked = z.output<typeof linkEndSchema>;
/** Defaults applied and every value known: what `create` and `update` receive. */
export type LinkResolved = Known<LinkChecked>;

/** A link is named by (namespace, name): a new one of either is another link. */
export const linkRules: DiffRules<LinkFieldsSchema> = {
  name: replace,
  namespace: replace,
  addresses: cidrSet,
  mtu: update,
  macAddress: mac,
  up: update,
  master: update,
};

/** The rules of a veth end: the link's and its rate's. */
export const linkEndRules: DiffRules<typeof linkEndSchema> = { ...linkRules, ...rateRules };

/** Link inputs that name the link: a new link of equal identity collides with the old one. */
export const LINK_IDENTITY = ["namespace", "name"] as const;
