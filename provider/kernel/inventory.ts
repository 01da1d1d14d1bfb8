// Everything on the host that carries a sign of pulumi-netns: namespaces (their loopback's alias),
// links (alias, device group, tap staging name), routes (protocol 110) and the records under
// /run/pulumi-netns. Read-only: `pulumi-netns ls` and `gc` decide from it whose each object is.
import { NotFoundError } from "./errors";
import { defaultIp, isOwnedGroup, MARK_PREFIX, type Ip } from "./ip";
import { linkList, linkShow, type LinkState } from "./link";
import { NETNS_MARK_DIR, netnsIdentity, netnsIsStaleFile, netnsList, type NamespaceFacts } from "./netns";
import { recordList } from "./records";
import { TAP_STAGING_NAME } from "./tuntap";
import { OWNED_ROUTE_PROTOCOL, ROUTE_RECORD_DIR, routeListOwned, type OwnedRoute } from "./route";
import { STACK_INSTANCE_RECORD_DIR } from "./stackInstance";
import {
  markedSessionLeaders,
  parseServiceRecordDetails,
  processFacts,
  SERVICE_RECORD_DIR,
  type ProcessFacts,
} from "./service";

/** A named namespace, marked or not (records are checked against it). */
export interface FoundNamespace {
  readonly name: string;
  /** The mark on its loopback's alias, without the prefix; undefined when it carries none. */
  readonly mark: string | undefined;
  /** Only `lo`, down, without an alias: as `ip netns add` left it. */
  readonly pristine: boolean;
  /** /run/netns/NAME is an empty file an interrupted `ip netns add` or `delete` left: no namespace. */
  readonly staleFile: boolean;
  /** The nsfs inode (its identity); undefined for a stale file. */
  readonly inode: number | undefined;
  /** The links in it other than `lo`, marked or not. */
  readonly links: readonly string[];
  /** What its ownership proof reads (provider/proof.ts). */
  readonly facts: NamespaceFacts;
}

/** A link that carries a sign of pulumi-netns. */
export interface FoundLink {
  /** Undefined: the host namespace. */
  readonly netns: string | undefined;
  readonly name: string;
  readonly ifindex: number;
  readonly kind: string | undefined;
  /** The mark in its alias, without the prefix; undefined when the alias names none. */
  readonly mark: string | undefined;
  /** Its alias when that is not a mark (someone else's text), else undefined. */
  readonly otherAlias: string | undefined;
  readonly group: number;
}

/** A route with protocol 110. */
export interface FoundRoute extends OwnedRoute {
  /** Undefined: the host namespace. */
  readonly netns: string | undefined;
}

/** Which kind of record: a namespace's, a route's, a service's, or a destroyed stack instance's. */
export type RecordKind = "namespace" | "route" | "service" | "instance";

/** A record file under /run/pulumi-netns. */
export interface FoundRecord {
  readonly kind: RecordKind;
  readonly file: string;
  readonly mark: string;
  readonly details: readonly string[];
  readonly modifiedMs: number;
}

/**
 * A process a service record names, or one whose own environment names the record (a start killed
 * before its pid was recorded), as /proc shows it now; its proof decides whose it is.
 */
export interface FoundProcess {
  /** The record's file name. */
  readonly file: string;
  readonly pid: number;
  readonly facts: ProcessFacts;
}

export interface Inventory {
  readonly namespaces: readonly FoundNamespace[];
  readonly links: readonly FoundLink[];
  readonly routes: readonly FoundRoute[];
  readonly records: readonly FoundRecord[];
  /**
   * Processes are found only through their records: the pid a record names, and session leaders
   * whose environment names a record's file. Nothing else in /proc says a process is ours.
   */
  readonly processes: readonly FoundProcess[];
}

/** Where each kind of record lives. */
export const RECORD_DIRS: Readonly<Record<RecordKind, string>> = {
  namespace: NETNS_MARK_DIR,
  route: ROUTE_RECORD_DIR,
  service: SERVICE_RECORD_DIR,
  instance: STACK_INSTANCE_RECORD_DIR,
};

/** Whether a link shows a sign of pulumi-netns: a mark in its alias, our device group, a staging name. */
export function carriesSign(link: Pick<LinkState, "name" | "kind" | "alias" | "group">): boolean {
  if (link.name === "lo") return false; // its alias is the namespace's mark
  return (
    link.alias?.startsWith(MARK_PREFIX) === true ||
    isOwnedGroup(link.group) ||
    (link.kind === "tun" && TAP_STAGING_NAME.test(link.name))
  );
}

function foundLink(netns: string | undefined, l: LinkState): FoundLink {
  const marked = l.alias?.startsWith(MARK_PREFIX) === true;
  return {
    netns,
    name: l.name,
    ifindex: l.ifindex,
    kind: l.kind,
    mark: marked ? l.alias!.slice(MARK_PREFIX.length) : undefined,
    otherAlias: marked ? undefined : l.alias,
    group: l.group,
  };
}

/** The namespace went away while it was read. */
export const isGone = (e: unknown) => e instanceof NotFoundError && e.missing === "netns";

/** Runs `work` on every item, at most `limit` at a time, keeping the order of `items`. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * A named namespace as the inventory sees it; undefined when there is no such file in /run/netns.
 * Equivalent to: `stat /run/netns/NAME`, `ip -N -j -d -n NAME link show`.
 */
