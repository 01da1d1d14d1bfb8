// The machine the kernel layer works on. Every process the kernel layer runs and every file it
// touches (ownership records, /run/netns, /proc/net/psched) goes through one Host: the local one,
// or one reached over SSH (ssh.ts). Handlers run inside `onHost`, so a kernel call made anywhere
// below them lands on the resource's own machine without every function taking a host argument.
import { AsyncLocalStorage } from "node:async_hooks";
import { link, mkdir, readdir, readFile, rename, rm, stat, statfs, writeFile } from "node:fs/promises";
import { quote } from "shell-quote";
import { execaRunner, type Runner } from "./runner";

/** What a {@link HostFiles.stat} reports. */
export interface FileStat {
  readonly mtimeMs: number;
  readonly ino: number;
  readonly dev: number;
  readonly size: number;
}

/**
 * The file operations the kernel layer needs, with node's `fs/promises` meaning: failures are
 * errors carrying an errno `code` (`ENOENT`, `EEXIST`), so callers branch the same way on any host.
 */
export interface HostFiles {
  readFile(path: string): Promise<string>;
  /** Creates or truncates `path` with mode 0644. */
  writeFile(path: string, text: string): Promise<void>;
  /** link(2): fails with `EEXIST` when `newPath` exists, which is what makes a claim atomic. */
  link(existing: string, newPath: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; absent is success. */
  remove(path: string): Promise<void>;
  /** mkdir -p, mode 0755. */
  mkdirp(dir: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  /** stat(2), following symlinks. */
  stat(path: string): Promise<FileStat>;
  /** statfs(2) `f_type` of the filesystem holding `path`. */
  fsType(path: string): Promise<number>;
}

/** One machine: how to run a program there and how to touch its files. */
export interface Host {
  /** For messages and keys: `local`, or `ssh://USER@ADDRESS:PORT`. */
  readonly label: string;
  readonly runner: Runner;
  readonly files: HostFiles;
  /**
   * Whether a temporary record file left by writer `pid` may be removed: only on the local
   * machine can a writer's pid be asked about; remote temporaries are swept by age instead.
   */
  readonly ownsPids: boolean;
}

const localFiles: HostFiles = {
  readFile: (path) => readFile(path, "utf8"),
  writeFile: (path, text) => writeFile(path, text, { mode: 0o644 }),
  link: (existing, newPath) => link(existing, newPath),
  rename: (from, to) => rename(from, to),
  remove: (path) => rm(path, { force: true }),
  mkdirp: async (dir) => {
    await mkdir(dir, { recursive: true, mode: 0o755 });
  },
  readdir: (dir) => readdir(dir),
  stat: async (path) => {
    const s = await stat(path);
    return { mtimeMs: s.mtimeMs, ino: s.ino, dev: s.dev, size: s.size };
  },
  fsType: async (path) => (await statfs(path)).type,
};

/** This machine, as before hosts existed. */
export const localHost: Host = { label: "local", runner: execaRunner, files: localFiles, ownsPids: true };

const ambient = new AsyncLocalStorage<Host>();

/** The host the current handler works on; the local machine outside {@link onHost}. */
export function currentHost(): Host {
  return ambient.getStore() ?? localHost;
}

/** Runs `work` with every kernel call below it on `host`. */
export function onHost<T>(host: Host, work: () => Promise<T>): Promise<T> {
  return ambient.run(host, work);
}

/** An error as node's fs raises it, so remote failures branch like local ones. */
function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

// Each script is a constant of this file; paths and data reach it only as positional parameters
// ("$1") quoted by shell-quote, and file contents on stdin, so no caller's value is ever parsed as
// shell code on the remote side.
const SCRIPTS = {
  write: 'umask 022 && cat > "$1"',
  statFile: 'stat -L -c "%Y %i %d %s" -- "$1"',
  fsType: 'stat -f -L -c "%t" -- "$1"',
  list: 'test -d "$1" || { echo "$1: No such file or directory" >&2; exit 1; }; find "$1" -mindepth 1 -maxdepth 1 -printf "%f\\0"',
} as const;

/**
 * {@link HostFiles} by commands run through `runner` (on another machine, over SSH): coreutils'
 * `ln` (link(2), so a claim stays atomic), `mv -T` (rename(2)), `cat`, `stat`, `find`. A failure's
 * errno is read from the tool's own message ("No such file or directory", "File exists").
 */
export function commandFiles(runner: Runner, label: string): HostFiles {
  const run = async (file: string, args: readonly string[], input?: string): Promise<string> => {
    const result = await runner(file, args, input === undefined ? undefined : { input });
    if (result.exitCode === 0) return result.stdout;
    const said = result.stderr.trim();
    const what = `${quote([file, ...args])} on ${label} exited ${result.exitCode}: ${said || "no error output"}`;
    if (/No such file or directory/.test(said)) throw errnoError("ENOENT", what);
    if (/File exists/.test(said)) throw errnoError("EEXIST", what);
    throw new Error(what);
  };
  const sh = (script: string, args: readonly string[], input?: string) =>
    run("sh", ["-c", script, "sh", ...args], input);
  return {
    readFile: (path) => run("cat", ["--", path]),
    writeFile: async (path, text) => {
      await sh(SCRIPTS.write, [path], text);
    },
    link: async (existing, newPath) => {
      await run("ln", ["-T", "--", existing, newPath]);
    },
    rename: async (from, to) => {
      await run("mv", ["-f", "-T", "--", from, to]);
    },
    remove: async (path) => {
      await run("rm", ["-f", "--", path]);
    },
    mkdirp: async (dir) => {
      await run("mkdir", ["-p", "-m", "755", "--", dir]);
    },
    readdir: async (dir) => (await sh(SCRIPTS.list, [dir])).split("\0").filter((f) => f !== ""),
    stat: async (path) => {
      const [mtime, ino, dev, size] = (await sh(SCRIPTS.statFile, [path])).trim().split(" ").map(Number);
      return { mtimeMs: (mtime ?? 0) * 1000, ino: ino ?? 0, dev: dev ?? 0, size: size ?? 0 };
    },
    fsType: async (path) => parseInt((await sh(SCRIPTS.fsType, [path])).trim(), 16),
  };
}
