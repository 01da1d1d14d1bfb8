// A long-running process in a network namespace, its configuration files and its log, on the
// current host (host.ts). On this machine: execa with argv arrays and node's fs. On another
// machine: constant sh scripts whose values arrive as positional parameters, as host.ts does.
// The process is started as `ip netns exec NS env -i VARS [setpriv ...] ARGV` in a session of its
// own: `ip netns exec`, `env` and `setpriv` each exec in place, so the pid we get is the daemon's.
import { createHash } from "node:crypto";
import { constants } from "node:os";
import {
  chmod,
  copyFile,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  rmdir,
  stat as fileStat,
  truncate,
  writeFile,
} from "node:fs/promises";
import { dirname, join } from "node:path";
import { KernelCommandError } from "./errors";
import { assertNetnsName } from "./ip";
import { currentHost, localHost } from "./host";
import { spawnDetached } from "./runner";
import { recordClaim, recordRead, recordRelease, recordWrite, RECORDS_ROOT } from "./records";

/** Where service records live, one per (namespace, name). */
export const SERVICE_RECORD_DIR = `${RECORDS_ROOT}/service`;
/** Where service logs live: outside the records, which are read as records one file each. */
export const SERVICE_LOG_DIR = "/var/log/pulumi-netns";
/** The environment variable that carries the owner's mark in the process's environment. */
export const MARK_VARIABLE = "PULUMI_NETNS_MARK";
/**
 * The environment variable that says which service a process is and what it runs with:
 * `<record file>/<configuration hash>`. It finds a process no record names yet (a provider killed
 * between the start and the record's rewrite) and tells whether it runs what the inputs say.
 */
export const SERVICE_VARIABLE = "PULUMI_NETNS_SERVICE";
/** How many earlier logs a service keeps beside its log (`.1` the newest). */
export const LOG_KEEP = 2;
/** The PATH a service runs with unless its environment sets one. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The record's file name: a hash of the service's key (namespace names make awkward file names). */
export function serviceRecordFile(netns: string, name: string): string {
  return sha256(JSON.stringify([netns, name])).slice(0, 32);
}

/** The log of the service `name` in `netns`. */
export function serviceLogFile(netns: string, name: string): string {
  return join(SERVICE_LOG_DIR, `${name}-${serviceRecordFile(netns, name).slice(0, 12)}.log`);
}

/** The log and the earlier logs kept beside it, newest first. */
export const serviceLogFiles = (log: string): string[] => [
  log,
  ...Array.from({ length: LOG_KEEP }, (_, i) => `${log}.${i + 1}`),
];

/** The value of {@link SERVICE_VARIABLE}: the record file and the hash of what the process runs with. */
export const serviceVariableValue = (recordFile: string, config: string): string => `${recordFile}/${config}`;

/** A file a service wrote, by the hash of what it wrote. */
export interface WrittenFile {
  readonly path: string;
  readonly sha256: string;
}

/**
 * A directory a service made, by its identity: `DEV:INODE` as lstat(2) gives them (`stat -c %d:%i`).
 * Only a directory at that path with that identity is ever removed.
 */
export interface MadeDirectory {
  readonly path: string;
  readonly id: string;
}

/** What a service record says besides its mark. */
export interface ServiceRecordDetails {
  readonly netns: string;
  readonly name: string;
  /** Unset while the process is not started yet. */
  readonly pid?: number | undefined;
  /** /proc/PID/stat field 22, in clock ticks since boot. */
  readonly startTime?: string | undefined;
  /** The nsfs inode of the namespace it was started in. */
  readonly netnsInode?: number | undefined;
  readonly log: string;
  readonly files: readonly WrittenFile[];
  readonly directories: readonly MadeDirectory[];
}

export interface ServiceRecord extends ServiceRecordDetails {
  readonly mark: string;
}

