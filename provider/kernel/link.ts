import { parseAddresses } from "./address";
import { NotFoundError } from "./errors";
import { defaultIp, int, linkGroupFor, MARK_PREFIX, type Ip } from "./ip";
import { parseVxlanInfo, type VxlanInfo } from "./vxlan";

/** Bridge settings as read back; times in seconds (the kernel reports centiseconds). */
export interface BridgeInfo {
  readonly stp: boolean;
  readonly vlanFiltering: boolean;
  /** Seconds. */
  readonly forwardDelay: number;
  /** Seconds. */
  readonly ageingTime: number;
}

/** tun/tap settings as read back. */
export interface TunInfo {
  readonly mode: "tun" | "tap";
  readonly multiQueue: boolean;
  readonly vnetHdr: boolean;
  readonly persist: boolean;
  /** Numeric owner uid; undefined when any user may attach. */
  readonly owner: number | undefined;
  /** Numeric owner gid; undefined when any group may attach. */
  readonly group: number | undefined;
}

/**
 * Where a veth's peer lives, as `ip` reports it from this end: by name when both ends share a
 * namespace (`"link":"b"`), by ifindex and nsid when the peer is elsewhere (`"link_index"`).
 */
export interface VethPeer {
  /** The peer's name; only when it is in the same namespace. */
  readonly name: string | undefined;
  /** The peer's ifindex in its own namespace; only when it is in another namespace. */
  readonly ifindex: number | undefined;
  /** The peer namespace's nsid as seen from this namespace; undefined when both ends share one. */
  readonly netnsId: number | undefined;
}

/** A link as `ip -j -d link show` reports it. */
export interface LinkState {
  readonly ifindex: number;
  readonly name: string;
  /** `veth`, `bridge`, `tun`, ...; undefined for devices without a kind (`lo`, physical NICs). */
  readonly kind: string | undefined;
  /** Lowercase MAC address; undefined for devices without one. */
  readonly mac: string | undefined;
  readonly mtu: number;
  /** `UP`, `DOWN`, `UNKNOWN`, `LOWERLAYERDOWN`, ... */
  readonly operstate: string;
  /** Administratively up (`ip link set dev X up`), whatever the carrier. */
  readonly adminUp: boolean;
  /** Name of the master (bridge) device, if enslaved. */
  readonly master: string | undefined;
  /** The interface alias; undefined when none is set. */
  readonly alias: string | undefined;
  /** Numeric device group (0 is `default`). */
  readonly group: number;
  /** How the kernel makes the link's IPv6 link-local address: `eui64`, `none` (makes none), ... */
  readonly ipv6AddrGenMode: string | undefined;
  readonly bridge?: BridgeInfo;
  readonly tun?: TunInfo;
  readonly veth?: VethPeer;
  readonly vxlan?: VxlanInfo;
  /**
   * The link it is made on (IFLA_LINK: a macvlan's parent), in the shape of {@link VethPeer};
   * undefined for links that have none.
   */
  readonly lower?: VethPeer;
  /** The kind's settings as `ip -j -d` prints them (`linkinfo.info_data`), for kinds that read theirs as data. */
  readonly info: Readonly<Record<string, unknown>>;
}

/** Whether a link is ours, see DESIGN.md "Ownership marks". */
export type LinkOwnership = "ours" | "ours-half-made" | "foreign";

/**
 * Reads one link, or undefined when no device of that name exists in the namespace. A missing
 * namespace is not absence: it raises NotFoundError with `missing: "netns"`, so callers can tell
 * "the link was deleted" from "the whole namespace is gone".
 * Equivalent to: `ip -N -j -d [-n NS] link show dev NAME` (plus `ip -j tuntap show` for tun devices,
 * which is the one place `ip` prints owner and group as numbers).
 */
export async function linkShow(
  netns: string | undefined,
  name: string,
  ip: Ip = defaultIp(),
): Promise<LinkState | undefined> {
  let json: unknown;
  try {
    json = await ip.json<unknown>(["-N", "-d", "link", "show", "dev", name], { netns });
  } catch (e) {
    if (e instanceof NotFoundError && e.missing === "device") return undefined;
    throw e;
  }
  const links = parseLinks(json);
  return (await withTunOwners(netns, links, ip))[0];
}