export async function observeNamespace(
  name: string,
  ip: Ip = defaultIp(),
): Promise<FoundNamespace | undefined> {
  const identity = await netnsIdentity(name);
  if (!identity) {
    if (!(await netnsIsStaleFile(name))) return undefined;
    return {
      name,
      mark: undefined,
      pristine: false,
      staleFile: true,
      inode: undefined,
      links: [],
      facts: { file: "stale", links: [] },
    };
  }
  let links: LinkState[];
  try {
    links = await linkList(name, ip);
  } catch (e) {
    if (isGone(e)) return undefined;
    throw e;
  }
  return namespaceFrom(name, identity.inode, links);
}

function namespaceFrom(name: string, inode: number, links: readonly LinkState[]): FoundNamespace {
  const lo = links.find((l) => l.name === "lo");
  const alias = lo?.alias;
  return {
    name,
    mark: alias?.startsWith(MARK_PREFIX) ? alias.slice(MARK_PREFIX.length) : undefined,
    pristine: links.length === 1 && lo !== undefined && alias === undefined && !lo.adminUp,
    staleFile: false,
    inode,
    links: links.filter((l) => l.name !== "lo").map((l) => l.name),
    facts: { file: "mounted", inode, links },
  };
}

/**
 * One link as the inventory sees it, or undefined when it (or its namespace) is gone.
 * Equivalent to: `ip -N -j -d [-n NS] link show dev NAME`.
 */
export async function observeFoundLink(
  netns: string | undefined,
  name: string,
  ip: Ip = defaultIp(),
): Promise<FoundLink | undefined> {
  try {
    const state = await linkShow(netns, name, ip);
    return state && foundLink(netns, state);
  } catch (e) {
    if (isGone(e)) return undefined;
    throw e;
  }
}

/** What one namespace (undefined: the host's) holds: its marked links and our routes; undefined if gone. */
async function scan(
  netns: string | undefined,
  ip: Ip,
): Promise<{ links: FoundLink[]; routes: FoundRoute[]; all: LinkState[] } | undefined> {
  try {
    const [all, routes] = await Promise.all([
      linkList(netns, ip),
      routeListOwned(netns, OWNED_ROUTE_PROTOCOL, ip),
    ]);
    return {
      all,
      links: all.filter(carriesSign).map((l) => foundLink(netns, l)),
      routes: routes.map((r) => ({ ...r, netns })),
    };
  } catch (e) {
    if (isGone(e)) return undefined;
    throw e;
  }
}

/** Every record under /run/pulumi-netns. */
export async function listRecords(): Promise<FoundRecord[]> {
  const kinds = Object.keys(RECORD_DIRS) as RecordKind[];
  const lists = await Promise.all(kinds.map((kind) => recordList(RECORD_DIRS[kind])));
  return kinds.flatMap((kind, i) =>
    [...lists[i]!].map(([file, r]) => ({
      kind,
      file,
      mark: r.mark,
      details: r.details,
      modifiedMs: r.modifiedMs,
    })),
  );
}

/**
 * Reads the host namespace and every named namespace (a few at a time), and every record. A
 * namespace that disappears while it is read is left out.
 * Equivalent to: `ip -j netns list`, then per namespace `ip -N -j -d [-n NS] link show` and
 * `ip -j -d -N [-n NS] -4|-6 route show table all proto 110`; reading /run/pulumi-netns.
 */
export async function takeInventory(ip: Ip = defaultIp()): Promise<Inventory> {
  const [names, records] = await Promise.all([netnsList(ip), listRecords()]);
  const host = await scan(undefined, ip);
  const named = await pool(names, 8, async (name) => {
    const identity = await netnsIdentity(name);
    if (!identity) return { namespace: await observeNamespace(name, ip), found: undefined };
    let found: Awaited<ReturnType<typeof scan>>;
    try {
      found = await scan(name, ip);
    } catch (e) {
      // Deleted (or deleted half way) while it was read: it is not there any more.
      if ((await netnsIdentity(name))?.inode !== identity.inode)
        return { namespace: undefined, found: undefined };
      throw e;
    }
    if (!found) return { namespace: undefined, found };
    const namespace = namespaceFrom(name, identity.inode, found.all);
    return { namespace, found };
  });
  const scans = [host, ...named.map((n) => n.found)];
  const serviceRecords = records.filter((r) => r.kind === "service");
  const byRecord = await pool(serviceRecords, 8, async (r): Promise<FoundProcess[]> => {
    const pid = parseServiceRecordDetails(r.details)?.pid;
    return pid === undefined ? [] : [{ file: r.file, pid, facts: await processFacts(pid) }];
  });
  const files = new Set(serviceRecords.map((r) => r.file));
  const unnamed = files.size === 0 ? [] : await markedSessionLeaders();
  const processes = byRecord.flat();
  for (const { pid, facts } of unnamed) {
    const file = facts.serviceFile;
    if (file === undefined || !files.has(file)) continue;
    if (!processes.some((p) => p.pid === pid && p.file === file)) processes.push({ file, pid, facts });
  }
  return {
    processes,
    namespaces: named.flatMap((n) => (n.namespace ? [n.namespace] : [])),
    links: scans.flatMap((s) => s?.links ?? []),
    routes: scans.flatMap((s) => s?.routes ?? []),
    records,
  };
}
