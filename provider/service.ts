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
  processFacts,
  processGroupSignal,
  runInNamespace,
  serviceClaimRecord,
  serviceLogFile,
  serviceReadRecord,
  serviceReleaseRecord,
  serviceSpawn,
  serviceWriteRecord,
  tcpListening,
  type MadeDirectory,
  type ServiceRecordDetails,
  type WrittenFile,
} from "./kernel/service";
import { claimService } from "./claims";
import { checkWith, describeNamespace } from "./lifecycle";
import { collisionError, ownerMark, rollBack, type Owned } from "./ownership";
import { assertPrivileged } from "./privileges";
import { proveProcess, type Proof, type StartedProcess } from "./proof";
import { processHolding } from "./holdings";
import { defineKind } from "./kind";
import {
  diffService,
  RESTART_FIELDS,
  serviceReferences,
  serviceSchema,
  type ServiceDirectory,
  type ServiceFile,
  type ServiceResolved,
} from "./schema/service";

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
 * mark in its environment (until then /proc shows `ip`'s namespace and environment).
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
    log,
  });
  for (const end = Date.now() + EXEC_MS; Date.now() < end; await sleep(POLL_MS / 2)) {
    const facts = await processFacts(pid);
    if (facts.state !== "running") break;
    if (facts.netnsInode === netnsInode && facts.mark === mark && facts.startTime !== undefined) {
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

const details = (
  inputs: Pick<Inputs, "namespace" | "name">,
  log: string,
  files: readonly WrittenFile[],
  directories: readonly MadeDirectory[],
  started?: { pid: number } & StartedProcess,
): ServiceRecordDetails => ({
  netns: inputs.namespace,
  name: inputs.name,
  log,
  files,
  directories,
  ...started,
});

/**
 * What a service leaves besides its process: its files (those still as written), its directories
 * (those still the ones made), its log, its record.
 */
export async function removeServiceLeftovers(record: ServiceRecordDetails, mark: string): Promise<void> {
  await removeFiles(record.files);
  await removeDirectories(record.directories);
  await fileRemove(record.log);
  await serviceReleaseRecord(record.netns, record.name, mark);
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
  await fileRemove(log);
  await serviceReleaseRecord(inputs.namespace, inputs.name, mark);
}

/** Whether a change of inputs needs the process started again. */
const needsRestart = (olds: ServiceOutputs, news: Inputs) =>
  ownerMark(olds) !== ownerMark(news) ||
  RESTART_FIELDS.some((f) => JSON.stringify(olds[f] ?? null) !== JSON.stringify(news[f] ?? null));

const serviceProvider: pulumi.dynamic.ResourceProvider = {
  check: checkWith(serviceSchema, (inputs) => claimService(inputs.namespace, inputs.name, inputs.managedBy)),

  async diff(_id, olds: ServiceOutputs, news: Inputs) {
    return diffService(olds, news);
  },

  async create(inputs: Inputs) {
    assertPrivileged();
    const mark = ownerMark(inputs);
    const what = describe(inputs.namespace, inputs.name);
    const log = serviceLogFile(inputs.namespace, inputs.name);
    const netnsInode = await namespaceInode(inputs);
    const record = await serviceReadRecord(inputs.namespace, inputs.name);
    let previous: readonly WrittenFile[] = [];
    let previousDirectories: readonly MadeDirectory[] = [];
    if (record?.pid !== undefined && record.startTime !== undefined && record.netnsInode !== undefined) {
      const recorded = { startTime: record.startTime, netnsInode: record.netnsInode };
      if (record.mark !== mark) {
        const theirs = await proofOf(record.pid, recorded, record.mark);
        if (theirs.verdict === "ours") throw collisionError(`${what} (process ${record.pid})`, record.mark);
      } else {
        // Ours from an interrupted run or a state refresh dropped: start it afresh.
        await stopProven(record.pid, recorded, mark, inputs.stop);
      }
    }
    if (record?.mark === mark) [previous, previousDirectories] = [record.files, record.directories];
    await refuseForeignDirectories(what, inputs.directories, previousDirectories, inputs.adopt);
    await refuseForeignFiles(what, inputs.files, previous, inputs.adopt);
    const planned = inputs.files.map((f) => ({ path: f.path, sha256: contentHash(f.content) }));
    const claim = await serviceClaimRecord(
      mark,
      details(inputs, log, [...previous, ...planned], previousDirectories),
    );
    if (!claim.claimed) {
      throw new Error(
        `${what} is being created right now by ${claim.owner}; nothing was changed. Two resources ` +
          "cannot own one service name in a namespace: choose another name.",
      );
    }
    let written: WrittenFile[];
    let started: ({ pid: number } & StartedProcess) | undefined;
    const made: MadeDirectory[] = [];
    try {
      await makeDirectories(inputs.directories, previousDirectories, inputs.adopt, made);
      // Recorded before anything goes into them, so gc finds them even if this run dies here.
      await serviceWriteRecord(mark, details(inputs, log, [...previous, ...planned], made));
      written = await writeFiles(inputs.files, previous);
      started = await start(inputs, mark, netnsInode, log);
      await serviceWriteRecord(mark, details(inputs, log, written, made, started));
      await awaitReady(inputs, started, mark, log);
    } catch (e) {
      return rollBack(e, () => undo(mark, inputs, log, planned, made, started));
    }
    return {
      id: `${inputs.namespace}/${inputs.name}`,
      outs: outputs(inputs, started, log, written, made),
    };
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

  async update(_id, olds: ServiceOutputs, news: Inputs) {
    assertPrivileged();
    const mark = ownerMark(news);
    const what = describe(news.namespace, news.name);
    const log = olds.logFile;
    const oldDirectories = olds.madeDirectories ?? [];
    await refuseForeignDirectories(what, news.directories, oldDirectories, news.adopt);
    await refuseForeignFiles(what, news.files, olds.writtenFiles, news.adopt);
    const proof = await proofOf(olds.pid, olds, ownerMark(olds));
    const restart = proof.verdict !== "ours" || needsRestart(olds, news);
    const planned = news.files.map((f) => ({ path: f.path, sha256: contentHash(f.content) }));
    const pending = [...olds.writtenFiles, ...planned];
    await serviceWriteRecord(mark, details(news, log, pending, oldDirectories, olds));
    if (restart) await stopProven(olds.pid, olds, ownerMark(olds), olds.stop);
    const made: MadeDirectory[] = [];
    try {
      await makeDirectories(news.directories, oldDirectories, news.adopt, made);
    } finally {
      await serviceWriteRecord(
        mark,
        details(news, log, pending, distinct([...oldDirectories, ...made], key), olds),
      );
    }
    const written = await writeFiles(news.files, olds.writtenFiles);
    await removeFiles(olds.writtenFiles.filter((o) => !written.some((w) => w.path === o.path)));
    await removeDirectories(oldDirectories.filter((o) => !made.some((m) => m.path === o.path)));
    if (!restart) {
      await serviceWriteRecord(mark, details(news, log, written, made, olds));
      return { outs: outputs(news, olds, log, written, made) };
    }
    const started = await start(news, mark, await namespaceInode(news), log);
    await serviceWriteRecord(mark, details(news, log, written, made, started));
    await awaitReady(news, started, mark, log);
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
    await removeFiles(
      distinct([...props.writtenFiles, ...(ours?.files ?? [])], (f) => `${f.path}\0${f.sha256}`),
    );
    // After the files, which may be inside them.
    await removeDirectories(distinct([...(props.madeDirectories ?? []), ...(ours?.directories ?? [])], key));
    await fileRemove(props.logFile);
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