/** A link with the addresses that belong to its configuration (see addressList). */
export interface LinkWithAddresses {
  readonly state: LinkState;
  readonly addresses: string[];
}

/**
 * Reads one link and its addresses in one process (`ip addr show` prints the link's details
 * too), or undefined when no device of that name exists; a missing namespace raises as in
 * {@link linkShow}.
 * Equivalent to: `ip -N -j -d [-n NS] address show dev NAME` (plus `ip -j tuntap show` for tun).
 */
export async function linkShowWithAddresses(
  netns: string | undefined,
  name: string,
  ip: Ip = defaultIp(),
): Promise<LinkWithAddresses | undefined> {
  let json: unknown;
  try {
    json = await ip.json<unknown>(["-N", "-d", "address", "show", "dev", name], { netns });
  } catch (e) {
    if (e instanceof NotFoundError && e.missing === "device") return undefined;
    throw e;
  }
  const [state] = await withTunOwners(netns, parseLinks(json), ip);
  return state && { state, addresses: parseAddresses(json) };
}

/**
 * Runs `lines` and then reads back each link of `readBack` with its addresses, all in one
 * process: ip stops at the first failing line (the error names it), so a read-back line runs only
 * once every change before it has. A read-back device that does not exist raises NotFoundError
 * (`missing: "device"`). With `tuntap`, `tuntap show` rides in the same batch for tun owners;
 * otherwise they are read separately if any read-back link is a tun device.
 * Equivalent to: `ip -j -N -d [-n NS] -batch -` with LINES..., `address show dev NAME`...
 * [and `tuntap show`].
 */
export async function linkBatchWithReadBack(
  netns: string | undefined,
  lines: readonly (readonly string[])[],
  readBack: readonly string[],
  options: { readonly tuntap?: boolean } = {},
  ip: Ip = defaultIp(),
): Promise<LinkWithAddresses[]> {
  const shows = readBack.map((name) => ["address", "show", "dev", name]);
  const values = await ip.batchJson(
    netns,
    [...lines, ...shows, ...(options.tuntap ? [["tuntap", "show"]] : [])],
    ["-N", "-d"],
  );
  return readBackFromBatch(netns, readBack, values, options, ip);
}

/**
 * The links {@link linkBatchWithReadBack} read, from the JSON values its batch printed: one
 * `address show` array per name, then (with `tuntap`) the `tuntap show` array.
 */
export async function readBackFromBatch(
  netns: string | undefined,
  readBack: readonly string[],
  values: readonly unknown[],
  options: { readonly tuntap?: boolean } = {},
  ip: Ip = defaultIp(),
): Promise<LinkWithAddresses[]> {
  if (values.length < readBack.length) {
    throw new Error(`ip -j -batch: expected ${readBack.length} read-back outputs, got ${values.length}`);
  }
  const found = readBack.map((name, i) => {
    const json = values[i];
    const [state] = parseLinks(json);
    if (state === undefined || state.name !== name) {
      throw new Error(`ip -j -batch: read-back of ${JSON.stringify(name)} printed no such link`);
    }
    return { state, addresses: parseAddresses(json) };
  });
  if (!found.some((f) => f.state.tun)) return found;
  const owners = options.tuntap
    ? parseTuntapOwners(values[readBack.length] ?? [])
    : parseTuntapOwners(await ip.json<unknown>(["tuntap", "show"], { netns }));
  return found.map((f) => ({ ...f, state: withOwner(f.state, owners) }));
}

/**
 * Reads every link in the namespace.
 * Equivalent to: `ip -N -j -d [-n NS] link show` (plus `ip -j tuntap show` if there are tun devices).
 */
export async function linkList(netns: string | undefined, ip: Ip = defaultIp()): Promise<LinkState[]> {
  const links = parseLinks(await ip.json<unknown>(["-N", "-d", "link", "show"], { netns }));
  return withTunOwners(netns, links, ip);
}