export function parseServiceRecordDetails(details: readonly string[]): ServiceRecordDetails | undefined {
  try {
    const d = JSON.parse(details[0] ?? "") as Record<string, unknown>;
    if (typeof d.netns !== "string" || typeof d.name !== "string" || typeof d.log !== "string")
      return undefined;
    const files = Array.isArray(d.files)
      ? d.files.filter(
          (f): f is WrittenFile =>
            typeof f === "object" && f !== null && typeof f.path === "string" && typeof f.sha256 === "string",
        )
      : [];
    const directories = Array.isArray(d.directories)
      ? d.directories.filter(
          (f): f is MadeDirectory =>
            typeof f === "object" && f !== null && typeof f.path === "string" && typeof f.id === "string",
        )
      : [];
    return {
      netns: d.netns,
      name: d.name,
      pid: typeof d.pid === "number" ? d.pid : undefined,
      startTime: typeof d.startTime === "string" ? d.startTime : undefined,
      netnsInode: typeof d.netnsInode === "number" ? d.netnsInode : undefined,
      log: d.log,
      files,
      directories,
    };
  } catch {
    return undefined;
  }
}

const encodeDetails = (d: ServiceRecordDetails) => [JSON.stringify(d)];

export async function serviceReadRecord(netns: string, name: string): Promise<ServiceRecord | undefined> {
  const record = await recordRead(SERVICE_RECORD_DIR, serviceRecordFile(netns, name));
  const details = record && parseServiceRecordDetails(record.details);
  return record && details ? { mark: record.mark, ...details } : undefined;
}

/** Claims the record before anything is made (see recordClaim): the other owner when it holds it. */
export function serviceClaimRecord(mark: string, details: ServiceRecordDetails) {
  return recordClaim(SERVICE_RECORD_DIR, serviceRecordFile(details.netns, details.name), {
    mark,
    details: encodeDetails(details),
  });
}

export function serviceWriteRecord(mark: string, details: ServiceRecordDetails): Promise<void> {
  return recordWrite(SERVICE_RECORD_DIR, serviceRecordFile(details.netns, details.name), {
    mark,
    details: encodeDetails(details),
  });
}

/** Removes the record if it still names `mark`. */
export function serviceReleaseRecord(netns: string, name: string, mark: string): Promise<void> {
  return recordRelease(SERVICE_RECORD_DIR, serviceRecordFile(netns, name), mark);
}

// ---------------------------------------------------------------------------------------------
// The process as /proc shows it

/** What /proc says of a pid. A zombie is dead: it runs nothing and its pid is only waiting to be reaped. */
export interface ProcessFacts {
  readonly state: "absent" | "dead" | "running";
  /** /proc/PID/stat field 22: with the pid, the process's identity (a reused pid has another). */
  readonly startTime?: string | undefined;
  /** The inode of /proc/PID/ns/net. */
  readonly netnsInode?: number | undefined;
  /** The value of PULUMI_NETNS_MARK in /proc/PID/environ. */
  readonly mark?: string | undefined;
  /** /proc/PID/stat field 6: the session id (a service leads its own session). */
  readonly session?: number | undefined;
  /** From PULUMI_NETNS_SERVICE in /proc/PID/environ: the record file of the service it is. */
  readonly serviceFile?: string | undefined;
  /** From PULUMI_NETNS_SERVICE: the hash of what it runs with. */
  readonly serviceConfig?: string | undefined;
}

/**
 * State (field 3), session (field 6) and start time (field 22) of /proc/PID/stat; the name in
 * parentheses may hold anything.
 */
export function parseProcStat(
  text: string,
): { state: string; session: number; startTime: string } | undefined {
  const fields = text
    .slice(text.lastIndexOf(")") + 2)
    .trim()
    .split(" ");
  const [state, session, startTime] = [fields[0], fields[3], fields[19]];
  return state && startTime && /^\d+$/.test(startTime) && session && /^\d+$/.test(session)
    ? { state, session: Number(session), startTime }
    : undefined;
}

/**
 * The value of `variable` in an environment block, its entries separated by NUL (as
 * /proc/PID/environ has them) or by newlines (as the remote scripts print them, a newline inside a
 * value turned into \x01 there): a value holding a newline never passes for a variable of its own.
 */
export function variableInEnviron(environ: string, variable: string): string | undefined {
  const prefix = `${variable}=`;
  return environ
    .split(environ.includes("\0") ? "\0" : "\n")
    .find((v) => v.startsWith(prefix))
    ?.slice(prefix.length);
}

/** The mark in an environment block. */
export const markInEnviron = (environ: string): string | undefined =>
  variableInEnviron(environ, MARK_VARIABLE);

const NS_INODE = /^net:\[(\d+)\]$/;

