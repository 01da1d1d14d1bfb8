import { canonicalCidr, isIPv6Cidr, parseCidr } from "../address";
import { defaultIp, type Ip } from "./ip";

/**
 * The addresses of `dev` that belong to the configuration: scope global and not kernel- or
 * daemon-managed (`dynamic`: SLAAC, DHCP). Link-local fe80::/64 and loopback host addresses are
 * skipped. Canonical (see canonicalCidr), in the kernel's order.
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
      cidrs.push(canonicalCidr(`${a.local}/${a.prefixlen}`));
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
  const c = cidrArgument(cidr);
  return ["address", "add", c, "dev", dev, ...(isIPv6Cidr(c) ? ["nodad"] : [])];
}

/**
 * Batch line removing an address.
 * Equivalent to: `ip address delete CIDR dev DEV`.
 */
export function addressDelete(cidr: string, dev: string): string[] {
  return ["address", "delete", cidrArgument(cidr), "dev", dev];
}

/** The canonical CIDR for an `ip address` line; what is not one is refused before it reaches `ip`. */
function cidrArgument(cidr: string): string {
  if (parseCidr(cidr) === undefined) throw new Error(`not an IPv4 or IPv6 address: ${JSON.stringify(cidr)}`);
  return canonicalCidr(cidr);
}
