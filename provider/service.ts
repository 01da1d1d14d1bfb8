import * as pulumi from "@pulumi/pulumi";
import { netnsIdentity } from "./kernel/netns";
import {
  contentHash,
  directoryIdentity,
  directoryMake,
  directoryRemove,
  fileHash,
  fileRemove,
  fileWrite,
  logTail,
  logTrim,
  markedSessionLeaders,
  isSetprivStep,
  processCommandLine,
  processFacts,
  processGroupSignal,
  runInNamespace,
  serviceClaimRecord,
  serviceLogFile,
  serviceLogFiles,
  serviceReadRecord,
  serviceRecordFile,
  serviceReleaseRecord,
  serviceSpawn,
  serviceVariableValue,
  serviceWriteRecord,
  tcpListening,
  type MadeDirectory,
  type ProcessFacts,
  type ServiceRecordDetails,
  type WrittenFile,
} from "./kernel/service";
import { claimService } from "./claims";
import { checkWith, describeNamespace } from "./lifecycle";
import { collisionError, ownerMark, rollBack, type Owned } from "./ownership";
import { assertPrivileged } from "./privileges";
import {
  proveProcess,
  proveServiceProcess,
  type Proof,
  type RecordedService,
  type StartedProcess,
} from "./proof";
import { processHolding } from "./holdings";
import { defineKind } from "./kind";
import {
  diffService,
  RESTART_FIELDS,
  serviceSchema,
  type ServiceDirectory,
  type ServiceFile,
  type ServiceResolved,
} from "./schema/service";
import { serviceReferences } from "./schema/references";

/** What a Service keeps in state: its inputs, and the process and files it made. */
export interface ServiceOutputs extends Owned {
  readonly namespace: string;
  readonly name: string;
  readonly command: string[];
  readonly environment: Record<string, string>;
  readonly workingDirectory: string;
  readonly user?: string;
  readonly group?: string;
  readonly directories: ServiceDirectory[];
  readonly files: ServiceFile[];
  readonly readiness?: ServiceResolved["readiness"];
  readonly stop: ServiceResolved["stop"];
  readonly pid: number;
  /** /proc/PID/stat field 22: with the pid, which process is ours. */
  readonly startTime: string;
  /** The nsfs inode of the namespace it was started in. */
  readonly netnsInode: number;
  /** Its standard output and error. */
  readonly logFile: string;
  /** Each file it wrote, by the hash of what it wrote: only that is ever removed. */
  readonly writtenFiles: WrittenFile[];
  /** Each directory it made (or adopted), by its identity: only that is ever removed. */
  readonly madeDirectories: MadeDirectory[];
}

type Inputs = ServiceResolved;

/** How many lines of its log a failure shows. */
const LOG_LINES = 20;
/** How long `ip netns exec`, `env` and `setpriv` may take to exec into the command. */
const EXEC_MS = 5_000;
/** After SIGKILL, how long the kernel may take to end the group. */
const KILL_MS = 5_000;
const POLL_MS = 100;
/**
 * Past this size an operation (read, update, create) trims a running service's log into `.1`
 * (logTrim): no process of ours runs between operations to do it.
 */
export const LOG_MAX_BYTES = 8 * 1024 * 1024;

/** The windows of a start, in order; see {@link failpoint}. */
export type StartWindow = "claimed" | "spawned" | "recorded" | "ready";

/**
 * For the crash suite only: with `PULUMI_NETNS_FAILPOINT=service:<window>` in its environment the
 * provider stops itself (SIGSTOP) at that window of a Service's create, so the suite can kill it
 * exactly there, as a crash would. Unset, this does nothing.
 */
function failpoint(window: StartWindow): void {
  if (process.env.PULUMI_NETNS_FAILPOINT === `service:${window}`) process.kill(process.pid, "SIGSTOP");
}