/** Builds facts from the three things read; `stat` undefined: no such process. */
export function processFactsFrom(
  stat: string | undefined,
  nsLink: string | undefined,
  environ: string,
): ProcessFacts {
  const parsed = stat === undefined ? undefined : parseProcStat(stat);
  if (!parsed) return { state: "absent" };
  const inode = NS_INODE.exec(nsLink?.trim() ?? "")?.[1];
  const service = variableInEnviron(environ, SERVICE_VARIABLE)?.split("/");
  return {
    state: parsed.state === "Z" || parsed.state === "X" ? "dead" : "running",
    startTime: parsed.startTime,
    netnsInode: inode === undefined ? undefined : Number(inode),
    mark: markInEnviron(environ),
    session: parsed.session,
    serviceFile: service?.length === 2 ? service[0] : undefined,
    serviceConfig: service?.length === 2 ? service[1] : undefined,
  };
}

// Our two variables of /proc/$p/environ, one a line (a newline inside a value becomes \001).
const ENVIRON_LINES = `grep -z -E '^(${MARK_VARIABLE}|${SERVICE_VARIABLE})=' < "/proc/$p/environ" 2>/dev/null | tr '\\n\\000' '\\001\\n'`;

// One round trip: stat, the namespace link, then our variables of the environment.
const FACTS_SCRIPT = [
  "p=$1",
  's=$(cat "/proc/$p/stat" 2>/dev/null) || exit 0',
  'printf "%s\\n" "$s"',
  'readlink "/proc/$p/ns/net" 2>/dev/null || echo',
  `${ENVIRON_LINES} || :`,
].join("\n");

// Every session leader whose environment carries a mark: per process a line `=PID`, its stat, its
// namespace link, our variables.
const MARKED_SCRIPT = [
  `for f in $(grep -l -z '^${MARK_VARIABLE}=' /proc/[0-9]*/environ 2>/dev/null); do`,
  "  p=${f#/proc/}; p=${p%/environ}",
  '  s=$(cat "/proc/$p/stat" 2>/dev/null) || continue',
  '  printf "=%s\\n%s\\n" "$p" "$s"',
  '  readlink "/proc/$p/ns/net" 2>/dev/null || echo',
  `  ${ENVIRON_LINES} || :`,
  "done",
  ":",
].join("\n");

const positive = (pid: number) => {
  if (!Number.isSafeInteger(pid) || pid <= 1) throw new Error(`not a process id a service can have: ${pid}`);
  return String(pid);
};

/**
 * What /proc shows of `pid` now. Equivalent to: `cat /proc/PID/stat; readlink /proc/PID/ns/net;
 * cat /proc/PID/environ`.
 */
export async function processFacts(pid: number): Promise<ProcessFacts> {
  const host = currentHost();
  if (host === localHost) {
    const proc = `/proc/${positive(pid)}`;
    const read = (f: string) => readFile(join(proc, f), "utf8").catch(() => undefined);
    const [stat, environ] = await Promise.all([read("stat"), read("environ")]);
    const ns = await readlink(join(proc, "ns/net")).catch(() => undefined);
    return processFactsFrom(stat, ns, environ ?? "");
  }
  const out = await runScript(FACTS_SCRIPT, [positive(pid)]);
  if (out === "") return { state: "absent" };
  const [stat, ns, ...rest] = out.split("\n");
  return processFactsFrom(stat, ns, rest.join("\n"));
}

/** A process whose own environment carries a service mark, and that leads its own session. */
export interface MarkedProcess {
  readonly pid: number;
  readonly facts: ProcessFacts;
}

/**
 * Every live session leader whose environment carries a service mark: what a service's process is,
 * whether or not a record names its pid. Equivalent to: `grep -l -z ^PULUMI_NETNS_MARK=
 * /proc/[0-9]*\/environ`, then each one's stat, `ns/net` and those variables.
 */
export async function markedSessionLeaders(): Promise<MarkedProcess[]> {
  const found: MarkedProcess[] = [];
  const keep = (pid: number, facts: ProcessFacts) => {
    if (facts.state === "running" && facts.session === pid && facts.mark !== undefined)
      found.push({ pid, facts });
  };
  if (currentHost() === localHost) {
    const pids = (await readdir("/proc")).filter((e) => /^\d+$/.test(e));
    for (const entry of pids) {
      const proc = `/proc/${entry}`;
      const environ = await readFile(join(proc, "environ"), "utf8").catch(() => undefined);
      if (environ === undefined || !environ.includes(`${MARK_VARIABLE}=`)) continue;
      const stat = await readFile(join(proc, "stat"), "utf8").catch(() => undefined);
      const ns = await readlink(join(proc, "ns/net")).catch(() => undefined);
      keep(Number(entry), processFactsFrom(stat, ns, environ));
    }
    return found;
  }
  const out = await runScript(MARKED_SCRIPT, []);
  for (const chunk of out.split(/^=/m).slice(1)) {
    const [pid, stat, ns, ...rest] = chunk.split("\n");
    keep(Number(pid), processFactsFrom(stat, ns, rest.join("\n")));
  }
  return found;
}

