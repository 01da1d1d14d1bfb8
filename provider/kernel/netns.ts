import { join } from "node:path";
import { NotFoundError } from "./errors";
import { parseLinks, type LinkState } from "./link";
import { currentHost } from "./host";
import { assertBatchSafe, assertNetnsName, defaultIp, type Ip } from "./ip";
import { recordClaim, recordRead, recordRelease, recordRemove, recordWrite, RECORDS_ROOT } from "./records";

/** Where `ip netns add` bind-mounts named namespaces. */
export const NETNS_RUN_DIR = "/run/netns";

/** Where namespace ownership records live (see records.ts). */
export const NETNS_MARK_DIR = `${RECORDS_ROOT}/netns`;

/** statfs(2) f_type of nsfs: a namespace file that is really mounted, not a stale leftover. */
const NSFS_MAGIC = 0x6e736673;

/** The kernel identity of a namespace: the nsfs inode and device of its bind mount. */
export interface NetnsIdentity {
  readonly inode: number;
  readonly device: number;
}

/**
 * Creates a named network namespace. Fails with "File exists" if the name is taken.
 * Equivalent to: `ip netns add NAME`.
 */
export async function netnsAdd(name: string, ip: Ip = defaultIp()): Promise<void> {
  assertNetnsName(name);
  await ip.run(["netns", "add", name]);
}

/**
 * Deletes a named network namespace; one that is already gone is success. Links inside it go
 * with it (veth peers in other namespaces too).
 * Equivalent to: `ip netns delete NAME`.
 */
export async function netnsDelete(name: string, ip: Ip = defaultIp()): Promise<void> {
  assertNetnsName(name);
  try {
    await ip.run(["netns", "delete", name]);
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
  }
}

/**
 * Whether `/run/netns/NAME` exists and is a mounted namespace (a stale file left by a crash is not).
 * Equivalent to: `ip netns list | grep -x NAME`, minus the stale files `ip` would list.
 */
export async function netnsExists(name: string, runDir = NETNS_RUN_DIR): Promise<boolean> {
  return (await netnsIdentity(name, runDir)) !== undefined;
}

/**
 * Names of all named namespaces, sorted.
 * Equivalent to: `ip -j netns list`.
 */
export async function netnsList(ip: Ip = defaultIp()): Promise<string[]> {
  return parseNetnsList(await ip.json<unknown>(["netns", "list"]));
}

/** Parses `ip -j netns list` (`[{"name":"a","id":0},{"name":"b"}]`). */
export function parseNetnsList(json: unknown): string[] {
  if (!Array.isArray(json)) throw new Error("ip -j netns list: expected a JSON array");
  return json
    .map((e: { name?: unknown }) => e.name)
    .filter((n): n is string => typeof n === "string")
    .sort();
}

/** What one stat of `/run/netns/NAME` tells: the namespace's identity, or a leftover file. */
export interface NetnsLookup {
  /** Undefined when there is no mounted namespace of that name. */
  readonly identity: NetnsIdentity | undefined;
  /** An empty file that is no namespace: see {@link netnsIsStaleFile}. */
  readonly staleFile: boolean;
}

/**
 * {@link netnsIdentity} and {@link netnsIsStaleFile} from one stat (one round trip on another
 * machine). Equivalent to: `stat -L -c '%i %d %s' /run/netns/NAME; stat -f -c %t /run/netns/NAME`.
 */
export async function netnsLookup(name: string, runDir = NETNS_RUN_DIR): Promise<NetnsLookup> {
  assertNetnsName(name);
  try {
    const s = await currentHost().files.stat(join(runDir, name));
    return s.fsType === NSFS_MAGIC
      ? { identity: { inode: s.ino, device: s.dev }, staleFile: false }
      : { identity: undefined, staleFile: s.size === 0 };
  } catch (e) {
    if (isErrno(e, "ENOENT")) return { identity: undefined, staleFile: false };
    throw e;
  }
}

/**
 * The nsfs inode and device of `/run/netns/NAME`, which identify the namespace itself: a
 * namespace deleted and re-created under the same name gets a new inode. Undefined when there is
 * no mounted namespace of that name.
 * Equivalent to: `stat -L -c '%i %d' /run/netns/NAME`.
 */
export async function netnsIdentity(
  name: string,
  runDir = NETNS_RUN_DIR,
): Promise<NetnsIdentity | undefined> {
  return (await netnsLookup(name, runDir)).identity;
}

/**
 * Whether `/run/netns/NAME` is a leftover that is no namespace: `ip netns add` creates the file
 * before it bind-mounts the namespace there, so one killed in between leaves an empty file that
 * makes every later `ip netns add NAME` fail with "File exists".
 */
export async function netnsIsStaleFile(name: string, runDir = NETNS_RUN_DIR): Promise<boolean> {
  return (await netnsLookup(name, runDir)).staleFile;
}

/** What the kernel shows of a named namespace, for the ownership proof (provider/proof.ts). */
export interface NamespaceFacts {
  /** `mounted`: a namespace; `stale`: an empty file under /run/netns that is no namespace; `absent`: none. */
  readonly file: "mounted" | "stale" | "absent";
  /** Its nsfs inode, when mounted. */
  readonly inode?: number | undefined;
  /** Every link in it, `lo` included (empty unless mounted). */
  readonly links: readonly Pick<LinkState, "name" | "alias" | "group" | "adminUp">[];
}

