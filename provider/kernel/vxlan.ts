// VXLAN devices: the `ip link add ... type vxlan` and `ip link set ... type vxlan` batch lines, and
// the settings `ip -j -d link show` prints for one (`linkinfo.info_data`).
import { canonicalAddress } from "../address";
import { int } from "./ip";

/** A VXLAN device's settings as read back. */
export interface VxlanInfo {
  readonly vni: number;
  /** Unicast peer (`remote` / `remote6`); undefined: none (0.0.0.0 / ::). */
  readonly remote: string | undefined;
  /** Multicast group (`group` / `group6`). */
  readonly group: string | undefined;
  /** Source address (`local` / `local6`); undefined: any. */
  readonly local: string | undefined;
  /** The underlay device's name (`link`); ip prints it only when it is in the same namespace. */
  readonly dev: string | undefined;
  /** UDP destination port. */
  readonly dstPort: number;
  /** UDP source port range; `[0, 0]` is the kernel's default (the local port range). */
  readonly srcPortRange: readonly [number, number];
  readonly learning: boolean;
  /** 0: "auto" (the route's hop limit); undefined: `ttl inherit`, which ip prints as no ttl. */
  readonly ttl: number | undefined;
}

type Json = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === "string" ? canonicalAddress(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/** The VXLAN part of one link of `ip -j -d link show` (its `linkinfo.info_data`). */
export function parseVxlanInfo(d: Json): VxlanInfo {
  const range = typeof d.port_range === "object" && d.port_range !== null ? (d.port_range as Json) : {};
  return {
    vni: num(d.id) ?? 0,
    remote: str(d.remote) ?? str(d.remote6),
    group: str(d.group) ?? str(d.group6),
    local: str(d.local) ?? str(d.local6),
    dev: typeof d.link === "string" ? d.link : undefined,
    dstPort: num(d.port) ?? 0,
    srcPortRange: [num(range.low) ?? 0, num(range.high) ?? 0],
    learning: d.learning === true,
    ttl: num(d.ttl),
  };
}

/** The settings `ip link set ... type vxlan` changes in place (see schema/vxlan.ts for which). */
export interface VxlanSettings {
  /**
   * The peer: `{ remote }` (unicast) or `{ group }` (multicast, needs `dev` in the same line: ip
   * refuses `group` without `dev` even in `link set`); `{}` clears it (`remote 0.0.0.0`/`::`).
   */
  readonly peer?: { readonly remote?: string | undefined; readonly group?: string | undefined };
  /** Address family of the device, for clearing `remote`/`local` with the right "any" address. */
  readonly family?: 4 | 6;
  /** Source address; null clears it (`local 0.0.0.0`/`::`). */
  readonly local?: string | null;
  readonly dev?: string | undefined;
  /** 0 is "auto". */
  readonly ttl?: number | undefined;
  readonly learning?: boolean | undefined;
}

/** What {@link vxlanAddArgs} creates. */
export interface VxlanOptions {
  readonly vni: number;
  readonly remote?: string | undefined;
  readonly group?: string | undefined;
  readonly local?: string | undefined;
  readonly dev?: string | undefined;
  readonly dstPort: number;
  readonly srcPortRange?: readonly [number, number] | undefined;
  /** 0 is "auto". */
  readonly ttl: number;
  readonly learning: boolean;
  /** Device group (the ownership group, see linkGroupFor). */
  readonly linkGroup: number;
}

const anyAddress = (family: 4 | 6 | undefined) => (family === 6 ? "::" : "0.0.0.0");

function settingsArgs(s: VxlanSettings): string[] {
  const peer = s.peer;
  return [
    ...(peer === undefined
      ? []
      : peer.group !== undefined
        ? ["group", peer.group]
        : ["remote", peer.remote ?? anyAddress(s.family)]),
    ...(s.local === undefined ? [] : ["local", s.local ?? anyAddress(s.family)]),
    ...(s.dev !== undefined ? ["dev", s.dev] : []),
    ...(s.ttl !== undefined ? ["ttl", s.ttl === 0 ? "auto" : int(s.ttl)] : []),
    ...(s.learning !== undefined ? [s.learning ? "learning" : "nolearning"] : []),
  ];
}

/**
 * The `ip -batch` line adding a VXLAN device (down), in the device group `linkGroup`.
 * Equivalent to: `ip link add name NAME group G type vxlan id VNI [remote A | group A] [local A]
 * [dev D] dstport P [srcport LOW HIGH] ttl T|auto learning|nolearning`.
 */
export function vxlanAddArgs(name: string, o: VxlanOptions): string[] {
  const peer =
    o.group !== undefined ? { group: o.group } : o.remote !== undefined ? { remote: o.remote } : undefined;
  return [
    ...["link", "add", "name", name, "group", int(o.linkGroup), "type", "vxlan", "id", int(o.vni)],
    ...settingsArgs({ peer, local: o.local, dev: o.dev, ttl: o.ttl, learning: o.learning }),
    ...["dstport", int(o.dstPort)],
    ...(o.srcPortRange !== undefined ? ["srcport", int(o.srcPortRange[0]), int(o.srcPortRange[1])] : []),
  ];
}

/**
 * The batch line changing the settings given in place; an empty line (which Ip.batch skips) when
 * none is given.
 * Equivalent to: `ip link set dev NAME type vxlan [remote A | group A dev D] [local A] [dev D]
 * [ttl T|auto] [learning|nolearning]`.
 */
export function vxlanSet(name: string, settings: VxlanSettings): string[] {
  const args = settingsArgs(settings);
  return args.length === 0 ? [] : ["link", "set", "dev", name, "type", "vxlan", ...args];
}