/** argv[0] of `pid`; undefined when it is gone. Equivalent to: `cat /proc/PID/cmdline`. */
export async function processProgram(pid: number): Promise<string | undefined> {
  const text = await currentHost()
    .files.readFile(`/proc/${positive(pid)}/cmdline`)
    .catch(() => undefined);
  const program = text?.split("\0")[0];
  return program === "" ? undefined : program;
}

/** Runs a constant script on the current host (another machine), failing with its argv and stderr. */
async function runScript(script: string, args: readonly string[], input?: string): Promise<string> {
  const argv = ["sh", "-c", script, "sh", ...args];
  const result = await currentHost().runner("sh", argv.slice(1), input === undefined ? undefined : { input });
  if (result.exitCode !== 0) {
    throw new KernelCommandError(
      { argv, exitCode: result.exitCode, stderr: result.stderr },
      `(on ${currentHost().label}) Check that the machine has coreutils, util-linux and iproute2.`,
    );
  }
  return result.stdout;
}

/**
 * Sends `signal` to the process group `pid` leads (a service is started in a session of its own, so
 * its children go too). A group already gone is success. Equivalent to: `kill -s SIG -- -PID`.
 */
export async function processGroupSignal(pid: number, signal: NodeJS.Signals): Promise<void> {
  const host = currentHost();
  if (host === localHost) {
    try {
      process.kill(-Number(positive(pid)), signal);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
    }
    return;
  }
  await runScript('kill -s "$1" -- "-$2" 2>/dev/null || ! kill -0 -- "-$2" 2>/dev/null', [
    signal.replace(/^SIG/, ""),
    positive(pid),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Starting

export interface StartSpec {
  readonly netns: string;
  readonly command: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly workingDirectory: string;
  readonly user?: string | undefined;
  readonly group?: string | undefined;
  readonly mark: string;
  /** The value of {@link SERVICE_VARIABLE}. */
  readonly service: string;
  readonly log: string;
}

/** The argv that starts a service: every step execs in place. */
export function startArgv(spec: StartSpec, group: string | undefined): string[] {
  assertNetnsName(spec.netns);
  const env = {
    PATH: DEFAULT_PATH,
    ...spec.environment,
    [SERVICE_VARIABLE]: spec.service,
    [MARK_VARIABLE]: spec.mark,
  };
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const privileges =
    spec.user === undefined
      ? []
      : ["setpriv", `--reuid=${spec.user}`, `--regid=${group ?? spec.user}`, "--init-groups", "--"];
  return ["ip", "netns", "exec", spec.netns, "env", "-i", ...vars, ...privileges, ...spec.command];
}

/**
 * Whether `cmdline` is the `setpriv` step of {@link startArgv} in front of `command`: the pid is
 * already the service's, with its mark, but it does not run as its user, nor run its program, yet.
 */
export function isSetprivStep(cmdline: readonly string[] | undefined, command: readonly string[]): boolean {
  if (cmdline === undefined || cmdline[0] !== "setpriv" || cmdline.length !== command.length + 5)
    return false;
  return cmdline[4] === "--" && command.every((arg, i) => cmdline[i + 5] === arg);
}

/** The argv a process was started with (/proc/PID/cmdline), on the current host; undefined when gone. */
export async function processCommandLine(pid: number): Promise<string[] | undefined> {
  const text = await currentHost()
    .files.readFile(`/proc/${positive(pid)}/cmdline`)
    .catch(() => undefined);
  return text === undefined ? undefined : text.split("\0").slice(0, -1);
}

/** The user's primary group, for setpriv (which takes a group only as a group). Equivalent to: `id -g USER`. */
async function primaryGroup(user: string): Promise<string> {
  const result = await currentHost().runner("id", ["-g", "--", user]);
  if (result.exitCode !== 0) {
    throw new KernelCommandError(
      { argv: ["id", "-g", "--", user], exitCode: result.exitCode, stderr: result.stderr },
      `User ${JSON.stringify(user)} does not exist on ${currentHost().label}: create it, or name another user.`,
    );
  }
  return result.stdout.trim();
}

const START_SCRIPT = [
  "log=$1; dir=$2; shift 2",
  'mkdir -p -m 750 -- "${log%/*}" || exit 1',
  'cd -- "$dir" || exit 1',
  ...rotateLines(),
  '(umask 027 && : > "$log") || exit 1',
  // Without job control a background job shares the shell's process group, so setsid(1) makes the
  // session in place instead of forking, and $! is the daemon's pid.
  'setsid "$@" < /dev/null >> "$log" 2>&1 &',
  'echo "$!"',
].join("\n");

/** Shell lines that move `$log` to `$log.1`, `$log.1` to `$log.2` (the oldest kept is overwritten). */
function rotateLines(): string[] {
  const lines: string[] = [];
  for (let i = LOG_KEEP; i >= 1; i--) {
    const from = i === 1 ? '"$log"' : `"$log.${i - 1}"`;
    lines.push(`if [ -e ${from} ]; then mv -f -- ${from} "$log.${i}" || exit 1; fi`);
  }
  return lines;
}

/**
 * Moves the log aside for a new start: the log becomes `.1`, `.1` becomes `.2`, and so on, the
 * oldest kept dropped. Equivalent to: `mv LOG.1 LOG.2; mv LOG LOG.1`.
 */
export async function logRotate(log: string): Promise<void> {
  if (currentHost() !== localHost) {
    await runScript(["log=$1", ...rotateLines()].join("\n"), [log]);
    return;
  }
  const files = serviceLogFiles(log);
  for (let i = files.length - 1; i >= 1; i--) {
    await rename(files[i - 1]!, files[i]!).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "ENOENT") throw e;
    });
  }
}

