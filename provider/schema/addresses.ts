/** IP addresses in CIDR form, lists of them, and MAC addresses. */
import { isIPv4, isIPv6 } from "node:net";
import { z } from "zod";
import { canonicalCidr } from "../address";
import { quote, ruledString } from "./rules";
import { isUnknown, orUnknown } from "./unknown";

const PREFIX = /^(0|[1-9][0-9]{0,2})$/u;

function splitCidr(cidr: string): { address: string; prefix: string } | undefined {
  const slash = cidr.lastIndexOf("/");
  if (slash < 0) return undefined;
  return { address: cidr.slice(0, slash), prefix: cidr.slice(slash + 1) };
}

/** `a.b.c.d/p` (p 0-32) or an IPv6 address in any textual form with `/p` (p 0-128). */
export function cidrProblems(cidr: string): string[] {
  const parts = splitCidr(cidr);
  const example = "e.g. 10.0.0.1/24 or fd00::1/64";
  if (parts === undefined) return [`addresses need a prefix length, ${example}; ${quote(cidr)} has none`];
  const { address, prefix } = parts;
  if (address.includes("%")) return [`addresses cannot carry a zone index ("%..."); got ${quote(cidr)}`];
  // node:net's checks are the well-tested ones; isIPv4 refuses leading zeros ("010.0.0.1").
  const max = isIPv4(address) ? 32 : isIPv6(address) ? 128 : undefined;
  if (max === undefined) {
    return [`${quote(address)} is not an IPv4 address (dotted quad, no leading zeros) or an IPv6 address`];
  }
  if (!PREFIX.test(prefix) || Number(prefix) > max) {
    return [
      `the prefix length of an IPv${max === 32 ? 4 : 6} address is 0-${max} (no sign or leading zeros); got ${quote(prefix)}`,
    ];
  }
  return [];
}

export const cidr = ruledString(cidrProblems);

/** Entries listed twice (after normalisation), reported on the later index. */
export const addressList = z.array(orUnknown(cidr)).superRefine(
  (list, ctx) => {
    if (!Array.isArray(list)) return;
    const seen = new Map<string, number>();
    list.forEach((entry, index) => {
      if (typeof entry !== "string" || isUnknown(entry) || cidrProblems(entry).length > 0) return;
      const key = canonicalCidr(entry);
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, index);
        return;
      }
      ctx.addIssue({
        code: "custom",
        path: [index],
        input: entry,
        message: `addresses must be listed once; ${quote(entry)} is the same address as addresses[${first}]`,
      });
    });
  },
  // Runs even when another element is malformed, so duplicates are reported in the same pass.
  { when: () => true },
);

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/iu;

export function macAddressProblems(mac: string): string[] {
  if (!MAC.test(mac)) {
    return [`MAC addresses are six colon-separated hex octets, e.g. 02:00:00:00:00:01; got ${quote(mac)}`];
  }
  const lower = mac.toLowerCase();
  if (lower === "ff:ff:ff:ff:ff:ff") return [`MAC addresses must be unicast; ff:ff:ff:ff:ff:ff is broadcast`];
  if ((parseInt(lower.slice(0, 2), 16) & 1) === 1) {
    return [
      `MAC addresses must be unicast (least significant bit of the first octet clear); ${quote(mac)} is multicast`,
    ];
  }
  if (lower === "00:00:00:00:00:00")
    return [`MAC addresses must be unicast and non-zero; 00:00:00:00:00:00 is unusable`];
  return [];
}

export const macAddress = ruledString(macAddressProblems);
