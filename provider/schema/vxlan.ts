import { z } from "zod";
import { hostField } from "./host";
import { canonicalAddress, parseAddress, type AddressValue, type Family } from "../address";
import { interfaceName } from "./names";
import { adoptField, managedByField, stackInstanceField } from "./ownershipFields";
import { quote, ruledNumber, ruledString } from "./rules";
import { isUnknown, type Known, orUnknown } from "./unknown";
import { diffBy, type InputDiff, mayEqual, ownershipRules, replace, update } from "./diff";
import { LINK_IDENTITY, linkFields, linkRules, refineLink } from "./link";
import { rateFields, rateRules } from "./rate";

/** VXLAN network identifiers are 24 bits; 0 is left out as the issue asks (the kernel takes it). */
export const VNI_MAX = 16_777_215;
/** IANA's VXLAN port (RFC 7348). The kernel's own default, when ip sends 0, is Linux's old 8472. */
export const VXLAN_PORT = 4789;

const isMulticast = ({ family, value }: AddressValue) =>
  family === 4 ? value >> 28n === 0xen : value >> 120n === 0xffn;
/** fe80::/10, the scope the kernel's link-local rules are about. */
const isLinkLocalUnicast = ({ family, value }: AddressValue) => family === 6 && value >> 118n === 0x3fan;

/** One IPv4 or IPv6 address, without prefix or zone, judged by `rule` once parsed. */
function addressProblems(field: string, rule: (a: AddressValue, text: string) => string | undefined) {
  return (text: string): string[] => {
    if (text.includes("/")) return [`${field} is one address, without a prefix length; got ${quote(text)}`];
    const parsed = parseAddress(text);
    if (parsed === undefined) {
      return [
        `${field}: ${quote(text)} is not an IPv4 address (dotted quad, no leading zeros) or an IPv6 address`,
      ];
    }
    if (parsed.value === 0n) {
      return [
        `${field} cannot be the unspecified address (the kernel reads it as "none"): omit ${field}; got ${quote(text)}`,
      ];
    }
    const problem = rule(parsed, text);
    return problem === undefined ? [] : [problem];
  };
}

const unicastOnly = (field: string, instead: string) =>
  addressProblems(field, (a, text) =>
    isMulticast(a) ? `${field} is a unicast address; ${quote(text)} is multicast (${instead})` : undefined,
  );

/** An address field in the one canonical spelling (provider/address.ts), so diff and read-back agree. */
const address = (problems: (text: string) => string[]) => ruledString(problems).transform(canonicalAddress);

export const vxlanRemote = address(unicastOnly("remote", "a multicast peer is `group`"));
export const vxlanLocal = address(unicastOnly("local", "the source address is one of this host's"));
export const vxlanGroup = address(
  addressProblems("group", (a, text) =>
    isMulticast(a)
      ? undefined
      : `group is a multicast address (224.0.0.0/4 or ff00::/8); ${quote(text)} is not (a unicast peer is \`remote\`)`,
  ),
);

function integerIn(field: string, min: number, max: number, why: string) {
  return (value: number): string[] =>
    Number.isInteger(value) && value >= min && value <= max
      ? []
      : [`${field} is an integer from ${min} to ${max} (${why}); got ${quote(value)}`];
}

export const vni = ruledNumber(integerIn("vni", 1, VNI_MAX, "24 bits"));
/** 0 is not a port to the kernel: it means "the default", 8472, which is not what was asked. */
export const dstPort = ruledNumber(integerIn("dstPort", 1, 65_535, "a UDP port"));
const sourcePort = ruledNumber(integerIn("srcPortRange", 0, 65_535, "UDP ports"));

/**
 * `[low, high]`, both included; the kernel refuses low > high. `[0, 0]` is how the kernel says
 * "unset" (it then uses the local port range), so it is read as omitted: one spelling per value.
 */
export const srcPortRange = z
  .tuple([sourcePort, sourcePort])
  .superRefine(([low, high], ctx) => {
    if (low > high) {
      ctx.addIssue({
        code: "custom",
        input: [low, high],
        message: `srcPortRange is [low, high] with low <= high (the kernel refuses the reverse); got [${low}, ${high}]`,
      });
    }
  })
  .transform((range): [number, number] | undefined => (range[0] === 0 && range[1] === 0 ? undefined : range));