const TRIM_SCRIPT = [
  "log=$1; max=$2",
  's=$(stat -c %s -- "$log" 2>/dev/null) || exit 0',
  '[ "$s" -gt "$max" ] || exit 0',
  ...rotateLines().slice(0, -1),
  'cp -p -- "$log" "$log.1" && : > "$log"',
].join("\n");

/**
 * When the log of a running service is over `maxBytes`, copies it to `.1` (the earlier ones moved
 * along) and empties it in place: the process keeps its descriptor, opened with O_APPEND, so its
 * next line goes to the start of the emptied file. What it writes between the copy and the
 * truncation is lost (logrotate's copytruncate has the same gap).
 * Equivalent to: `cp LOG LOG.1 && : > LOG` when `stat -c %s LOG` > MAX.
 */
export async function logTrim(log: string, maxBytes: number): Promise<void> {
  if (currentHost() !== localHost) {
    await runScript(TRIM_SCRIPT, [log, String(maxBytes)]);
    return;
  }
  const size = await fileStat(log).then(
    (s) => s.size,
    () => 0,
  );
  if (size <= maxBytes) return;
  const files = serviceLogFiles(log);
  for (let i = files.length - 1; i >= 2; i--) {
    await rename(files[i - 1]!, files[i]!).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "ENOENT") throw e;
    });
  }
  await copyFile(log, files[1]!);
  await truncate(log, 0);
}

/**
 * Starts the service detached (a session of its own, stdin /dev/null, stdout and stderr appended
 * to a fresh log, the previous one rotated to `.1`) and returns its pid. It outlives the process
 * that started it.
 */
export async function serviceSpawn(spec: StartSpec): Promise<number> {
  const group = spec.user !== undefined ? (spec.group ?? (await primaryGroup(spec.user))) : undefined;
  const argv = startArgv(spec, group);
  const host = currentHost();
  if (host !== localHost) {
    const out = await runScript(START_SCRIPT, [spec.log, spec.workingDirectory, ...argv]);
    const pid = Number(out.trim());
    if (!Number.isSafeInteger(pid) || pid <= 1)
      throw new Error(`starting ${argv.join(" ")} on ${host.label} printed no pid: ${out}`);
    return pid;
  }
  await mkdir(dirname(spec.log), { recursive: true, mode: 0o750 });
  await logRotate(spec.log);
  // O_APPEND: a trim (logTrim) empties the file under the running process, whose next write then
  // lands at the new end rather than at its old offset.
  const log = await open(spec.log, "a", 0o640);
  try {
    const [file, ...args] = argv as [string, ...string[]];
    return await spawnDetached(file, args, { cwd: spec.workingDirectory, outputFd: log.fd });
  } finally {
    await log.close();
  }
}