export const ABSENT_NAMESPACE: NamespaceFacts = { file: "absent", links: [] };

/**
 * The namespace `name` as its proof needs it: one stat, and its links when it is mounted.
 * Equivalent to: `stat -L /run/netns/NAME; ip -n NAME -j link show`.
 */
export async function netnsFacts(name: string, ip: Ip = defaultIp()): Promise<NamespaceFacts> {
  const { identity, staleFile } = await netnsLookup(name);
  if (!identity) return staleFile ? { file: "stale", links: [] } : ABSENT_NAMESPACE;
  try {
    const links = parseLinks(await ip.json<unknown>(["link", "show"], { netns: name }));
    return { file: "mounted", inode: identity.inode, links };
  } catch (e) {
    // Deleted between the stat and the listing: gone, or half deleted, as a second stat tells.
    if (e instanceof NotFoundError && e.missing === "netns") {
      return (await netnsIsStaleFile(name)) ? { file: "stale", links: [] } : ABSENT_NAMESPACE;
    }
    throw e;
  }
}

/**
 * Brings the namespace's loopback up (a fresh namespace has `lo` down) and writes `alias` on it:
 * the namespace's own ownership mark, which lives and dies with the namespace, so a namespace
 * re-created under the same name by someone else never carries it.
 * Equivalent to: `ip -n NAME link set dev lo up alias ALIAS`.
 */
export async function loopbackUpWithAlias(name: string, alias: string, ip: Ip = defaultIp()): Promise<void> {
  assertBatchSafe(alias);
  await ip.run(["link", "set", "dev", "lo", "up", "alias", alias], { netns: name });
}

/** What {@link netnsLoopback} reads: the namespace's ownership mark, and whether it is untouched. */
export interface NetnsLoopback {
  /** The alias on `lo`; undefined when none is set. */
  readonly alias: string | undefined;
  /** Only `lo`, down and without an alias: what `ip netns add` makes and nobody has used yet. */
  readonly pristine: boolean;
}

/**
 * Reads the namespace's loopback alias and whether the namespace is as `ip netns add` left it.
 * A missing namespace raises NotFoundError (`missing: "netns"`).
 * Equivalent to: `ip -n NAME -j link show`.
 */
export async function netnsLoopback(name: string, ip: Ip = defaultIp()): Promise<NetnsLoopback> {
  assertNetnsName(name);
  const links = await ip.json<{ ifname?: string; ifalias?: string; flags?: string[] }[]>(["link", "show"], {
    netns: name,
  });
  const lo = links.find((l) => l.ifname === "lo");
  const alias = lo?.ifalias === "" ? undefined : lo?.ifalias;
  return {
    alias,
    pristine: links.length === 1 && alias === undefined && !(lo?.flags ?? []).includes("UP"),
  };
}

/** The mark recorded for namespace `name`, or undefined when there is no record. */
export async function netnsReadMark(name: string, markDir = NETNS_MARK_DIR): Promise<string | undefined> {
  assertNetnsName(name);
  return (await recordRead(markDir, name))?.mark;
}

/** Records that the resource with `mark` owns namespace `name`. */
export async function netnsWriteMark(name: string, mark: string, markDir = NETNS_MARK_DIR): Promise<void> {
  assertNetnsName(name);
  await recordWrite(markDir, name, { mark, details: [] });
}

/**
 * Claims namespace `name` for `mark` before `ip netns add` (see recordClaim): returns the other
 * owner when someone else holds a fresh claim.
 */
export async function netnsClaimMark(
  name: string,
  mark: string,
  markDir = NETNS_MARK_DIR,
  now = Date.now(),
): Promise<{ claimed: true } | { claimed: false; owner: string }> {
  assertNetnsName(name);
  return recordClaim(markDir, name, { mark, details: [] }, now);
}

/** Removes the record of namespace `name` if it still names `mark` (a rollback must not drop a winner's). */
export async function netnsReleaseMark(name: string, mark: string, markDir = NETNS_MARK_DIR): Promise<void> {
  assertNetnsName(name);
  await recordRelease(markDir, name, mark);
}

/** Removes the ownership record of namespace `name`; absent is success. */
export async function netnsRemoveMark(name: string, markDir = NETNS_MARK_DIR): Promise<void> {
  assertNetnsName(name);
  await recordRemove(markDir, name);
}

function isErrno(e: unknown, code: string): boolean {
  return e instanceof Error && (e as NodeJS.ErrnoException).code === code;
}

/**
 * Batch line (host namespace) creating a named namespace; a taken name fails the batch there.
 * Equivalent to: `ip netns add NAME`.
 */
export function netnsAddLine(name: string): string[] {
  assertNetnsName(name);
  return ["netns", "add", name];
}

/**
 * Batch line (host namespace) deleting a named namespace and every link in it.
 * Equivalent to: `ip netns delete NAME`.
 */
export function netnsDeleteLine(name: string): string[] {
  assertNetnsName(name);
  return ["netns", "delete", name];
}