/** 1-255, or 0 / "auto": the route's hop limit. Read back as a number, so "auto" is 0. */
export const ttl = z
  .union([ruledNumber(integerIn("ttl", 0, 255, `0 is "auto"`)), z.literal("auto")], {
    error: (iss) => `ttl is an integer from 0 to 255 or "auto"; got ${quote(iss.input)}`,
  })
  .transform((v) => (v === "auto" ? 0 : v));

/**
 * `ip link add name X type vxlan id VNI [remote A | group A dev D] [local A] [dev D] dstport P
 * [srcport L H] ttl T [no]learning`, plus the common link fields (`master` joins a bridge).
 */
export const vxlanSchema = z
  .strictObject({
    ...linkFields,
    ...rateFields,
    /** The VXLAN network identifier, 1-16777215. Fixed at creation: a change replaces the device. */
    vni: orUnknown(vni),
    /** The unicast peer (the other tunnel end). Changes in place within its address family. */
    remote: orUnknown(vxlanRemote).optional(),
    /** A multicast group to flood to; needs `dev`. Exclusive with `remote`. Changes in place. */
    group: orUnknown(vxlanGroup).optional(),
    /** The source address of the tunnel's packets; omitted: any. Changes in place within its family. */
    local: orUnknown(vxlanLocal).optional(),
    /** The underlay interface, in the same namespace. Changes in place; removing it replaces the device. */
    dev: orUnknown(interfaceName).optional(),
    /** UDP destination port; default 4789 (IANA). Fixed at creation. */
    dstPort: orUnknown(dstPort).default(VXLAN_PORT),
    /** Learn remote MACs from received packets (the kernel default). Changes in place. */
    learning: orUnknown(z.boolean()).default(true),
    /** The outer packets' TTL; 0 or "auto" (default): the route's. Changes in place. */
    ttl: orUnknown(ttl).default(0),
    /** UDP source ports `[low, high]`; omitted: the local port range. Fixed at creation. */
    srcPortRange: orUnknown(srcPortRange).optional(),
    adopt: adoptField,
    managedBy: managedByField,
    /** The owning stack's instance id, from the SDK's StackInstance resource; part of the mark. */
    stackInstance: stackInstanceField,
    /** The machine it lives on, over SSH; unset: this one. Moving it replaces it. */
    host: hostField,
  })
  .superRefine((value, ctx) => refineVxlan(value, ctx), { when: () => true });

const known = (v: unknown): v is string => typeof v === "string" && !isUnknown(v);

/** The address family of a VXLAN device: that of its remote, group or local; IPv4 without any. */
export function vxlanFamily(inputs: {
  remote?: unknown;
  group?: unknown;
  local?: unknown;
}): Family | undefined {
  const fields = [inputs.remote, inputs.group, inputs.local];
  if (fields.some(isUnknown)) return undefined;
  const first = fields.find(known);
  return first === undefined ? 4 : parseAddress(first)?.family;
}

function refineVxlan(value: unknown, ctx: z.core.$RefinementCtx): void {
  refineLink(value, ctx);
  if (typeof value !== "object" || value === null) return;
  const { remote, group, local, dev } = value as Record<string, unknown>;
  const issue = (path: string, input: unknown, message: string) =>
    ctx.addIssue({ code: "custom", path: [path], input, message });
  if (remote !== undefined && group !== undefined) {
    issue("group", group, "a VXLAN device has either a unicast `remote` or a multicast `group`, not both");
  }
  if (group !== undefined && dev === undefined) {
    issue("dev", dev, "a multicast `group` needs `dev`, the underlay interface to join it on");
  }
  const parsed = (v: unknown) => (known(v) ? parseAddress(v) : undefined);
  const peerField = group !== undefined ? "group" : "remote";
  const peer = parsed(group ?? remote);
  const source = parsed(local);
  if (peer && source && peer.family !== source.family) {
    issue(
      "local",
      local,
      `local and ${peerField} must be of one address family; got ${quote(local)} and ${quote(group ?? remote)}`,
    );
    return;
  }
  // The kernel's rules for IPv6 link-local tunnels (vxlan_config_validate).
  if (source && isLinkLocalUnicast(source)) {
    if (!peer || !(isLinkLocalUnicast(peer) || isMulticast(peer))) {
      issue("local", local, "a link-local local address needs a link-local remote or a multicast group");
    }
    if (dev === undefined)
      issue("dev", dev, "a link-local local address needs `dev`, the interface its scope is");
  } else if (peer && isLinkLocalUnicast(peer)) {
    issue(peerField, remote, "a link-local remote needs a link-local local address (and `dev`)");
  }
}

