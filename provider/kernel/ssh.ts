// Another machine, reached with OpenSSH's own client through execa: no agent of ours runs there,
// and one multiplexed connection (ControlMaster) per host per provider process carries every
// command, so a command costs a channel on an open connection, not a handshake.
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { quote } from "shell-quote";
import { commandFiles, type Host, type HostFiles } from "./host";
import { execaRunner, runToEndSync, SpawnError, type CommandResult, type Runner } from "./runner";

/** How to reach a machine: what a resource's `host` input holds, resolved. */
export interface SshEndpoint {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  /** The host's public key as in known_hosts without the name (`ssh-ed25519 AAAA...`): pinned. */
  readonly hostKey: string;
  /** An OpenSSH private key; undefined: the agent at `SSH_AUTH_SOCK`. */
  readonly privateKey?: string | undefined;
}

/** The label of an endpoint, for messages, claims and outputs: `USER@ADDRESS:PORT`. */
export function endpointLabel(e: Pick<SshEndpoint, "address" | "port" | "user">): string {
  const address = e.address.includes(":") ? `[${e.address}]` : e.address;
  return `${e.user}@${address}:${e.port}`;
}

// ssh itself exits 255 when it could not run the command; the remote command's own 255 comes
// without one of ssh's messages, so both are needed to blame the connection.
const SSH_FAILURE =
  /^ssh: |Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|Permission denied \(|Connection (refused|timed out|closed|reset)|closed by remote host|No route to host|Broken pipe|kex_exchange_identification|Could not resolve|Network is unreachable|client_loop|mux_client|Timeout, server|Control socket/m;

/** A host key a machine presented: its type (`ssh-ed25519`) and fingerprint as `ssh-keygen -lf` prints it. */
export interface PresentedKey {
  readonly type: string;
  readonly fingerprint: string;
}

/**
 * `SHA256:...` of a public key, as OpenSSH prints it: the SHA-256 of the key blob (the base64
 * field of a known_hosts or .pub line, decoded), in base64 without padding.
 */
export function keyFingerprint(blob: string): string {
  const digest = createHash("sha256").update(Buffer.from(blob, "base64")).digest("base64");
  return `SHA256:${digest.replace(/=+$/, "")}`;
}

/** The keys in `ssh-keyscan` output (`HOST TYPE BASE64` lines; `#` lines are its comments). */
export function parseKeyscan(out: string): PresentedKey[] {
  return out
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && !f[0]!.startsWith("#"))
    .map(([, type, blob]) => ({ type: type!, fingerprint: keyFingerprint(blob!) }));
}

/** Why a connection failed, as far as ssh's own messages tell. */
export type SshFailure = "host key" | "refused key" | "dropped" | "unreachable";

export function sshFailureOf(stderr: string): SshFailure {
  if (
    /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key is known for/.test(stderr)
  ) {
    return "host key";
  }
  if (/Permission denied \(/.test(stderr)) return "refused key";
  if (
    /Connection (closed|reset)|closed by remote host|Broken pipe|client_loop|Timeout, server/.test(stderr)
  ) {
    return "dropped";
  }
  return "unreachable";
}

/**
 * The last lines ssh wrote that say what happened: not its warning banner, and nothing naming
 * this process's private directory (its known_hosts is gone by the time anyone reads the message).
 */
function sshSaid(stderr: string): string {
  return stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^@+$|^@.*@$/.test(l) && !l.includes(PRIVATE_DIR_PREFIX))
    .slice(-2)
    .join("; ")
    .replace(/[.:]$/, "");
}

/** How the keys a machine presented read in a message: the one of the pinned type, else all. */
function presentedKeys(pinnedType: string, presented: readonly PresentedKey[]): string {
  const same = presented.filter((k) => k.type === pinnedType);
  return (same.length > 0 ? same : presented).map((k) => `${k.fingerprint} (${k.type})`).join(", ");
}