/** Whether something in `netns` listens on TCP `port`. Equivalent to: `ss -H -l -t -n -N NS sport = :PORT`. */
export async function tcpListening(netns: string, port: number): Promise<boolean> {
  assertNetnsName(netns);
  const argv = ["ss", "-H", "-l", "-t", "-n", "-N", netns, "sport", "=", `:${port}`];
  const result = await currentHost().runner(argv[0]!, argv.slice(1));
  if (result.exitCode !== 0) {
    throw new KernelCommandError(
      { argv, exitCode: result.exitCode, stderr: result.stderr },
      `Is the namespace still there, and is ss (iproute2) installed on ${currentHost().label}?`,
    );
  }
  return result.stdout.trim() !== "";
}

/**
 * Runs `command` in `netns`, killed after `timeoutSeconds`. Equivalent to:
 * `timeout -k 1 T ip netns exec NS ARGV`.
 */
export async function runInNamespace(
  netns: string,
  command: readonly string[],
  timeoutSeconds: number,
): Promise<{ exitCode: number; output: string }> {
  assertNetnsName(netns);
  const args = ["-k", "1", String(Math.max(0.1, timeoutSeconds)), "ip", "netns", "exec", netns, ...command];
  const result = await currentHost().runner("timeout", args);
  return { exitCode: result.exitCode, output: `${result.stdout}${result.stderr}`.trim() };
}

/** The last `lines` lines of a log; empty when there is none. Equivalent to: `tail -n N FILE`. */
export async function logTail(path: string, lines: number): Promise<string> {
  let text: string;
  try {
    text = await currentHost().files.readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw e;
  }
  return text.replace(/\n$/, "").split("\n").slice(-lines).join("\n");
}

/** Removes a file; absent is success. */
export const fileRemove = (path: string): Promise<void> => currentHost().files.remove(path);

// ---------------------------------------------------------------------------------------------
// Configuration files

export const contentHash = sha256;