async function withTunOwners(netns: string | undefined, links: LinkState[], ip: Ip): Promise<LinkState[]> {
  if (!links.some((l) => l.tun)) return links;
  const owners = parseTuntapOwners(await ip.json<unknown>(["tuntap", "show"], { netns }));
  return links.map((l) => withOwner(l, owners));
}

function withOwner(l: LinkState, owners: ReturnType<typeof parseTuntapOwners>): LinkState {
  if (!l.tun) return l;
  const o = owners.get(l.name);
  return { ...l, tun: { ...l.tun, owner: o?.owner, group: o?.group } };
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/**
 * Parses the output of `ip -j -d link show` (one or many links). Tun owner and group are only
 * kept when numeric; {@link linkShow} fills them from `ip -j tuntap show`.
 */
export function parseLinks(json: unknown): LinkState[] {
  if (!Array.isArray(json)) throw new Error("ip -j link show: expected a JSON array");
  return json.map(parseLink);
}

function parseLink(raw: unknown): LinkState {
  if (!isObject(raw)) throw new Error("ip -j link show: expected objects");
  const ifindex = num(raw.ifindex);
  const name = str(raw.ifname);
  const mtu = num(raw.mtu);
  if (ifindex === undefined || name === undefined || mtu === undefined) {
    throw new Error(`ip -j link show: link without ifindex/ifname/mtu: ${JSON.stringify(raw).slice(0, 200)}`);
  }
  const flags = Array.isArray(raw.flags) ? raw.flags : [];
  const linkinfo = isObject(raw.linkinfo) ? raw.linkinfo : {};
  const kind = str(linkinfo.info_kind);
  const data = isObject(linkinfo.info_data) ? linkinfo.info_data : {};
  const alias = str(raw.ifalias);
  const mac = str(raw.address);
  return {
    ifindex,
    name,
    kind,
    mac: mac?.toLowerCase(),
    mtu,
    operstate: str(raw.operstate) ?? "UNKNOWN",
    adminUp: flags.includes("UP"),
    master: str(raw.master),
    alias: alias === "" ? undefined : alias,
    group: parseGroup(raw.group),
    ipv6AddrGenMode: str(raw.inet6_addr_gen_mode),
    ...(kind === "bridge" ? { bridge: parseBridgeInfo(data) } : {}),
    ...(kind === "tun" ? { tun: parseTunInfo(data) } : {}),
    ...(kind === "veth" ? { veth: lowerOf(raw) } : {}),
    ...(kind !== "veth" && (raw.link !== undefined || raw.link_index !== undefined)
      ? { lower: lowerOf(raw) }
      : {}),
    ...(kind === "vxlan" ? { vxlan: parseVxlanInfo(data) } : {}),
    info: data,
  };
}

const lowerOf = (raw: Json): VethPeer => ({
  name: str(raw.link),
  ifindex: num(raw.link_index),
  netnsId: num(raw.link_netnsid),
});

/**
 * Normalises a device group to its number. `ip -N` prints numbers ("77"); without it ip prints
 * names from /etc/iproute2/group, of which only "default" (0) is built in.
 */
export function parseGroup(group: unknown): number {
  if (group === undefined || group === "default") return 0;
  if (typeof group === "number") return group;
  if (typeof group === "string" && /^\d+$/.test(group)) return Number(group);
  throw new Error(`cannot read device group ${JSON.stringify(group)} as a number (run ip with -N)`);
}

/** Centiseconds (what iproute2 and the kernel use for bridge timers) to seconds. */
const centisecondsToSeconds = (cs: number): number => cs / 100;

function parseBridgeInfo(d: Json): BridgeInfo {
  return {
    stp: (num(d.stp_state) ?? 0) !== 0,
    vlanFiltering: (num(d.vlan_filtering) ?? 0) !== 0,
    forwardDelay: centisecondsToSeconds(num(d.forward_delay) ?? 0),
    ageingTime: centisecondsToSeconds(num(d.ageing_time) ?? 0),
  };
}

// ip prints tun owners as names when getpwuid/getgrgid know them and as numbers otherwise.
const numericOwner = (v: unknown): number | undefined =>
  typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : undefined;

function parseTunInfo(d: Json): TunInfo {
  return {
    mode: d.type === "tun" ? "tun" : "tap",
    multiQueue: d.multi_queue === true,
    vnetHdr: d.vnet_hdr === true,
    persist: d.persist === true,
    owner: numericOwner(d.user),
    group: numericOwner(d.group),
  };
}

/** Parses `ip -j tuntap show` (`[{"ifname":"t0","flags":[...],"user":1,"group":1}]`) into numeric owners. */
export function parseTuntapOwners(
  json: unknown,
): Map<string, { owner: number | undefined; group: number | undefined }> {
  const owners = new Map<string, { owner: number | undefined; group: number | undefined }>();
  if (!Array.isArray(json)) throw new Error("ip -j tuntap show: expected a JSON array");
  for (const e of json) {
    if (isObject(e) && typeof e.ifname === "string") {
      owners.set(e.ifname, { owner: num(e.user), group: num(e.group) });
    }
  }
  return owners;
}

/**
 * Whether `state` is the link of the resource whose ownership mark is `mark`: its alias names the
 * mark (ours); no alias but the device group made from the mark (ours, half made by an interrupted
 * create, see linkGroupFor); anything else, including another resource's or another stack's
 * link, is foreign and must not be touched.
 */
export function linkOwnership(state: Pick<LinkState, "alias" | "group">, mark: string): LinkOwnership {
  if (state.alias === MARK_PREFIX + mark) return "ours";
  if ((state.alias === undefined || state.alias === "") && state.group === linkGroupFor(mark)) {
    return "ours-half-made";
  }
  return "foreign";
}

/**
 * Deletes a link; one that is already gone is success (a missing namespace still raises).
 * Equivalent to: `ip [-n NS] link delete dev NAME`.
 */
export async function linkDelete(
  netns: string | undefined,
  name: string,
  ip: Ip = defaultIp(),
): Promise<void> {
  try {
    await ip.run(["link", "delete", "dev", name], { netns });
  } catch (e) {
    if (!(e instanceof NotFoundError && e.missing === "device")) throw e;
  }
}

/**
 * Reads attributes of link `name` from sysfs as its own namespace shows it (`/sys/class/net` lists
 * the links of the namespace that mounted /sys, so the read runs inside the link's), one per path
 * relative to `/sys/class/net/NAME/`, trimmed. A missing attribute raises.
 * Equivalent to: `ip netns exec NS cat /sys/class/net/NAME/PATH...`.
 */
export async function linkSysfsRead(
  netns: string | undefined,
  name: string,
  paths: readonly string[],
  ip: Ip = defaultIp(),
): Promise<string[]> {
  if (paths.length === 0) return [];
  for (const part of [name, ...paths.flatMap((p) => p.split("/"))]) {
    if (part === "" || part === "." || part === ".." || part.startsWith("-")) {
      throw new Error(`refusing to read sysfs path ${JSON.stringify(`${name}/${paths.join(",")}`)}`);
    }
  }
  const out = await ip.execIn(netns, ["cat", "--", ...paths.map((p) => `/sys/class/net/${name}/${p}`)]);
  const lines = out.replace(/\n$/, "").split("\n");
  if (lines.length !== paths.length) {
    throw new Error(
      `cat printed ${lines.length} lines for ${paths.length} sysfs attributes: ${JSON.stringify(out)}`,
    );
  }
  return lines.map((l) => l.trim());
}

/**
 * Runs batch lines in one namespace (a link added from another namespace than its own, see
 * SingleLinkKind.addsFrom); ip stops at the first failing line and the error names it.
 * Equivalent to: `ip [-n NS] -batch -` with LINES.
 */
export async function linkBatch(
  netns: string | undefined,
  lines: readonly (readonly string[])[],
  ip: Ip = defaultIp(),
): Promise<void> {
  await ip.batch(netns, lines);
}

// Batch-line builders: each returns one `ip -batch` line (without the leading `ip`), for Ip.batch.

/** What {@link linkAddLine} gives every link it adds, whatever its kind. */
export interface LinkAddOptions {
  /** The device group naming the owner (linkGroupFor its mark): atomic with the add. */
  readonly group: number;
  readonly mtu?: number | undefined;
  /** The link it is made on (`link P`: a macvlan's parent), in the namespace the line runs in. */
  readonly lower?: string | undefined;
  /** Where the new link goes when that is not where the line runs (`netns N`). */
  readonly netns?: string | undefined;
}

/**
 * The batch line adding a link of kernel kind `type` with the kind's own arguments `typeArgs`
 * (data from its descriptor), down. Names follow their keywords, so `type` or `dev` work as names.
 * Equivalent to: `ip link add name NAME [link P] [netns N] [mtu M] group G type TYPE TYPEARGS...`.
 */
export function linkAddLine(
  name: string,
  type: string,
  typeArgs: readonly string[],
  options: LinkAddOptions,
): string[] {
  return [
    "link",
    "add",
    "name",
    name,
    ...(options.lower !== undefined ? ["link", options.lower] : []),
    ...(options.netns !== undefined ? ["netns", options.netns] : []),
    ...(options.mtu !== undefined ? ["mtu", int(options.mtu)] : []),
    "group",
    int(options.group),
    "type",
    type,
    ...typeArgs,
  ];
}

/**
 * The batch line changing a link's kind settings in place; an empty line (skipped by Ip.batch)
 * when there are none.
 * Equivalent to: `ip link set dev NAME type TYPE TYPEARGS...`.
 */
export function linkSetTypeLine(name: string, type: string, typeArgs: readonly string[]): string[] {
  return typeArgs.length === 0 ? [] : ["link", "set", "dev", name, "type", type, ...typeArgs];
}

/** Equivalent to: `ip link set dev NAME mtu MTU`. */
export const linkSetMtu = (name: string, mtu: number): string[] => [
  "link",
  "set",
  "dev",
  name,
  "mtu",
  int(mtu),
];

/** Equivalent to: `ip link set dev NAME address MAC`. */
export const linkSetAddress = (name: string, mac: string): string[] => [
  "link",
  "set",
  "dev",
  name,
  "address",
  mac.toLowerCase(),
];

/** Equivalent to: `ip link set dev NAME up`. */
export const linkSetUp = (name: string): string[] => ["link", "set", "dev", name, "up"];

/**
 * Equivalent to: `ip link set dev NAME addrgenmode none`: the link gets no IPv6 link-local address
 * when it next comes up. The kernel refuses the setting in `link add` (EAFNOSUPPORT), and on a link
 * already up it keeps the address it made, so this goes between the add and the first up.
 */
export const linkSetNoLinkLocal = (name: string): string[] => [
  "link",
  "set",
  "dev",
  name,
  "addrgenmode",
  "none",
];

/** Equivalent to: `ip link set dev NAME down`. */
export const linkSetDown = (name: string): string[] => ["link", "set", "dev", name, "down"];

/** Equivalent to: `ip link set dev NAME master MASTER`. */
export const linkSetMaster = (name: string, master: string): string[] => [
  "link",
  "set",
  "dev",
  name,
  "master",
  master,
];

/** Equivalent to: `ip link set dev NAME nomaster`. */
export const linkSetNoMaster = (name: string): string[] => ["link", "set", "dev", name, "nomaster"];

/** Equivalent to: `ip link set dev NAME alias ALIAS` (batch lines cannot carry blanks, so neither can ALIAS). */
export const linkSetAlias = (name: string, alias: string): string[] => [
  "link",
  "set",
  "dev",
  name,
  "alias",
  alias,
];

/** Equivalent to: `ip link set dev NAME group GROUP`. */
export const linkSetGroup = (name: string, group: number): string[] => [
  "link",
  "set",
  "dev",
  name,
  "group",
  int(group),
];