/** JSON with every object's keys sorted and undefined left out: one text per value, whatever its key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([, x]) => x !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/**
 * The hash of what a process runs with (the mark and {@link RESTART_FIELDS}), carried in its own
 * environment: a process found without its record says by it whether it runs what the inputs say.
 */
export function serviceConfig(inputs: Pick<Inputs, (typeof RESTART_FIELDS)[number]>, mark: string): string {
  return contentHash(canonical([mark, ...RESTART_FIELDS.map((f) => inputs[f] ?? null)])).slice(0, 16);
}

/** A process of ours that a service record stands for, as found now. */
export interface FoundService {
  readonly pid: number;
  readonly started: StartedProcess;
  /** The configuration hash in its environment (none for processes started before it was set). */
  readonly config: string | undefined;
}

const foundService = (pid: number, facts: ProcessFacts): FoundService => ({
  pid,
  started: { startTime: facts.startTime!, netnsInode: facts.netnsInode! },
  config: facts.serviceConfig,
});

/**
 * The processes of ours a service record stands for: the one it names, or, when that one is not
 * ours, any it does not name yet, found in /proc by the mark and record file in their own
 * environment (proveServiceProcess). So a start killed before its pid was recorded, or an update
 * killed in its restart, leaves nothing that this, the next create and gc cannot find.
 */
export async function findServiceProcesses(record: RecordedService, mark: string): Promise<FoundService[]> {
  if (record.pid !== undefined) {
    const facts = await processFacts(record.pid);
    if (proveServiceProcess(record.pid, facts, record, mark).verdict === "ours") {
      return [foundService(record.pid, facts)];
    }
  }
  if (record.netnsInode === undefined) return [];
  return (await markedSessionLeaders())
    .filter(({ pid, facts }) => proveServiceProcess(pid, facts, record, mark).verdict === "ours")
    .map(({ pid, facts }) => foundService(pid, facts));
}

