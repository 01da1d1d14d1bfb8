import { defaultIp, int, type Ip } from "./ip";

/** One end of a veth pair. */
export interface VethEnd {
  readonly name: string;
  /** Named namespace the end is created in; omitted means the host namespace. */
  readonly netns?: string | undefined;
}

/** What {@link vethAdd} creates. */
export interface VethSpec {
  readonly a: VethEnd;
  readonly b: VethEnd;
  /** MTU of both ends; the kernel default (1500) when omitted. */
  readonly mtu?: number | undefined;
  /** Device group of both ends (normally OWNED_LINK_GROUP). */
  readonly group: number;
}

/**
 * The argv (after `ip`) that creates both ends of a veth pair, each directly in its namespace,
 * with MTU and group on both, in one netlink request: either both ends exist afterwards or neither.
 */
export function vethAddArgs(spec: VethSpec): string[] {
  const end = (e: VethEnd): string[] => [
    "name",
    e.name,
    ...(e.netns !== undefined ? ["netns", e.netns] : []),
    ...(spec.mtu !== undefined ? ["mtu", int(spec.mtu)] : []),
    "group",
    int(spec.group),
  ];
  return ["link", "add", ...end(spec.a), "type", "veth", "peer", ...end(spec.b)];
}

/**
 * Creates a veth pair (see {@link vethAddArgs}). Runs in the host namespace so each end can name
 * its own; both ends may share a namespace. Both ends start down.
 * Equivalent to: `ip link add name A [netns N1] [mtu M] group G type veth peer name B [netns N2] [mtu M] group G`.
 */
export async function vethAdd(spec: VethSpec, ip: Ip = defaultIp()): Promise<void> {
  await ip.run(vethAddArgs(spec));
}
