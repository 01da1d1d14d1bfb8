// Every namespace and every link in it, marked or not, with addresses and what each link points
// at (a veth's peer, a macvlan's parent, a tunnel's remote): the live side of
// `pulumi-netns graph`. Read-only. The CLI's view of the kernel, not a kernel object: it reads
// through the kernel layer's `Ip` and parsers, so the kernel layer keeps no reader per picture.
import { parseAddresses } from "../../provider/kernel/address";
import { carriesSign, isGone, listRecords, pool } from "../../provider/kernel/inventory";
import {
  markedSessionLeaders,
  parseServiceRecordDetails,
  processFacts,
  processProgram,
  type MarkedProcess,
  type ProcessFacts,
} from "../../provider/kernel/service";
import { proveServiceProcess } from "../../provider/proof";
import { defaultIp, MARK_PREFIX, type Ip } from "../../provider/kernel/ip";
import { parseLinks, type LinkState } from "../../provider/kernel/link";
import { netnsList } from "../../provider/kernel/netns";

/**
 * The link another link is paired with or layered on, as `ip -j link` names it from this side:
 * by name when it is in the same namespace (`"link":"eth0"`), by ifindex and the nsid of its
 * namespace when it is elsewhere (`"link_index":4,"link_netnsid":0`).
 */
export interface LowerRef {
  readonly name: string | undefined;
  readonly ifindex: number | undefined;
  /** The other namespace's id as seen from this one; undefined when both share a namespace. */
  readonly netnsId: number | undefined;
}

/** The far end of a tunnel (vxlan, geneve, gre...), from the kind's `info_data`. */
export interface TunnelEnd {
  /** The tunnel's id (a VXLAN's VNI). */
  readonly id: number | undefined;
  readonly remote: string | undefined;
  /** A multicast group instead of one remote. */
  readonly group: string | undefined;
  readonly local: string | undefined;
  /** The device the encapsulated packets leave by. */
  readonly underlay: string | undefined;
}

/** One link, whoever made it. */
export interface TopologyLink {
  readonly state: LinkState;
  /** Global addresses, canonical (see addressList). */
  readonly addresses: readonly string[];
  readonly lower: LowerRef | undefined;
  readonly tunnel: TunnelEnd | undefined;
  /** The kind's `mode` (a macvlan's `bridge`, ...), if it has one. */
  readonly mode: string | undefined;
  /** It carries a sign of pulumi-netns (see carriesSign). */
  readonly ours: boolean;
}

export interface TopologyNamespace {
  /** Undefined: the namespace `ip` runs in (the host's). */
  readonly name: string | undefined;
  /** The mark on its loopback's alias, without the prefix. */
  readonly mark: string | undefined;
  /** Every link but `lo`, in ifindex order. */
  readonly links: readonly TopologyLink[];
  /** The ids this namespace gives other namespaces, and their names (undefined: not a named one). */
  readonly nsids: ReadonlyMap<number, string | undefined>;
}

/** A service's process, found through its record (nothing else in /proc says a process is ours). */
export interface TopologyProcess {
  readonly netns: string;
  /** The service's name. */
  readonly name: string;
  /** The record's mark. */
  readonly mark: string;
  /** Its argv[0] as /proc shows it; undefined when it does not run. */
  readonly program: string | undefined;
  /** A process of the record runs: the one it names (pid, start time, namespace, mark), or one found by its environment. */
  readonly running: boolean;
}