const describe = (namespace: string, name: string) =>
  `Service ${JSON.stringify(name)} in ${describeNamespace(namespace)}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function proofOf(pid: number, started: StartedProcess, mark: string): Promise<Proof> {
  return proveProcess(await processFacts(pid), started, mark);
}

/** The error for a service that did not come up, with the end of its log. */
async function notRunning(what: string, log: string): Promise<Error> {
  const tail = await logTail(log, LOG_LINES).catch(
    (e: unknown) => `(its log could not be read: ${String(e)})`,
  );
  return new Error(
    `${what}. The last lines of its log ${log}:\n${tail === "" ? "(empty)" : tail}\n` +
      "Fix the command or its configuration and run `pulumi up` again.",
  );
}

/**
 * Stops our process: the stop signal to its group, then SIGKILL after the stop timeout. Only a
 * process proven ours is ever signalled, and it is proven again before each signal. Returns the
 * proof it found first (foreign: left alone, absent: nothing to do).
 */
export async function stopProven(
  pid: number,
  started: StartedProcess,
  mark: string,
  stop: { readonly signal: NodeJS.Signals; readonly timeoutSeconds: number },
): Promise<Proof> {
  const first = await proofOf(pid, started, mark);
  if (first.verdict !== "ours") return first;
  await processGroupSignal(pid, stop.signal);
  // Gone is the process itself gone (or a zombie), not merely unproven: an exiting process
  // loses its environment before it ends.
  const waitGone = async (ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(POLL_MS)) {
      const facts = await processFacts(pid);
      if (facts.state !== "running" || facts.startTime !== started.startTime) return true;
    }
    return false;
  };
  if (await waitGone(stop.timeoutSeconds * 1000)) return first;
  if ((await proofOf(pid, started, mark)).verdict === "ours") await processGroupSignal(pid, "SIGKILL");
  if (!(await waitGone(KILL_MS))) {
    throw new Error(
      `process ${pid} did not end ${KILL_MS / 1000} s after SIGKILL (a process in uninterruptible sleep?); ` +
        "look at it with `ps -o pid,stat,wchan -p PID` and run the operation again.",
    );
  }
  return first;
}

/**
 * Refuses, before any change, every file that exists with a content this resource did not write
 * (the hashes in `previous`, or what it is about to write), unless `adopt`.
 */
async function refuseForeignFiles(
  what: string,
  files: readonly ServiceFile[],
  previous: readonly WrittenFile[],
  adopt: boolean,
): Promise<void> {
  if (adopt) return;
  const current = await Promise.all(files.map((f) => fileHash(f.path)));
  const foreign = files.filter((f, i) => {
    const hash = current[i];
    return (
      hash !== undefined &&
      hash !== contentHash(f.content) &&
      !previous.some((p) => p.path === f.path && p.sha256 === hash)
    );
  });
  if (foreign.length > 0) {
    throw collisionError(`${what}: file ${foreign.map((f) => f.path).join(", ")}`, undefined);
  }
}

/** Writes each file whose content differs; returns what was written, by hash. */
async function writeFiles(
  files: readonly ServiceFile[],
  previous: readonly WrittenFile[],
): Promise<WrittenFile[]> {
  return Promise.all(
    files.map(async (f) => {
      const sha256 = contentHash(f.content);
      const unchanged =
        previous.some((p) => p.path === f.path && p.sha256 === sha256) && (await fileHash(f.path)) === sha256;
      // Mode and owner may have changed without the text: write anyway unless nothing did.
      if (!unchanged) await fileWrite(f.path, f.content, f.mode, f.owner);
      return { path: f.path, sha256 };
    }),
  );
}

/** Removes each file that still holds what we wrote; warns about one that does not. */
async function removeFiles(files: readonly WrittenFile[]): Promise<void> {
  for (const f of files) {
    const hash = await fileHash(f.path);
    if (hash === undefined) continue;
    if (hash === f.sha256) await fileRemove(f.path);
    else pulumi.log.warn(`${f.path} was left in place: it was changed since this stack wrote it.`);
  }
}

/**
 * Refuses, before any change, every directory that exists and is not one this resource made (the
 * identities in `previous`), unless `adopt`.
 */
async function refuseForeignDirectories(
  what: string,
  directories: readonly ServiceDirectory[],
  previous: readonly MadeDirectory[],
  adopt: boolean,
): Promise<void> {
  if (adopt) return;
  const current = await Promise.all(directories.map((d) => directoryIdentity(d.path)));
  const foreign = directories.filter((d, i) => {
    const id = current[i];
    return id !== undefined && !previous.some((p) => p.path === d.path && p.id === id);
  });
  if (foreign.length > 0) {
    throw collisionError(`${what}: directory ${foreign.map((d) => d.path).join(", ")}`, undefined);
  }
}

/**
 * Makes each directory that is missing, and sets mode and owner on those it made before (or, with
 * `adopt`, finds); each one made is pushed to `made` at once, so a rollback sees it.
 */
async function makeDirectories(
  directories: readonly ServiceDirectory[],
  previous: readonly MadeDirectory[],
  adopt: boolean,
  made: MadeDirectory[],
): Promise<void> {
  for (const d of directories) {
    const id = await directoryIdentity(d.path);
    const known = id !== undefined && (adopt || previous.some((p) => p.path === d.path && p.id === id));
    const after = await directoryMake(d.path, d.mode, d.owner, known);
    made.push({ path: d.path, id: after });
  }
}

/** Removes each directory, with what is in it, that is still the one made; warns about one that is not. */
async function removeDirectories(directories: readonly MadeDirectory[]): Promise<void> {
  for (const d of directories) {
    if ((await directoryRemove(d)) === "other") {
      pulumi.log.warn(`${d.path} was left in place: it is not the directory this stack made.`);
    }
  }
}

/** Each entry once (state and record may both list it). */
const distinct = <T>(list: readonly T[], keyOf: (t: T) => string): T[] =>
  list.filter((t, i) => list.findIndex((u) => keyOf(u) === keyOf(t)) === i);
const key = (d: MadeDirectory) => `${d.path}\0${d.id}`;

/**
 * Starts the process and waits until it is what it should be: exec'd into the namespace with our
 * mark in its environment (until then /proc shows `ip`'s namespace and environment), and past
 * setpriv (until then it runs as root).
 */
async function start(
  inputs: Inputs,
  mark: string,
  netnsInode: number,
  log: string,
): Promise<{ pid: number } & StartedProcess> {
  const pid = await serviceSpawn({
    netns: inputs.namespace,
    command: inputs.command,
    environment: inputs.environment,
    workingDirectory: inputs.workingDirectory,
    user: inputs.user,
    group: inputs.group,
    mark,
    service: serviceVariableValue(
      serviceRecordFile(inputs.namespace, inputs.name),
      serviceConfig(inputs, mark),
    ),
    log,
  });
  failpoint("spawned");
  for (const end = Date.now() + EXEC_MS; Date.now() < end; await sleep(POLL_MS / 2)) {
    const facts = await processFacts(pid);
    if (facts.state !== "running") break;
    // With a user, setpriv carries the mark before it drops root and execs the program.
    const asItself =
      inputs.user === undefined || !isSetprivStep(await processCommandLine(pid), inputs.command);
    if (facts.netnsInode === netnsInode && facts.mark === mark && facts.startTime !== undefined && asItself) {
      return { pid, startTime: facts.startTime, netnsInode };
    }
  }
  const facts = await processFacts(pid);
  if (facts.state === "running") await processGroupSignal(pid, "SIGKILL");
  throw await notRunning(`${describe(inputs.namespace, inputs.name)} exited as it started`, log);
}

/** Waits for readiness (or, without any, checks that it still runs); fails with the log. */
async function awaitReady(
  inputs: Inputs,
  started: { pid: number } & StartedProcess,
  mark: string,
  log: string,
) {
  const what = describe(inputs.namespace, inputs.name);
  const alive = async () => (await proofOf(started.pid, started, mark)).verdict === "ours";
  const readiness = inputs.readiness;
  if (!readiness) {
    if (!(await alive())) throw await notRunning(`${what} exited right after it started`, log);
    return;
  }
  const end = Date.now() + readiness.timeoutSeconds * 1000;
  let last = "";
  for (;;) {
    if (!(await alive())) throw await notRunning(`${what} exited before it was ready`, log);
    if (readiness.tcpPort !== undefined) {
      if (await tcpListening(inputs.namespace, readiness.tcpPort)) return;
      last = `nothing listens on TCP port ${readiness.tcpPort}`;
    } else if (readiness.command !== undefined) {
      const remaining = Math.max(0.1, (end - Date.now()) / 1000);
      const ran = await runInNamespace(inputs.namespace, readiness.command, remaining);
      if (ran.exitCode === 0) return;
      last = `${readiness.command.join(" ")} exited ${ran.exitCode}${ran.output ? `: ${ran.output.split("\n").slice(-3).join(" / ")}` : ""}`;
    }
    if (Date.now() >= end) break;
    await sleep(POLL_MS * 2);
  }
  throw await notRunning(`${what} was not ready within ${readiness.timeoutSeconds} s (${last})`, log);
}

/** The namespace's nsfs inode, or an error saying it is missing. */
async function namespaceInode(inputs: Inputs): Promise<number> {
  const identity = await netnsIdentity(inputs.namespace);
  if (!identity) {
    throw new Error(
      `${describe(inputs.namespace, inputs.name)} cannot start: ${describeNamespace(inputs.namespace)} does not exist. ` +
        "Declare it (netns.Namespace) and pass its name output, so the service waits for it.",
    );
  }
  return identity.inode;
}

function outputs(
  inputs: Inputs,
  started: { pid: number } & StartedProcess,
  log: string,
  written: WrittenFile[],
  made: MadeDirectory[],
): ServiceOutputs {
  return {
    ...inputs,
    pid: started.pid,
    startTime: started.startTime,
    netnsInode: started.netnsInode,
    logFile: log,
    writtenFiles: written,
    madeDirectories: made,
  };
}

/**
 * A record's details. `process`: the namespace's inode (known before the start, so a process the
 * record does not name yet can be proven), with the pid and start time once recorded.
 */
const details = (
  inputs: Pick<Inputs, "namespace" | "name">,
  log: string,
  files: readonly WrittenFile[],
  directories: readonly MadeDirectory[],
  proc: { pid?: number; startTime?: string; netnsInode?: number | undefined },
): ServiceRecordDetails => ({
  netns: inputs.namespace,
  name: inputs.name,
  log,
  files,
  directories,
  pid: proc.pid,
  startTime: proc.startTime,
  netnsInode: proc.netnsInode,
});

/** Removes a log and the earlier logs kept beside it. */
async function removeLogs(log: string): Promise<void> {
  for (const f of serviceLogFiles(log)) await fileRemove(f);
}

/**
 * What a service leaves besides its process: its files (those still as written), its directories
 * (those still the ones made), its logs, its record.
 */
export async function removeServiceLeftovers(record: ServiceRecordDetails, mark: string): Promise<void> {
  await removeFiles(record.files);
  await removeDirectories(record.directories);
  await removeLogs(record.log);
  await serviceReleaseRecord(record.netns, record.name, mark);
}

/** The record as a proof reads it. */
const recorded = (record: ServiceRecordDetails): RecordedService => ({
  file: serviceRecordFile(record.netns, record.name),
  pid: record.pid,
  startTime: record.startTime,
  netnsInode: record.netnsInode,
});

/** Whether every file holds the text the inputs give it. */
async function filesIntact(files: readonly ServiceFile[]): Promise<boolean> {
  const hashes = await Promise.all(files.map((f) => fileHash(f.path)));
  return files.every((f, i) => hashes[i] === contentHash(f.content));
}

/** Whether every directory the inputs want is one the record says this resource made. */
async function directoriesIntact(
  directories: readonly ServiceDirectory[],
  made: readonly MadeDirectory[],
): Promise<boolean> {
  const ids = await Promise.all(directories.map((d) => directoryIdentity(d.path)));
  return directories.every((d, i) => made.some((m) => m.path === d.path && m.id === ids[i]));
}

/** Stops what a failed create started and removes what it wrote; the first error stays. */
async function undo(
  mark: string,
  inputs: Inputs,
  log: string,
  written: readonly WrittenFile[],
  made: readonly MadeDirectory[],
  started?: { pid: number } & StartedProcess,
) {
  if (started) await stopProven(started.pid, started, mark, { signal: "SIGKILL", timeoutSeconds: 1 });
  await removeFiles(written);
  await removeDirectories(made);
  await removeLogs(log);
  await serviceReleaseRecord(inputs.namespace, inputs.name, mark);
}

/** Whether a change of inputs needs the process started again. */
const needsRestart = (olds: ServiceOutputs, news: Inputs) =>
  ownerMark(olds) !== ownerMark(news) ||
  RESTART_FIELDS.some((f) => JSON.stringify(olds[f] ?? null) !== JSON.stringify(news[f] ?? null));

/**
 * An update's new process failed: puts the previous configuration back (the new process stopped,
 * the previous files rewritten and the new ones removed, the previous process started again if it
 * ran before the update) and throws the failure. When the previous process runs again, the error
 * carries the outputs that describe it, which the engine keeps as the resource's state (an
 * initialisation failure, `ErrorResourceInitFailed`), so state says what runs.
 */
async function restorePrevious(
  failure: unknown,
  id: string,
  olds: ServiceOutputs,
  news: Inputs,
  written: readonly WrittenFile[],
  directories: MadeDirectory[],
  netnsInode: number,
  wasRunning: boolean,
  started?: { pid: number } & StartedProcess,
): Promise<never> {
  const oldMark = ownerMark(olds);
  const log = olds.logFile;
  const first = failure instanceof Error ? failure.message : String(failure);
  let restarted: ({ pid: number } & StartedProcess) | undefined;
  let back: WrittenFile[];
  try {
    if (started) {
      await stopProven(started.pid, started, ownerMark(news), { signal: "SIGKILL", timeoutSeconds: 1 });
    }
    const planned = olds.files.map((f) => ({ path: f.path, sha256: contentHash(f.content) }));
    await serviceWriteRecord(
      oldMark,
      details(olds, log, [...written, ...planned], directories, { netnsInode }),
    );
    back = await writeFiles(olds.files, written);
    await removeFiles(written.filter((w) => !olds.files.some((f) => f.path === w.path)));
    if (wasRunning) {
      restarted = await start(olds, oldMark, netnsInode, log);
      await serviceWriteRecord(oldMark, details(olds, log, back, directories, restarted));
      await awaitReady(olds, restarted, oldMark, log);
    } else {
      await serviceWriteRecord(oldMark, details(olds, log, back, directories, { netnsInode }));
    }
  } catch (restoreError) {
    const second = restoreError instanceof Error ? restoreError.message : String(restoreError);
    throw new AggregateError(
      [failure, restoreError],
      `${first}\nPutting the previous configuration back also failed, so the service may not run ` +
        `(\`pulumi refresh\` shows what runs): ${second}`,
      { cause: restoreError },
    );
  }
  if (!restarted) {
    throw new Error(`${first}\nThe previous files were put back; the previous process was not running.`, {
      cause: failure,
    });
  }
  const error = new Error(
    `${first}\nThe previous configuration runs again (process ${restarted.pid}), so the lab keeps working.`,
    { cause: failure },
  );
  const provider = (news as unknown as { __provider?: unknown }).__provider;
  throw Object.assign(error, {
    id,
    properties: {
      ...outputs(olds, restarted, log, back, directories),
      ...(provider === undefined ? {} : { __provider: provider }),
    },
  });
}

