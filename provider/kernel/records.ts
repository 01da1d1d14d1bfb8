// Ownership records: small files under /run/pulumi-netns (tmpfs, so they vanish on reboot with
// the objects they describe). A record names the mark of the resource that claimed an object
// before creating it. It never proves ownership on its own: the object itself must carry the
// mark (namespaces, links) or the record must agree with what the kernel has (routes).
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Where every record lives. */
export const RECORDS_ROOT = "/run/pulumi-netns";

/** A record: the owner's mark on the first line, then lines of detail the kind defines. */
export interface OwnershipRecord {
  readonly mark: string;
  readonly details: readonly string[];
}

/** A record younger than this whose object does not exist yet is another run's create in progress. */
const CLAIM_IN_PROGRESS_MS = 60_000;

function assertFileName(file: string): void {
  if (file === "" || file === "." || file === ".." || file.includes("/") || file.includes("\0")) {
    throw new Error(`invalid record name ${JSON.stringify(file)}: it must be a plain file name`);
  }
}

const encodeRecord = (record: OwnershipRecord) => [record.mark, ...record.details].join("\n") + "\n";

function decodeRecord(text: string): OwnershipRecord {
  const [mark = "", ...details] = text.replace(/\n$/, "").split("\n");
  return { mark: mark.trim(), details };
}

function isErrno(e: unknown, code: string): boolean {
  return e instanceof Error && (e as NodeJS.ErrnoException).code === code;
}

const tmpName = (dir: string) => join(dir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return !isErrno(e, "ESRCH");
  }
}

/**
 * Removes the temporary files of writers that died before renaming or removing them (a killed
 * `pulumi up` takes its provider with it): their names carry the writer's pid.
 */
async function sweepDeadWriters(dir: string): Promise<void> {
  for (const file of await readdir(dir)) {
    const pid = /^\.tmp-(\d+)-/.exec(file)?.[1];
    if (pid !== undefined && !isAlive(Number(pid))) await rm(join(dir, file), { force: true });
  }
}

/** The record `dir/file`, or undefined when there is none. */
export async function recordRead(dir: string, file: string): Promise<OwnershipRecord | undefined> {
  assertFileName(file);
  try {
    return decodeRecord(await readFile(join(dir, file), "utf8"));
  } catch (e) {
    if (isErrno(e, "ENOENT")) return undefined;
    throw e;
  }
}

/** Writes `dir/file` (a temporary file renamed over it, so a reader never sees half a record). */
export async function recordWrite(dir: string, file: string, record: OwnershipRecord): Promise<void> {
  assertFileName(file);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const tmp = tmpName(dir);
  await writeFile(tmp, encodeRecord(record), { mode: 0o644 });
  await rename(tmp, join(dir, file));
}

/**
 * Claims `dir/file` for `record.mark` before its object is created: writes the record only if
 * there is none (link(2) of a complete file, so racing creators cannot both win), or if the one
 * there names the same mark, or another owner's that `isStale` says no longer stands for an object
 * and that is older than a minute (a fresh one is a create in progress). Returns the other owner
 * when it holds the claim.
 */
export async function recordClaim(
  dir: string,
  file: string,
  record: OwnershipRecord,
  now = Date.now(),
): Promise<{ claimed: true } | { claimed: false; owner: string }> {
  assertFileName(file);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await sweepDeadWriters(dir);
  const target = join(dir, file);
  const tmp = tmpName(dir);
  await writeFile(tmp, encodeRecord(record), { mode: 0o644 });
  try {
    await link(tmp, target);
    return { claimed: true };
  } catch (e) {
    if (!isErrno(e, "EEXIST")) throw e;
    const owner = decodeRecord(await readFile(target, "utf8")).mark;
    const age = now - (await stat(target)).mtimeMs;
    if (owner !== record.mark && age < CLAIM_IN_PROGRESS_MS) return { claimed: false, owner };
    await rename(tmp, target);
    return { claimed: true };
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Removes `dir/file` if it still names `mark` (a rollback must never drop a winner's claim). */
export async function recordRelease(dir: string, file: string, mark: string): Promise<void> {
  if ((await recordRead(dir, file))?.mark === mark) await recordRemove(dir, file);
}

/** Removes `dir/file`; absent is success. */
export async function recordRemove(dir: string, file: string): Promise<void> {
  assertFileName(file);
  await rm(join(dir, file), { force: true });
}

/** A record as {@link recordList} finds it: with the time it was last written. */
export interface ListedRecord extends OwnershipRecord {
  /** mtime in milliseconds since the epoch: a claim is renewed by rewriting the record. */
  readonly modifiedMs: number;
}

/** Whether a record written at `modifiedMs` may still be a create in progress (see recordClaim). */
export const isFreshClaim = (modifiedMs: number, now = Date.now()): boolean =>
  now - modifiedMs < CLAIM_IN_PROGRESS_MS;

/** Every record in `dir` by file name (temporary files left out); an absent directory has none. */
export async function recordList(dir: string): Promise<Map<string, ListedRecord>> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (e) {
    if (isErrno(e, "ENOENT")) return new Map();
    throw e;
  }
  const found = new Map<string, ListedRecord>();
  for (const file of files.filter((f) => !f.startsWith(".tmp-")).sort()) {
    try {
      const modifiedMs = (await stat(join(dir, file))).mtimeMs;
      const record = await recordRead(dir, file);
      if (record) found.set(file, { ...record, modifiedMs });
    } catch (e) {
      // Removed while we looked: it is not there any more.
      if (!isErrno(e, "ENOENT")) throw e;
    }
  }
  return found;
}
