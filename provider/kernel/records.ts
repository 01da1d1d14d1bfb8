// Ownership records: small files under /run/pulumi-netns (tmpfs, so they vanish on reboot with
// the objects they describe). A record names the mark of the resource that claimed an object
// before creating it. It never proves ownership on its own: the object itself must carry the
// mark (namespaces, links) or the record must agree with what the kernel has (routes).
// Records live on the host of the objects they describe (host.ts): every file operation goes
// through the current host's files.
import { join } from "node:path";
import { currentHost, isAlive, localHost } from "./host";

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

/** A temporary file's name: the writer's pid lets a later writer on this machine see it is dead. */
const tmpName = () => `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;

/**
 * A temporary file this old on another machine is a dead writer's: no claim takes that long (there
 * the writer's pid is another machine's, so it cannot be asked about).
 */
const REMOTE_TEMP_MAX_AGE_MS = 10 * CLAIM_IN_PROGRESS_MS;

/** The record `dir/file`, or undefined when there is none. */
export async function recordRead(dir: string, file: string): Promise<OwnershipRecord | undefined> {
  assertFileName(file);
  try {
    return decodeRecord(await currentHost().files.readFile(join(dir, file)));
  } catch (e) {
    if (isErrno(e, "ENOENT")) return undefined;
    throw e;
  }
}

/** Writes `dir/file` (a temporary file renamed over it, so a reader never sees half a record). */
export async function recordWrite(dir: string, file: string, record: OwnershipRecord): Promise<void> {
  assertFileName(file);
  await currentHost().files.writeAtomic(dir, tmpName(), file, encodeRecord(record));
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
  const { files } = currentHost();
  const tmp = tmpName();
  const attempt = await files.claim(dir, tmp, file, encodeRecord(record), {
    now,
    tempMaxAgeMs: REMOTE_TEMP_MAX_AGE_MS,
  });
  if (attempt.linked) return { claimed: true };
  const owner = decodeRecord(attempt.text).mark;
  if (owner !== record.mark && now - attempt.mtimeMs < CLAIM_IN_PROGRESS_MS) {
    await files.remove(join(dir, tmp));
    return { claimed: false, owner };
  }
  try {
    await files.rename(join(dir, tmp), join(dir, file));
  } catch (e) {
    await files.remove(join(dir, tmp)).catch(() => undefined);
    throw e;
  }
  return { claimed: true };
}

/** Removes `dir/file` if it still names `mark` (a rollback must never drop a winner's claim). */
export async function recordRelease(dir: string, file: string, mark: string): Promise<void> {
  assertFileName(file);
  await currentHost().files.removeIfFirstLine(join(dir, file), mark);
}

/** Removes `dir/file`; absent is success. */
export async function recordRemove(dir: string, file: string): Promise<void> {
  assertFileName(file);
  await currentHost().files.remove(join(dir, file));
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
  let files;
  try {
    files = await currentHost().files.readFiles(dir);
  } catch (e) {
    if (isErrno(e, "ENOENT")) return new Map();
    throw e;
  }
  const found = new Map<string, ListedRecord>();
  for (const { name, mtimeMs, text } of files.sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  )) {
    if (!name.startsWith(".tmp-")) found.set(name, { ...decodeRecord(text), modifiedMs: mtimeMs });
  }
  return found;
}

/** A temporary file of a record write whose writer is dead: the record it would have been. */
export interface DeadTemporary extends OwnershipRecord {
  readonly path: string;
}

/**
 * The temporary files in `dir` whose writers are dead, as a claim sweeps them (on this machine by
 * the pid in the name; elsewhere by age). A dead writer's temporary is never a record: a claim
 * that died after its link(2) left the record under its real name too, and a write that died
 * before its rename never happened.
 */
export async function recordDeadTemporaries(dir: string, now = Date.now()): Promise<DeadTemporary[]> {
  const host = currentHost();
  let files;
  try {
    files = await host.files.readFiles(dir);
  } catch (e) {
    if (isErrno(e, "ENOENT")) return [];
    throw e;
  }
  return files
    .filter((f) => {
      const pid = /^\.tmp-(\d+)-/.exec(f.name)?.[1];
      if (pid === undefined) return false;
      return host === localHost ? !isAlive(Number(pid)) : now - f.mtimeMs > REMOTE_TEMP_MAX_AGE_MS;
    })
    .map((f) => ({ path: join(dir, f.name), ...decodeRecord(f.text) }));
}

/** Removes a file found by {@link recordDeadTemporaries}; absent is success. */
export async function recordRemoveTemporary(path: string): Promise<void> {
  await currentHost().files.remove(path);
}