const serviceProvider: pulumi.dynamic.ResourceProvider = {
  check: checkWith(serviceSchema, (inputs) => claimService(inputs.namespace, inputs.name, inputs.managedBy)),

  async diff(_id, olds: ServiceOutputs, news: Inputs) {
    return diffService(olds, news);
  },

  async create(inputs: Inputs) {
    assertPrivileged();
    const mark = ownerMark(inputs);
    const what = describe(inputs.namespace, inputs.name);
    const id = `${inputs.namespace}/${inputs.name}`;
    const log = serviceLogFile(inputs.namespace, inputs.name);
    const netnsInode = await namespaceInode(inputs);
    const record = await serviceReadRecord(inputs.namespace, inputs.name);
    const planned = inputs.files.map((f) => ({ path: f.path, sha256: contentHash(f.content) }));
    let previous: readonly WrittenFile[] = [];
    let previousDirectories: readonly MadeDirectory[] = [];
    if (record && record.mark !== mark) {
      const theirs = await findServiceProcesses(recorded(record), record.mark);
      if (theirs.length > 0) throw collisionError(`${what} (process ${theirs[0]!.pid})`, record.mark);
    }
    if (record?.mark === mark) {
      // Ours from an interrupted run or a state refresh dropped: a process that runs what the
      // inputs say, in this namespace, with its files and directories intact, is taken over; any
      // other is stopped.
      [previous, previousDirectories] = [record.files, record.directories];
      const running = await findServiceProcesses(recorded(record), mark);
      const config = serviceConfig(inputs, mark);
      const intact =
        running.length > 0 &&
        (await filesIntact(inputs.files)) &&
        (await directoriesIntact(inputs.directories, record.directories));
      const adopted = intact
        ? running.find((r) => r.config === config && r.started.netnsInode === netnsInode)
        : undefined;
      for (const r of running) if (r !== adopted) await stopProven(r.pid, r.started, mark, inputs.stop);
      if (adopted) {
        const started = { pid: adopted.pid, ...adopted.started };
        const kept = record.directories.filter((m) => inputs.directories.some((d) => d.path === m.path));
        try {
          await removeDirectories(record.directories.filter((m) => !kept.includes(m)));
          await serviceWriteRecord(mark, details(inputs, log, planned, kept, started));
          await awaitReady(inputs, started, mark, log);
          await logTrim(log, LOG_MAX_BYTES);
        } catch (e) {
          return rollBack(e, () => undo(mark, inputs, log, planned, kept, started));
        }
        return { id, outs: outputs(inputs, started, log, planned, kept) };
      }
    }
    await refuseForeignDirectories(what, inputs.directories, previousDirectories, inputs.adopt);
    await refuseForeignFiles(what, inputs.files, previous, inputs.adopt);
    const claim = await serviceClaimRecord(
      mark,
      details(inputs, log, [...previous, ...planned], previousDirectories, { netnsInode }),
    );
    if (!claim.claimed) {
      throw new Error(
        `${what} is being created right now by ${claim.owner}; nothing was changed. Two resources ` +
          "cannot own one service name in a namespace: choose another name.",
      );
    }
    failpoint("claimed");
    let written: WrittenFile[];
    let started: ({ pid: number } & StartedProcess) | undefined;
    const made: MadeDirectory[] = [];
    try {
      await makeDirectories(inputs.directories, previousDirectories, inputs.adopt, made);
      // Recorded before anything goes into them, so gc finds them even if this run dies here.
      await serviceWriteRecord(mark, details(inputs, log, [...previous, ...planned], made, { netnsInode }));
      written = await writeFiles(inputs.files, previous);
      started = await start(inputs, mark, netnsInode, log);
      await serviceWriteRecord(mark, details(inputs, log, written, made, started));
      failpoint("recorded");
      await awaitReady(inputs, started, mark, log);
      failpoint("ready");
    } catch (e) {
      return rollBack(e, () => undo(mark, inputs, log, planned, made, started));
    }
    return { id, outs: outputs(inputs, started, log, written, made) };
  },

  async read(id, props?: ServiceOutputs) {
    assertPrivileged();
    if (!props) return {};
    const proof = await proofOf(props.pid, props, ownerMark(props));
    const namespace = await netnsIdentity(props.namespace);
    // Dead, someone else's process at the pid, or a namespace re-made under the name: ours is not
    // running there. Its record, files and log stay: the next create takes them over by the
    // record, or `pulumi-netns gc` removes them.
    if (proof.verdict !== "ours" || namespace?.inode !== props.netnsInode) return {};
    await logTrim(props.logFile, LOG_MAX_BYTES);
    // A file changed by hand is left out, so the next diff rewrites it (and restarts the service).
    const hashes = await Promise.all(props.files.map((f) => fileHash(f.path)));
    const files = props.files.filter((f, i) => hashes[i] === contentHash(f.content));
    // So is a directory removed or replaced by hand: the next up makes it again and restarts.
    const made = props.madeDirectories ?? [];
    const ids = await Promise.all((props.directories ?? []).map((d) => directoryIdentity(d.path)));
    const directories = (props.directories ?? []).filter((d, i) =>
      made.some((m) => m.path === d.path && m.id === ids[i]),
    );
    return { id, props: { ...props, files, directories } };
  },

  async update(id, olds: ServiceOutputs, news: Inputs) {
    assertPrivileged();
    const mark = ownerMark(news);
    const what = describe(news.namespace, news.name);
    const log = olds.logFile;
    const oldDirectories = olds.madeDirectories ?? [];
    await refuseForeignDirectories(what, news.directories, oldDirectories, news.adopt);
    await refuseForeignFiles(what, news.files, olds.writtenFiles, news.adopt);
    const proof = await proofOf(olds.pid, olds, ownerMark(olds));
    const wasRunning = proof.verdict === "ours";
    const planned = news.files.map((f) => ({ path: f.path, sha256: contentHash(f.content) }));
    const restart = !wasRunning || needsRestart(olds, news);
    const pending = [...olds.writtenFiles, ...planned];
    // The old process stops before the record stops naming it; from then on the record names the
    // namespace, so the new process is found by its environment until its pid is recorded.
    if (restart) await stopProven(olds.pid, olds, ownerMark(olds), olds.stop);
    const netnsInode = restart ? await namespaceInode(news) : olds.netnsInode;
    const running = restart ? { netnsInode } : olds;
    await serviceWriteRecord(mark, details(news, log, pending, oldDirectories, running));
    const made: MadeDirectory[] = [];
    try {
      await makeDirectories(news.directories, oldDirectories, news.adopt, made);
    } finally {
      await serviceWriteRecord(
        mark,
        details(news, log, pending, distinct([...oldDirectories, ...made], key), running),
      );
    }
    const written = await writeFiles(news.files, olds.writtenFiles);
    await removeFiles(olds.writtenFiles.filter((o) => !written.some((w) => w.path === o.path)));
    // Directories the new configuration drops go only once it runs: a failed restart puts the old
    // configuration back, and it may need them.
    const dropped = oldDirectories.filter((o) => !made.some((m) => m.path === o.path));
    if (!restart) {
      await removeDirectories(dropped);
      await serviceWriteRecord(mark, details(news, log, written, made, olds));
      await logTrim(log, LOG_MAX_BYTES);
      return { outs: outputs(news, olds, log, written, made) };
    }
    const everyDirectory = distinct([...oldDirectories, ...made], key);
    let started: ({ pid: number } & StartedProcess) | undefined;
    try {
      started = await start(news, mark, netnsInode, log);
      await serviceWriteRecord(mark, details(news, log, written, everyDirectory, started));
      await awaitReady(news, started, mark, log);
    } catch (e) {
      return restorePrevious(e, id, olds, news, written, everyDirectory, netnsInode, wasRunning, started);
    }
    await removeDirectories(dropped);
    await serviceWriteRecord(mark, details(news, log, written, made, started));
    return { outs: outputs(news, started, log, written, made) };
  },

  async delete(_id, props: ServiceOutputs) {
    assertPrivileged();
    const mark = ownerMark(props);
    const proof = await stopProven(props.pid, props, mark, props.stop);
    if (proof.verdict === "foreign") {
      pulumi.log.warn(
        `process ${props.pid} was left untouched: it is not the one ${describe(props.namespace, props.name)} started.`,
      );
    }
    const record = await serviceReadRecord(props.namespace, props.name);
    const ours = record?.mark === mark ? record : undefined;
    if (ours) {
      // One the state does not name (an update killed in its restart): the record finds it.
      for (const r of await findServiceProcesses(recorded(ours), mark)) {
        await stopProven(r.pid, r.started, mark, props.stop);
      }
    }
    await removeFiles(
      distinct([...props.writtenFiles, ...(ours?.files ?? [])], (f) => `${f.path}\0${f.sha256}`),
    );
    // After the files, which may be inside them.
    await removeDirectories(distinct([...(props.madeDirectories ?? []), ...(ours?.directories ?? [])], key));
    await removeLogs(props.logFile);
    await serviceReleaseRecord(props.namespace, props.name, mark);
  },
};

/** A long-running process in a namespace, with its configuration files and its log. */
export const serviceKind = defineKind({
  kind: "Service",
  declaredBy: "user",
  schema: serviceSchema,
  diffInputs: diffService,
  kernelKind: undefined,
  references: serviceReferences,
  holdings: processHolding,
  provider: serviceProvider,
});
