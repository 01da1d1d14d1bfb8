import { link, mkdir, readFile, rename, rm, stat, statfs, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { NotFoundError } from "./errors";
import { assertNetnsName, defaultIp, type Ip } from "./ip";

/** Where `ip netns add` bind-mounts named namespaces. */
export const NETNS_RUN_DIR = "/run/netns";

/** Where our namespace ownership records live (tmpfs: they vanish with the namespaces on reboot). */
export const NETNS_MARK_DIR = "/run/pulumi-netns/netns";

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
  assertNetnsName(name);
  const path = join(runDir, name);
  try {
    if ((await statfs(path)).type !== NSFS_MAGIC) return undefined;
    const s = await stat(path);
    return { inode: s.ino, device: s.dev };
  } catch (e) {
    if (isErrno(e, "ENOENT")) return undefined;
    throw e;
  }
}

/**
 * Whether `/run/netns/NAME` is a leftover that is no namespace: `ip netns add` creates the file
 * before it bind-mounts the namespace there, so one killed in between leaves an empty file that
 * makes every later `ip netns add NAME` fail with "File exists".
 */
export async function netnsIsStaleFile(name: string, runDir = NETNS_RUN_DIR): Promise<boolean> {
  assertNetnsName(name);
  try {
    const path = join(runDir, name);
    return (await statfs(path)).type !== NSFS_MAGIC && (await stat(path)).size === 0;
  } catch (e) {
    if (isErrno(e, "ENOENT")) return false;
    throw e;
  }
}

/**
 * Brings the namespace's loopback up; a fresh namespace has `lo` down.
 * Equivalent to: `ip -n NAME link set dev lo up`.
 */
export async function loopbackUp(name: string, ip: Ip = defaultIp()): Promise<void> {
  await ip.run(["link", "set", "dev", "lo", "up"], { netns: name });
}

/** The `managedBy` recorded for namespace `name`, or undefined when there is no record. */
export async function netnsReadMark(name: string, markDir = NETNS_MARK_DIR): Promise<string | undefined> {
  assertNetnsName(name);
  try {
    return (await readFile(join(markDir, name), "utf8")).trim();
  } catch (e) {
    if (isErrno(e, "ENOENT")) return undefined;
    throw e;
  }
}

/**
 * Records that `managedBy` owns namespace `name` (write before `ip netns add`). Written to a
 * temporary file and renamed, so a reader never sees half a record.
 */
export async function netnsWriteMark(
  name: string,
  managedBy: string,
  markDir = NETNS_MARK_DIR,
): Promise<void> {
  assertNetnsName(name);
  await mkdir(markDir, { recursive: true, mode: 0o755 });
  const tmp = join(markDir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  await writeFile(tmp, managedBy + "\n", { mode: 0o644 });
  await rename(tmp, join(markDir, name));
}

/** A record younger than this whose namespace does not exist yet is another run's create in progress. */
const CLAIM_IN_PROGRESS_MS = 60_000;

/**
 * Claims namespace `name` for `managedBy` before `ip netns add`: writes the record only if there
 * is none (link(2) of a complete file, so racing creators cannot both win), or if the one there
 * is ours, or stale (older than a minute: a crashed run's, whose namespace never came). Returns
 * the other owner when someone else holds a fresh claim.
 */
export async function netnsClaimMark(
  name: string,
  managedBy: string,
  markDir = NETNS_MARK_DIR,
  now = Date.now(),
): Promise<{ claimed: true } | { claimed: false; owner: string }> {
  assertNetnsName(name);
  await mkdir(markDir, { recursive: true, mode: 0o755 });
  const target = join(markDir, name);
  const tmp = join(markDir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  await writeFile(tmp, managedBy + "\n", { mode: 0o644 });
  try {
    await link(tmp, target);
    return { claimed: true };
  } catch (e) {
    if (!isErrno(e, "EEXIST")) throw e;
    const owner = (await readFile(target, "utf8")).trim();
    const age = now - (await stat(target)).mtimeMs;
    if (owner !== managedBy && age < CLAIM_IN_PROGRESS_MS) return { claimed: false, owner };
    await rename(tmp, target);
    return { claimed: true };
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Removes the record of namespace `name` if it still names `managedBy` (a rollback must not drop a winner's). */
export async function netnsReleaseMark(
  name: string,
  managedBy: string,
  markDir = NETNS_MARK_DIR,
): Promise<void> {
  if ((await netnsReadMark(name, markDir)) === managedBy) await netnsRemoveMark(name, markDir);
}

/** Removes the ownership record of namespace `name` (after `ip netns delete`); absent is success. */
export async function netnsRemoveMark(name: string, markDir = NETNS_MARK_DIR): Promise<void> {
  assertNetnsName(name);
  await rm(join(markDir, name), { force: true });
}

function isErrno(e: unknown, code: string): boolean {
  return e instanceof Error && (e as NodeJS.ErrnoException).code === code;
}