/** What users write (the SDK wraps each field in `pulumi.Input`). */
export type VxlanInputs = z.input<typeof vxlanSchema>;
/** What `check` returns: defaults applied; during preview any value may still be UNKNOWN. */
export type VxlanChecked = z.output<typeof vxlanSchema>;
/** Defaults applied and every value known: what `create` and `update` receive. */
export type VxlanResolved = Known<VxlanChecked>;

// What `ip link set dev X type vxlan ...` changes in place, tried on this kernel (6.18):
// - vni: refused ("Cannot change VNI"): replace.
// - dstPort: refused even when unchanged ("Cannot change port"): replace.
// - srcPortRange: refused ("Cannot change port range"): replace.
// - remote, group, local: changed, also on a device that is up, also remote <-> group and to none
//   (`remote 0.0.0.0`, `local ::`); a change of address family is refused ("New group address
//   family does not match old group"): replace (see diffVxlan).
// - dev: set or changed in place, the MTU kept; ip has no way to remove it: replace.
// - ttl: in place, "auto" read back as 0; `ttl inherit` cannot be toggled in place (not offered).
// - learning: in place.
// - mtu: in place, at most the underlay's MTU minus the 50 (IPv4) or 70 (IPv6) byte header.
// Deleting the underlay `dev` deletes the VXLAN device with it (the kernel's lowerdev notifier).
const diffFields = diffBy({
  schema: vxlanSchema,
  fields: {
    ...linkRules,
    ...rateRules,
    vni: replace,
    remote: update,
    group: update,
    local: update,
    dev: update,
    dstPort: replace,
    learning: update,
    ttl: update,
    srcPortRange: replace,
    ...ownershipRules,
  },
  identity: LINK_IDENTITY,
});

const ADDRESS_FIELDS = ["remote", "group", "local"] as const;

/** Inputs as diff sees them: each address field resolved to its canonical spelling. */
function resolved(raw: unknown): Record<string, unknown> {
  const fields = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
  const shape = vxlanSchema.shape;
  const out: Record<string, unknown> = { ...fields };
  for (const key of ADDRESS_FIELDS) {
    const parsed = shape[key].safeParse(fields[key]);
    if (parsed.success) out[key] = parsed.data;
  }
  return out;
}

/**
 * The field rules, and the two changes the kernel cannot make in place although the field
 * otherwise can: a new address family (remote, group, local) and removing `dev`.
 */
export function diffVxlan(olds: unknown, news: unknown): InputDiff {
  const base = diffFields(olds, news);
  const prev = resolved(olds);
  const next = resolved(news);
  const oldFamily = vxlanFamily(prev);
  const newFamily = vxlanFamily(next);
  const familyChanged = oldFamily === undefined || newFamily === undefined || oldFamily !== newFamily;
  const devRemoved = prev.dev !== undefined && next.dev === undefined;
  const moved = base.updates.filter(
    (path) =>
      (familyChanged && (ADDRESS_FIELDS as readonly string[]).includes(path)) ||
      (devRemoved && path === "dev"),
  );
  if (moved.length === 0) return base;
  const replaces = [...base.replaces, ...moved];
  return {
    changes: true,
    replaces,
    updates: base.updates.filter((p) => !moved.includes(p)),
    deleteBeforeReplace: LINK_IDENTITY.every((k) => mayEqual(prev[k], next[k])),
  };
}
