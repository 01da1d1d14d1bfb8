// One canonical spelling per IP address, used by `check`, `diff` and the kernel layer's read-back
// alike, so what a user writes and what `ip` prints compare equal and preview never disagrees with
// refresh. Pure (node:net only), so both layers can import it.
import { isIPv4, isIPv6 } from "node:net";

export type Family = 4 | 6;

/** An IPv4 or IPv6 address as a number. */
export interface AddressValue {
  readonly family: Family;
  readonly value: bigint;
}

/**
 * An IPv4 (dotted quad, no leading zeros) or IPv6 address, without zone or prefix, as a number;
 * undefined if it is neither.
 */
export function parseAddress(address: string): AddressValue | undefined {
  if (isIPv4(address)) {
    return { family: 4, value: address.split(".").reduce((acc, o) => (acc << 8n) | BigInt(o), 0n) };
  }
  if (!isIPv6(address) || address.includes("%")) return undefined;
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/u.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const words = (s: string | undefined) => (s ? s.split(":").map((w) => parseInt(w, 16)) : []);
  const h = words(head);
  const t = words(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return { family: 6, value: all.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n) };
}

/**
 * The address as `ip` prints it: IPv4 dotted; IPv6 as glibc's inet_ntop(3) spells it (lowercase,
 * the first longest run of two or more zero words compressed, the last 32 bits dotted for
 * IPv4-mapped `::ffff:0:0/96` and IPv4-compatible addresses).
 */
export function formatAddress({ family, value }: AddressValue): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join(".");
  const w = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => Number((value >> s) & 0xffffn));
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  w.forEach((x, i) => {
    if (x === 0) {
      cur = cur.base < 0 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (cur.len > best.len) best = cur;
    } else cur = { base: -1, len: 0 };
  });
  if (best.len < 2) best = { base: -1, len: 0 };
  const embedV4 = best.base === 0 && (best.len === 6 || (best.len === 5 && w[5] === 0xffff));
  const out: string[] = [];
  for (let i = 0; i < (embedV4 ? 6 : 8); i++) {
    if (i === best.base) out.push(i === 0 ? ":" : "");
    if (i >= best.base && i < best.base + best.len) continue;
    out.push((w[i] ?? 0).toString(16));
  }
  if (best.base >= 0 && best.base + best.len === 8) out.push("");
  if (embedV4) {
    const [hi, lo] = [w[6] ?? 0, w[7] ?? 0];
    out.push(`${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`);
  }
  return out.join(":");
}

/** The canonical spelling of an address ({@link formatAddress}); anything else unchanged. */
export function canonicalAddress(address: string): string {
  const parsed = parseAddress(address);
  return parsed === undefined ? address : formatAddress(parsed);
}

/**
 * An address in CIDR form, parsed; a missing prefix is /32 or /128 (how `ip` prints a host
 * route). Undefined if it is not an address with a prefix length in range.
 */
export function parseCidr(
  cidr: string,
): { readonly address: AddressValue; readonly prefix: number } | undefined {
  const slash = cidr.lastIndexOf("/");
  const address = parseAddress(slash < 0 ? cidr : cidr.slice(0, slash));
  if (address === undefined) return undefined;
  const max = address.family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(max) : cidr.slice(slash + 1);
  if (!/^\d{1,3}$/u.test(prefixText) || Number(prefixText) > max) return undefined;
  return { address, prefix: Number(prefixText) };
}

/**
 * The canonical text of an address in CIDR form: the address as {@link formatAddress} spells it,
 * the prefix length as a plain number, /32 or /128 when missing (see {@link parseCidr}). Host
 * bits are kept (an interface address is not a network). Anything else is returned unchanged, so
 * diffing state written under older rules never throws; `check` refuses such values, and the
 * kernel layer refuses them again before they reach `ip`.
 */
export function canonicalCidr(cidr: string): string {
  const parsed = parseCidr(cidr);
  return parsed === undefined ? cidr : `${formatAddress(parsed.address)}/${parsed.prefix}`;
}

/** Whether a canonical CIDR or address is IPv6. */
export const isIPv6Cidr = (cidr: string): boolean => cidr.includes(":");
