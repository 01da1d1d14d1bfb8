import { isIPv4, isIPv6 } from "node:net";
import { defaultIp, type Ip } from "./ip";

/**
 * The canonical text of an interface address in CIDR form, so that what users write compares
 * equal to what `ip` prints: IPv6 lowercased and compressed as inet_ntop(3) does (RFC 5952, with
 * `::ffff:a.b.c.d` for IPv4-mapped), a missing prefix becomes /32 or /128. Host bits are kept (an
 * interface address is not a network). Throws on anything that is not an IPv4/IPv6 address.
 */
export function normalizeCidr(cidr: string): string {
  const slash = cidr.indexOf("/");
  const addr = slash < 0 ? cidr : cidr.slice(0, slash);
  const prefixText = slash < 0 ? undefined : cidr.slice(slash + 1);
  const v6 = isIPv6(addr) && !addr.includes("%");
  if (!v6 && !isIPv4(addr)) throw new Error(`not an IPv4 or IPv6 address: ${JSON.stringify(cidr)}`);
  const max = v6 ? 128 : 32;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) {
    throw new Error(`bad prefix length in ${JSON.stringify(cidr)}`);
  }
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) throw new Error(`prefix length ${prefix} exceeds ${max} in ${JSON.stringify(cidr)}`);
  return `${v6 ? formatIPv6(parseIPv6(addr)) : addr}/${prefix}`;
}

/** Whether a (normalisable) CIDR is IPv6. */
export const isIPv6Cidr = (cidr: string): boolean => cidr.includes(":");

function parseIPv6(addr: string): number[] {
  let text = addr.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const words = (s: string | undefined): number[] => (s ? s.split(":").map((w) => parseInt(w, 16)) : []);
  const h = words(head);
  const t = words(tail);
  return tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

// Mirrors glibc inet_ntop6: compress the longest run (first on ties) of two or more zero words,
// and print the last 32 bits dotted for IPv4-mapped (::ffff:0:0/96) and IPv4-compatible addresses.
function formatIPv6(w: readonly number[]): string {
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

/**
 * The addresses of `dev` that belong to the configuration: scope global and not kernel- or
 * daemon-managed (`dynamic`: SLAAC, DHCP). Link-local fe80::/64 and loopback host addresses are
 * skipped. Normalised with {@link normalizeCidr}, in the kernel's order.
 * Equivalent to: `ip -j [-n NS] address show dev DEV`.
 */
export async function addressList(
  netns: string | undefined,
  dev: string,
  ip: Ip = defaultIp(),
): Promise<string[]> {
  return parseAddresses(await ip.json<unknown>(["address", "show", "dev", dev], { netns }));
}

/** Parses `ip -j address show dev X` into the normalised CIDRs {@link addressList} reports. */
export function parseAddresses(json: unknown): string[] {
  if (!Array.isArray(json)) throw new Error("ip -j address show: expected a JSON array");
  const cidrs: string[] = [];
  for (const link of json as { addr_info?: unknown }[]) {
    if (!Array.isArray(link?.addr_info)) continue;
    for (const a of link.addr_info as Record<string, unknown>[]) {
      // `ip -N` prints scopes as numbers: universe (0) is "global".
      if (!(a.scope === "global" || a.scope === "0" || a.scope === 0) || a.dynamic === true) continue;
      if (typeof a.local !== "string" || typeof a.prefixlen !== "number") continue;
      cidrs.push(normalizeCidr(`${a.local}/${a.prefixlen}`));
    }
  }
  return cidrs;
}

/**
 * Batch line adding an address. IPv6 addresses get `nodad` so they are usable at once instead of
 * "tentative" for the duplicate-address-detection seconds.
 * Equivalent to: `ip address add CIDR dev DEV [nodad]`.
 */
export function addressAdd(cidr: string, dev: string): string[] {
  const c = normalizeCidr(cidr);
  return ["address", "add", c, "dev", dev, ...(isIPv6Cidr(c) ? ["nodad"] : [])];
}

/**
 * Batch line removing an address.
 * Equivalent to: `ip address delete CIDR dev DEV`.
 */
export function addressDelete(cidr: string, dev: string): string[] {
  return ["address", "delete", normalizeCidr(cidr), "dev", dev];
}