/** What a failed connection to `host` tells the user: one sentence, the machine and what to do. */
export function hostConnectionMessage(f: {
  readonly host: string;
  /** The command that could not run; undefined when the login itself failed. */
  readonly argv: readonly string[] | undefined;
  readonly stderr: string;
  /** The pinned key's type, and what the machine presented (ssh-keyscan), for a host key failure. */
  readonly hostKey?: { readonly pinnedType: string; readonly presented: readonly PresentedKey[] };
}): string {
  const said = sshSaid(f.stderr) || "ssh exited 255 without a message";
  switch (sshFailureOf(f.stderr)) {
    case "host key": {
      const keys = f.hostKey ? presentedKeys(f.hostKey.pinnedType, f.hostKey.presented) : "";
      const presented = keys
        ? `presented the host key ${keys}`
        : "presented a host key (ssh-keyscan could not read it again)";
      return (
        `${f.host} ${presented}, ` +
        "not the one in this resource's `host.hostKey`: if that machine was reinstalled, check the " +
        "fingerprint on the machine itself (`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub`) and set " +
        "`host.hostKey` to its new public key; otherwise something else answers at that address."
      );
    }
    case "refused key":
      return (
        `${f.host} refused the login (${said}): check the resource's \`host.user\` and that ` +
        "`host.privateKey` (or a key in the agent at SSH_AUTH_SOCK) is in that user's authorized_keys there."
      );
    case "dropped":
      return (
        `the connection to ${f.host} dropped` +
        `${f.argv ? ` while ${quote([...f.argv])} ran, which may have run in part` : ""} (${said}): ` +
        "run `pulumi up` again once the machine is reachable; it finds what was made and converges it."
      );
    case "unreachable":
      return (
        `cannot connect to ${f.host} over SSH${f.argv ? ` to run ${quote([...f.argv])}` : ""} (${said}): ` +
        "check that the machine is up, that sshd listens on that address and port and that a firewall " +
        "lets you through, then run `pulumi up` again."
      );
  }
}

/** The connection to a host failed: the command may not have run, or ran in part. */
export class HostConnectionError extends Error {
  override readonly name = "HostConnectionError";
  readonly host: string;
  /** The command that could not run; undefined when the connection itself failed. */
  readonly argv: readonly string[] | undefined;
  /** What ssh wrote. */
  readonly stderr: string;

  constructor(failure: Parameters<typeof hostConnectionMessage>[0]) {
    super(hostConnectionMessage(failure));
    this.host = failure.host;
    this.argv = failure.argv;
    this.stderr = failure.stderr;
  }
}

/**
 * The one string ssh hands the remote login shell for `argv`: every argument quoted by
 * shell-quote, so the shell's parser gives the argv back unchanged (data goes on stdin only).
 * `env LC_ALL=C` so the remote tools' errors are the English ones errors.ts classifies.
 */
export function remoteCommandLine(argv: readonly string[]): string {
  return quote(["env", "LC_ALL=C", ...argv]);
}

/** Private files of one provider process: keys, known_hosts and control sockets, removed at exit. */
let privateDir: string | undefined;
const masters = new Map<string, SshHost>();

const PRIVATE_DIR_PREFIX = "pulumi-netns-ssh-";

function ownDir(): string {
  if (privateDir === undefined) {
    sweepDeadProcesses();
    // mkdtemp makes it 0700: the control sockets (and the key, while a master logs in) are this
    // process's alone. The name carries the pid, so a later process can tell when it is dead.
    privateDir = mkdtempSync(join(tmpdir(), `${PRIVATE_DIR_PREFIX}${process.pid}-`));
    process.once("exit", closeAll);
  }
  return privateDir;
}

/**
 * The engine ends a provider process without letting it run its exit handlers: the private
 * directories of dead processes are removed here, their masters (still up for ControlPersist)
 * told to exit first.
 */