/** The sha256 of the file's text; undefined when there is no such file. */
export async function fileHash(path: string): Promise<string | undefined> {
  try {
    return sha256(await currentHost().files.readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

const WRITE_SCRIPT = [
  'mkdir -p -m 755 -- "${1%/*}" || exit 1',
  't="${1%/*}/.pulumi-netns-$$"',
  '(umask 077 && cat > "$t") && chmod "$2" "$t" && { [ -z "$3" ] || chown -- "$3" "$t"; } && mv -f -T -- "$t" "$1" || { s=$?; rm -f -- "$t"; exit $s; }',
].join("\n");

/**
 * Writes `content` to `path` with `mode` and `owner` (`USER[:GROUP]`) set before it is renamed into
 * place, so no reader sees it half written or with other permissions.
 */
export async function fileWrite(
  path: string,
  content: string,
  mode: number,
  owner: string | undefined,
): Promise<void> {
  const octal = mode.toString(8);
  if (currentHost() !== localHost) {
    await runScript(WRITE_SCRIPT, [path, octal, owner ?? ""], content);
    return;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = join(dirname(path), `.pulumi-netns-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    await writeFile(tmp, content, { mode: 0o600 });
    if (owner !== undefined) {
      const result = await localHost.runner("chown", ["--", owner, tmp]);
      if (result.exitCode !== 0) {
        throw new KernelCommandError(
          { argv: ["chown", "--", owner, path], exitCode: result.exitCode, stderr: result.stderr },
          "The file's owner must exist on the machine: create the user, or name another.",
        );
      }
    }
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Directories

// A directory's identity: device, inode and birth time in nanoseconds. The inode alone is not
// enough: ext4 gives a directory made right after another was removed the same inode number.
const STAT_FORMAT = "%d:%i:%.9W";
const IDENTITY_SCRIPT = `[ -d "$1" ] && [ ! -L "$1" ] && stat -c ${STAT_FORMAT} -- "$1" || :`;

/** `DEV:INODE:BIRTH_NS` from `stat -c %d:%i:%.9W` (a birth time the filesystem lacks counts 0). */
export function directoryIdentityFrom(statOutput: string): string | undefined {
  const [dev, ino, birth = ""] = statOutput.trim().split(":");
  if (!dev || !ino || !/^\d+$/.test(dev) || !/^\d+$/.test(ino)) return undefined;
  const time = /^(\d+)(?:\.(\d{1,9}))?$/.exec(birth);
  const ns = time ? BigInt(time[1]!) * 1_000_000_000n + BigInt((time[2] ?? "").padEnd(9, "0")) : 0n;
  return `${dev}:${ino}:${ns}`;
}

/** The identity of the directory at `path` (not following a symlink); undefined when there is none. */
export async function directoryIdentity(path: string): Promise<string | undefined> {
  if (currentHost() !== localHost) return directoryIdentityFrom(await runScript(IDENTITY_SCRIPT, [path]));
  try {
    const st = await lstat(path, { bigint: true });
    return st.isDirectory() ? `${st.dev}:${st.ino}:${st.birthtimeNs}` : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

const CHOWN_THEN_CHMOD = '{ [ -z "$3" ] || chown -- "$3" "$1"; } && chmod "$2" "$1"';

/**
 * Makes the directory `path` (its parent must exist) with `mode` and `owner`, or, when `existing`
 * is true, sets those on the one there; returns its identity. Equivalent to:
 * `mkdir -m MODE PATH && chown OWNER PATH`.
 */
export async function directoryMake(
  path: string,
  mode: number,
  owner: string | undefined,
  existing: boolean,
): Promise<string> {
  const octal = mode.toString(8);
  if (currentHost() !== localHost) {
    const script = existing
      ? `${CHOWN_THEN_CHMOD} && stat -c ${STAT_FORMAT} -- "$1"`
      : `mkdir -m "$2" -- "$1" || exit 1\n${CHOWN_THEN_CHMOD} && stat -c ${STAT_FORMAT} -- "$1" || { s=$?; rmdir -- "$1"; exit $s; }`;
    const id = directoryIdentityFrom(await runScript(script, [path, octal, owner ?? ""]));
    if (id === undefined)
      throw new Error(`${path} on ${currentHost().label} is not a directory after it was made`);
    return id;
  }
  if (!existing) await mkdir(path, { mode: 0o700 });
  try {
    if (owner !== undefined) {
      const result = await localHost.runner("chown", ["--", owner, path]);
      if (result.exitCode !== 0) {
        throw new KernelCommandError(
          { argv: ["chown", "--", owner, path], exitCode: result.exitCode, stderr: result.stderr },
          "The owner must exist on the machine: create the user, or name another.",
        );
      }
    }
    await chmod(path, mode);
  } catch (e) {
    if (!existing) await rmdir(path).catch(() => undefined);
    throw e;
  }
  const id = await directoryIdentity(path);
  if (id === undefined) throw new Error(`${path} is not a directory after it was made`);
  return id;
}

/**
 * Removes the directory with everything in it, only if it is still the one made (`id`): `absent`
 * when nothing is there, `other` when something else is (left alone). Equivalent to: `rm -r PATH`.
 */
export async function directoryRemove(made: MadeDirectory): Promise<"removed" | "absent" | "other"> {
  const remote = currentHost() !== localHost;
  const raw = remote ? await runScript(IDENTITY_SCRIPT, [made.path]) : undefined;
  const id = raw === undefined ? await directoryIdentity(made.path) : directoryIdentityFrom(raw);
  if (id === undefined) {
    const there = remote
      ? (await runScript('[ -e "$1" ] || [ -L "$1" ] && echo there || :', [made.path])).trim() !== ""
      : await lstat(made.path).then(
          () => true,
          () => false,
        );
    return there ? "other" : "absent";
  }
  if (id !== made.id) return "other";
  if (raw === undefined) await rm(made.path, { recursive: true, force: true });
  // Still the one read (compared as stat prints it): then removed, in the same round trip.
  else
    await runScript(`[ "$(stat -c ${STAT_FORMAT} -- "$1")" = "$2" ] && rm -rf -- "$1"`, [
      made.path,
      raw.trim(),
    ]);
  return "removed";
}

/** Signal numbers, for messages. */
export const signalNumber = (signal: NodeJS.Signals): number => constants.signals[signal];