export interface Topology {
  /** The host's namespace first, then the named ones by name. */
  readonly namespaces: readonly TopologyNamespace[];
  /** Every service record's process (absent in pictures recorded before services were drawn). */
  readonly processes?: readonly TopologyProcess[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

function lowerOf(raw: Json): LowerRef | undefined {
  const ref = { name: str(raw.link), ifindex: num(raw.link_index), netnsId: num(raw.link_netnsid) };
  return ref.name === undefined && ref.ifindex === undefined ? undefined : ref;
}

function infoData(raw: Json): Json {
  const linkinfo = isObject(raw.linkinfo) ? raw.linkinfo : {};
  return isObject(linkinfo.info_data) ? linkinfo.info_data : {};
}

function tunnelOf(raw: Json): TunnelEnd | undefined {
  const d = infoData(raw);
  const end = {
    id: num(d.id),
    remote: str(d.remote) ?? str(d.remote6),
    group: str(d.group) ?? str(d.group6),
    local: str(d.local) ?? str(d.local6),
    underlay: str(d.link),
  };
  return end.remote === undefined && end.group === undefined ? undefined : end;
}

/** Parses `ip -j -d -N address show` (every link of a namespace, with its addresses). */
export function parseTopologyLinks(json: unknown): TopologyLink[] {
  if (!Array.isArray(json)) throw new Error("ip -j address show: expected a JSON array");
  const states = parseLinks(json);
  return json.map((raw: Json, i) => {
    const state = states[i]!;
    return {
      state,
      addresses: parseAddresses([raw]),
      lower: lowerOf(raw),
      tunnel: tunnelOf(raw),
      mode: str(infoData(raw).mode),
      ours: carriesSign(state),
    };
  });
}

/** Parses `ip -j netns list-id` (`[{"nsid":0,"name":"b"},{"nsid":1}]`). */
export function parseNsids(json: unknown): Map<number, string | undefined> {
  if (!Array.isArray(json)) throw new Error("ip -j netns list-id: expected a JSON array");
  const ids = new Map<number, string | undefined>();
  for (const e of json) {
    if (isObject(e) && typeof e.nsid === "number") ids.set(e.nsid, str(e.name));
  }
  return ids;
}

/** One namespace from the two values its batch printed; see {@link observeTopologyNamespace}. */
export function topologyNamespaceFrom(
  name: string | undefined,
  values: readonly unknown[],
): TopologyNamespace {
  const all = parseTopologyLinks(values[0] ?? []);
  const alias = all.find((l) => l.state.name === "lo")?.state.alias;
  return {
    name,
    mark: alias?.startsWith(MARK_PREFIX) ? alias.slice(MARK_PREFIX.length) : undefined,
    links: all.filter((l) => l.state.name !== "lo"),
    nsids: parseNsids(values[1] ?? []),
  };
}

/**
 * One namespace (undefined: the host's) with its links and the ids it gives other namespaces, in
 * one process; undefined when it is gone.
 * Equivalent to: `ip -j -d -N [-n NS] -batch -` with `address show` and `netns list-id`.
 */
export async function observeTopologyNamespace(
  name: string | undefined,
  ip: Ip = defaultIp(),
): Promise<TopologyNamespace | undefined> {
  try {
    const values = await ip.batchJson(
      name,
      [
        ["address", "show"],
        ["netns", "list-id"],
      ],
      ["-d", "-N"],
    );
    return topologyNamespaceFrom(name, values);
  } catch (e) {
    if (isGone(e)) return undefined;
    throw e;
  }
}

/**
 * The host's namespace and every named one (a few at a time); one deleted while it is read is
 * left out.
 * Equivalent to: `ip -j netns list`, then per namespace `ip -j -d -N [-n NS] -batch -` with
 * `address show` and `netns list-id`.
 */
export async function takeTopology(ip: Ip = defaultIp()): Promise<Topology> {
  const names = await netnsList(ip);
  const read = await pool([undefined, ...names], 8, (name) => observeTopologyNamespace(name, ip));
  return { namespaces: read.filter((n) => n !== undefined), processes: await takeProcesses() };
}

/**
 * Each service record's process: running when the pid it names proves the record's own, or, when
 * it does not (a start or restart killed before the record named its pid), a session leader whose
 * own environment names the record and its mark proves it (as `ls` and `gc` find it).
 * Equivalent to: reading /run/pulumi-netns/service, then /proc/PID/{stat,ns/net,environ,cmdline},
 * and `grep -l -z ^PULUMI_NETNS_MARK= /proc/[0-9]*\/environ` only when a named pid does not prove.
 */
export async function takeProcesses(): Promise<TopologyProcess[]> {
  const records = (await listRecords()).filter((r) => r.kind === "service");
  let leaders: Promise<MarkedProcess[]> | undefined;
  const found = await pool(records, 8, async (r): Promise<TopologyProcess[]> => {
    const d = parseServiceRecordDetails(r.details);
    if (d === undefined) return [];
    const recorded = { ...d, file: r.file };
    const proves = (pid: number, facts: ProcessFacts) =>
      proveServiceProcess(pid, facts, recorded, r.mark).verdict === "ours";
    let pid = d.pid !== undefined && proves(d.pid, await processFacts(d.pid)) ? d.pid : undefined;
    if (pid === undefined && d.netnsInode !== undefined) {
      leaders ??= markedSessionLeaders();
      pid = (await leaders).find((p) => proves(p.pid, p.facts))?.pid;
    }
    const program = pid === undefined ? undefined : await processProgram(pid);
    return [{ netns: d.netns, name: d.name, mark: r.mark, program, running: pid !== undefined }];
  });
  return found.flat();
}