function sweepDeadProcesses(): void {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const entry of entries) {
    const pid = new RegExp(`^${PRIVATE_DIR_PREFIX}(\\d+)-`).exec(entry)?.[1];
    if (pid === undefined || isAlive(Number(pid))) continue;
    const dir = join(tmpdir(), entry);
    try {
      for (const host of readdirSync(dir)) {
        const socket = join(dir, host, "c");
        if (existsSync(socket)) {
          runToEndSync(
            "ssh",
            ["-F", "none", "-o", `ControlPath=${socket}`, "-O", "exit", "pulumi-netns-target"],
            5_000,
          );
        }
      }
    } catch {
      // Not ours to read (another user's): leave it.
      continue;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** Ends every master this process started and removes the private directory (keys included). */
function closeAll(): void {
  for (const host of masters.values()) host.closeSync();
  masters.clear();
  if (privateDir !== undefined) rmSync(privateDir, { recursive: true, force: true });
  privateDir = undefined;
}

/** How long a master outlives its last command (a killed provider cannot send `-O exit`). */
const CONTROL_PERSIST_SECONDS = 120;

/**
 * One machine over SSH. `ssh -f -N -o ControlMaster=yes` opens the connection once (authentication
 * and host key checked there); every command then runs with `ControlMaster=no` over its socket.
 * A command that finds the connection gone reopens it once and fails if that fails.
 */
export class SshHost implements Host {
  readonly label: string;
  readonly files: HostFiles;
  private readonly base: string[];
  private readonly dir: string;
  private opening: Promise<void> | undefined;
  /** Set once a master is up: only then does a missing socket mean that it went away. */
  private up = false;

  constructor(readonly endpoint: SshEndpoint) {
    this.label = `ssh://${endpointLabel(endpoint)}`;
    const id = createHash("sha256").update(this.label).digest("hex").slice(0, 12);
    this.dir = mkdtempSync(join(ownDir(), `${id}-`));
    this.files = commandFiles(this.runner, this.label);
    const knownHosts = join(this.dir, "known_hosts");
    // HostKeyAlias names the entry, so one line serves any address and port spelling.
    writeFileSync(knownHosts, `pulumi-netns-target ${endpoint.hostKey.trim()}\n`, { mode: 0o600 });
    this.base = [
      "-F",
      "none",
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      `UserKnownHostsFile=${knownHosts}`,
      "-o",
      "GlobalKnownHostsFile=none",
      "-o",
      "HostKeyAlias=pulumi-netns-target",
      "-o",
      "UpdateHostKeys=no",
      "-o",
      `ControlPath=${join(this.dir, "c")}`,
      "-o",
      "ConnectTimeout=10",
      "-o",
      "ServerAliveInterval=5",
      "-o",
      "ServerAliveCountMax=3",
      "-p",
      String(endpoint.port),
      "-l",
      endpoint.user,
    ];
  }

  /** The connection, opened once and shared by every command until it drops. */
  private open(): Promise<void> {
    return (this.opening ??= this.startMaster().then(
      () => {
        this.up = true;
      },
      (e: unknown) => {
        this.opening = undefined;
        throw e;
      },
    ));
  }

  private get keyFile(): string {
    return join(this.dir, "id");
  }

  private async startMaster(): Promise<void> {
    // Commands that failed together each forget the master; one may have opened a new one already.
    if (existsSync(this.controlPath) && (await this.masterAlive())) return;
    const log = join(this.dir, "master.log");
    rmSync(log, { force: true });
    // The key is on disk (0600, in this process's 0700 directory) only while the master logs in:
    // commands ride the open connection, and a provider killed later leaves no key behind.
    const key = this.endpoint.privateKey;
    if (key !== undefined) {
      writeFileSync(this.keyFile, key.replace(/\r\n/g, "\n").replace(/\n?$/, "\n"), { mode: 0o600 });
    }
    try {
      await this.login(log);
    } finally {
      rmSync(this.keyFile, { force: true });
    }
  }

  private async login(log: string): Promise<void> {
    // -f forks once authenticated; its log goes to a file, as the forked master keeps no pipe of ours open.
    const result = await execaRunner(
      "ssh",
      [
        ...this.base,
        // Only the master logs in, so only it names the key.
        ...(this.endpoint.privateKey !== undefined
          ? ["-i", this.keyFile, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"]
          : []),
        "-o",
        "ControlMaster=yes",
        "-o",
        `ControlPersist=${CONTROL_PERSIST_SECONDS}`,
        "-E",
        log,
        "-f",
        "-N",
        "--",
        this.endpoint.address,
      ],
      { ignoreOutput: true },
    );
    if (result.exitCode === 0) return;
    const stderr = this.masterLog();
    throw new HostConnectionError({
      host: this.label,
      argv: undefined,
      stderr,
      ...(sshFailureOf(stderr) === "host key" && { hostKey: await this.presentedKeys() }),
    });
  }

  /**
   * For a host key failure: the pinned key's type, and the keys the machine presents, read again
   * by `ssh-keyscan` (ssh prints the fingerprint only when the pinned type is the one it was sent).
   * Equivalent to: `ssh-keyscan -T 10 -p PORT ADDRESS`.
   */
  private async presentedKeys(): Promise<{ pinnedType: string; presented: PresentedKey[] }> {
    const pinnedType = this.endpoint.hostKey.trim().split(/\s+/)[0] ?? "";
    const scan = await execaRunner("ssh-keyscan", [
      "-T",
      "10",
      "-p",
      String(this.endpoint.port),
      "--",
      this.endpoint.address,
    ]).catch(() => undefined);
    return { pinnedType, presented: scan ? parseKeyscan(scan.stdout) : [] };
  }

  readonly runner: Runner = async (file, args, options) => {
    const argv = [file, ...args];
    for (let attempt = 0; ; attempt++) {
      // A master that timed out (ControlPersist) or died left no socket: open a new one.
      if (this.up && !existsSync(this.controlPath)) this.forget();
      await this.open();
      const result = await this.once(argv, options?.input);
      if (
        result.exitCode === 127 &&
        /: (No such file or directory|command not found)$/m.test(result.stderr)
      ) {
        throw new SpawnError(file, "ENOENT", {
          cause: new Error(
            `${file} is not installed or not on PATH on ${this.label}: ${result.stderr.trim()}`,
          ),
        });
      }
      if (result.exitCode !== 255) return result;
      if (!SSH_FAILURE.test(result.stderr)) {
        // A multiplexed command whose master dies exits 255 without a word; the remote command's
        // own 255 leaves the master up. A command cut off part way is never repeated.
        if (result.stderr.trim() !== "" || (await this.masterAlive())) return result;
        this.forget();
        throw new HostConnectionError({
          host: this.label,
          argv,
          stderr: `${this.masterLog()}\nConnection closed while the command ran`,
        });
      }
      // The connection could not be used (sshd restarted, the network dropped): open it again
      // once. A command cut off part way is not repeated: its caller sees the failure.
      this.forget();
      const cutOff = /closed by remote host|Broken pipe|client_loop|Connection reset|Timeout, server/.test(
        result.stderr,
      );
      if (attempt > 0 || cutOff)
        throw new HostConnectionError({ host: this.label, argv, stderr: result.stderr });
    }
  };

  /** The master is gone: the next command opens a new one. */
  private forget(): void {
    this.up = false;
    this.opening = undefined;
  }

  private get controlPath(): string {
    return join(this.dir, "c");
  }

  /** Whether the master still runs (`ssh -O check`). */
  private async masterAlive(): Promise<boolean> {
    const check = await execaRunner("ssh", [...this.base, "-O", "check", "--", this.endpoint.address], {
      ignoreOutput: true,
    });
    return check.exitCode === 0;
  }

  /** What the master wrote before it died ("Connection to X closed by remote host"). */
  private masterLog(): string {
    try {
      return readFileSync(join(this.dir, "master.log"), "utf8");
    } catch {
      return "";
    }
  }

  private async once(argv: readonly string[], input: string | undefined): Promise<CommandResult> {
    const remote = remoteCommandLine(argv);
    return execaRunner(
      "ssh",
      [...this.base, "-o", "ControlMaster=no", "--", this.endpoint.address, remote],
      input !== undefined ? { input } : {},
    );
  }

  /** Ends the master connection (`ssh -O exit`); synchronous, for the process's exit. */
  closeSync(): void {
    if (this.opening === undefined) return;
    runToEndSync("ssh", [...this.base, "-O", "exit", "--", this.endpoint.address], 5_000);
    this.forget();
  }
}

/** The one {@link SshHost} of `endpoint` in this process. */
export function sshHost(endpoint: SshEndpoint): SshHost {
  const key = JSON.stringify([
    endpoint.address,
    endpoint.port,
    endpoint.user,
    endpoint.hostKey,
    endpoint.privateKey ?? null,
  ]);
  let host = masters.get(key);
  if (host === undefined) masters.set(key, (host = new SshHost(endpoint)));
  return host;
}

/** Closes every master now (tests; the provider process does it at exit). */
export function closeSshHosts(): void {
  closeAll();
}
