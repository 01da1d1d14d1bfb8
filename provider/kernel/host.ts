// The machine the kernel layer works on. Every process the kernel layer runs and every file it
// touches (ownership records, /run/netns, /proc/net/psched) goes through one Host: the local one,
// or one reached over SSH (ssh.ts). Handlers run inside `onHost`, so a kernel call made anywhere
// below them lands on the resource's own machine without every function taking a host argument.
import { AsyncLocalStorage } from "node:async_hooks";
import { link, mkdir, readdir, readFile, rename, rm, stat, statfs, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { quote } from "shell-quote";
import { execaRunner, type Runner } from "./runner";

/** What a {@link HostFiles.stat} reports. */
export interface FileStat {
  readonly mtimeMs: number;
  readonly ino: number;
  readonly dev: number;
  readonly size: number;
  /** statfs(2) `f_type` of the filesystem holding the file. */
  readonly fsType: number;
}

/** A file as {@link HostFiles.readFiles} finds it. */
export interface FoundFile {
  readonly name: string;
  readonly mtimeMs: number;
  readonly text: string;
}

/** What {@link HostFiles.claim} found: its file linked into place, or the one already there. */
export type ClaimAttempt =
  { readonly linked: true } | { readonly linked: false; readonly text: string; readonly mtimeMs: number };

/**
 * The file operations the kernel layer needs, with node's `fs/promises` meaning: failures are
 * errors carrying an errno `code` (`ENOENT`, `EEXIST`), so callers branch the same way on any host.
 * The compound ones ({@link claim}, {@link writeAtomic}, {@link readFiles}) are one round trip on
 * another machine, where each operation costs a command over SSH.
 */
export interface HostFiles {
  readFile(path: string): Promise<string>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; absent is success. */
  remove(path: string): Promise<void>;
  /** Removes `path` if its first line is exactly `line` (read and removed in one go); absent is success. */
  removeIfFirstLine(path: string, line: string): Promise<void>;
  /** stat(2), following symlinks, and statfs(2)'s filesystem type. */
  stat(path: string): Promise<FileStat>;
  /**
   * mkdir -p `dir` (0755), then `text` to the new file `dir/tmp` (0644) renamed over `dir/file`,
   * so a reader never sees half of it. `tmp` is gone afterwards, whatever happened.
   */
  writeAtomic(dir: string, tmp: string, file: string, text: string): Promise<void>;
  /**
   * One claim: mkdir -p `dir`; removes the `.tmp-PID-*` files of dead writers (on this machine,
   * those whose pid is gone; elsewhere, where a pid is another machine's, those older than
   * `tempMaxAgeMs` at `now`); writes `text` to the new file `dir/tmp` and link(2)s it to
   * `dir/file`, which fails when that exists, so racing claimers cannot both win. Linked: `tmp` is
   * removed. Not linked: `tmp` stays (the caller renames it over the holder's or removes it), and
   * the holder's text and mtime come back.
   */
  claim(
    dir: string,
    tmp: string,
    file: string,
    text: string,
    sweep: { readonly now: number; readonly tempMaxAgeMs: number },
  ): Promise<ClaimAttempt>;
  /** Every regular file directly in `dir` with its mtime and text; ENOENT when `dir` is absent. */
  readFiles(dir: string): Promise<FoundFile[]>;
}

/** One machine: how to run a program there and how to touch its files. */
export interface Host {
  /** For messages and keys: `local`, or `ssh://USER@ADDRESS:PORT`. */
  readonly label: string;
  readonly runner: Runner;
  readonly files: HostFiles;
}

function isErrno(e: unknown, code: string): boolean {
  return e instanceof Error && (e as NodeJS.ErrnoException).code === code;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return !isErrno(e, "ESRCH");
  }
}

/** Removes `path`, keeping `first` (the error that made it necessary) whatever happens. */
async function removeAfter(first: unknown, path: string): Promise<never> {
  await rm(path, { force: true }).catch(() => undefined);
  throw first;
}

const localFiles: HostFiles = {
  readFile: (path) => readFile(path, "utf8"),
  rename: (from, to) => rename(from, to),
  remove: (path) => rm(path, { force: true }),
  removeIfFirstLine: async (path, line) => {
    try {
      if ((await readFile(path, "utf8")).split("\n")[0] === line) await rm(path, { force: true });
    } catch (e) {
      if (!isErrno(e, "ENOENT")) throw e;
    }
  },
  stat: async (path) => {
    const [s, fs] = await Promise.all([stat(path), statfs(path)]);
    return { mtimeMs: s.mtimeMs, ino: s.ino, dev: s.dev, size: s.size, fsType: fs.type };
  },
  writeAtomic: async (dir, tmp, file, text) => {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    try {
      await writeFile(join(dir, tmp), text, { mode: 0o644 });
      await rename(join(dir, tmp), join(dir, file));
    } catch (e) {
      return removeAfter(e, join(dir, tmp));
    }
  },
  claim: async (dir, tmp, file, text) => {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    // A killed `pulumi up` takes its provider with it, before it could remove its temporaries.
    for (const name of await readdir(dir)) {
      const pid = /^\.tmp-(\d+)-/.exec(name)?.[1];
      if (pid !== undefined && !isAlive(Number(pid))) await rm(join(dir, name), { force: true });
    }
    const [tmpPath, target] = [join(dir, tmp), join(dir, file)];
    try {
      await writeFile(tmpPath, text, { mode: 0o644 });
      await link(tmpPath, target);
    } catch (e) {
      if (!isErrno(e, "EEXIST")) return removeAfter(e, tmpPath);
      try {
        const [held, s] = await Promise.all([readFile(target, "utf8"), stat(target)]);
        return { linked: false, text: held, mtimeMs: s.mtimeMs };
      } catch (e2) {
        return removeAfter(e2, tmpPath);
      }
    }
    await rm(tmpPath, { force: true });
    return { linked: true };
  },
  readFiles: async (dir) => {
    const found: FoundFile[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(dir, entry.name);
      try {
        const [s, text] = await Promise.all([stat(path), readFile(path, "utf8")]);
        found.push({ name: entry.name, mtimeMs: s.mtimeMs, text });
      } catch (e) {
        // Removed while we looked: it is not there any more.
        if (!isErrno(e, "ENOENT")) throw e;
      }
    }
    return found;
  },
};

/** This machine, as before hosts existed. */
export const localHost: Host = { label: "local", runner: execaRunner, files: localFiles };

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
// shell code on the remote side. Each does in one command what local code does in several calls.
export const SCRIPTS = {
  // Two lines: "MTIME INODE DEVICE SIZE", then the filesystem type in hex.
  stat: 'stat -L -c "%Y %i %d %s" -- "$1" && stat -f -L -c "%t" -- "$1"',
  // $1 the file, $2 the line.
  removeIfFirstLine:
    'test -e "$1" || exit 0; l=; { IFS= read -r l || :; } < "$1" || exit 1; if [ "$l" = "$2" ]; then rm -f -- "$1"; fi',
  // $1 dir, $2 temporary name, $3 file name; the text on stdin.
  writeAtomic:
    'mkdir -p -m 755 -- "$1" && (umask 022 && cat > "$1/$2") && mv -f -T -- "$1/$2" "$1/$3" || { s=$?; rm -f -- "$1/$2"; exit $s; }',
  // $1 dir, $2 temporary name, $3 file name, $4 now and $5 the age of a dead writer's temporary
  // (ms); the text on stdin. Prints "linked", or "exists", the holder's mtime (s) and its text.
  claim: [
    'mkdir -p -m 755 -- "$1" || exit 1',
    'for f in "$1"/.tmp-*; do m=$(stat -c %Y -- "$f" 2>/dev/null) || continue; if [ $(($4 - m * 1000)) -gt "$5" ]; then rm -f -- "$f"; fi; done',
    '(umask 022 && cat > "$1/$2") || { s=$?; rm -f -- "$1/$2"; exit $s; }',
    'if e=$(ln -T -- "$1/$2" "$1/$3" 2>&1); then rm -f -- "$1/$2"; echo linked; exit 0; fi',
    'case $e in *"File exists"*) ;; *) rm -f -- "$1/$2"; echo "$e" >&2; exit 1 ;; esac',
    'm=$(stat -L -c %Y -- "$1/$3") && t=$(cat -- "$1/$3" && echo x) || { s=$?; rm -f -- "$1/$2"; exit $s; }',
    'printf "exists\\n%s\\n%s" "$m" "${t%x}"',
  ].join("\n"),
  // Per regular file: name, mtime (s) and text, each ended by a NUL (a file gone meanwhile is left out).
  readFiles: [
    'test -d "$1" || { echo "$1: No such file or directory" >&2; exit 1; }',
    'cd -- "$1" || exit 1',
    'for f in * .[!.]* ..?*; do [ -f "$f" ] || continue; m=$(stat -c %Y -- "$f" 2>/dev/null) && t=$(cat -- "$f" 2>/dev/null && echo x) || continue; printf "%s\\0%s\\0%s\\0" "$f" "$m" "${t%x}"; done',
  ].join("\n"),
} as const;

/** Parses {@link SCRIPTS}.readFiles' output. */
export function parseFoundFiles(out: string): FoundFile[] {
  const fields = out.split("\0");
  const found: FoundFile[] = [];
  for (let i = 0; i + 2 < fields.length; i += 3) {
    found.push({ name: fields[i]!, mtimeMs: Number(fields[i + 1]) * 1000, text: fields[i + 2]! });
  }
  return found;
}

/** Parses {@link SCRIPTS}.claim's output. */
export function parseClaimAttempt(out: string): ClaimAttempt {
  if (out === "linked\n") return { linked: true };
  const match = /^exists\n(\d+)\n/.exec(out);
  if (!match) throw new Error(`unexpected output of a record claim: ${JSON.stringify(out.slice(0, 200))}`);
  return { linked: false, mtimeMs: Number(match[1]) * 1000, text: out.slice(match[0].length) };
}

/** Parses {@link SCRIPTS}.stat's output. */
export function parseFileStat(out: string): FileStat {
  const [line = "", type = ""] = out.trim().split("\n");
  const [mtime, ino, dev, size] = line.trim().split(" ").map(Number);
  const parsed = { mtimeMs: (mtime ?? NaN) * 1000, ino: ino ?? NaN, dev: dev ?? NaN, size: size ?? NaN };
  const fsType = parseInt(type.trim(), 16);
  if ([...Object.values(parsed), fsType].some((v) => !Number.isFinite(v))) {
    throw new Error(`unexpected output of stat: ${JSON.stringify(out.slice(0, 200))}`);
  }
  return { ...parsed, fsType };
}

/**
 * {@link HostFiles} by commands run through `runner` (on another machine, over SSH): coreutils'
 * `ln` (link(2), so a claim stays atomic), `mv -T` (rename(2)), `cat`, `stat`, and the scripts
 * above. A failure's errno is read from the tool's own message ("No such file or directory",
 * "File exists").
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
    rename: async (from, to) => {
      await run("mv", ["-f", "-T", "--", from, to]);
    },
    remove: async (path) => {
      await run("rm", ["-f", "--", path]);
    },
    removeIfFirstLine: async (path, line) => {
      // Gone between the test and the read: absent, as for the local machine.
      await sh(SCRIPTS.removeIfFirstLine, [path, line]).catch((e: unknown) => {
        if (!isErrno(e, "ENOENT")) throw e;
      });
    },
    stat: async (path) => parseFileStat(await sh(SCRIPTS.stat, [path])),
    writeAtomic: async (dir, tmp, file, text) => {
      await sh(SCRIPTS.writeAtomic, [dir, tmp, file], text);
    },
    claim: async (dir, tmp, file, text, { now, tempMaxAgeMs }) =>
      parseClaimAttempt(
        await sh(SCRIPTS.claim, [dir, tmp, file, String(Math.round(now)), String(tempMaxAgeMs)], text),
      ),
    readFiles: async (dir) => parseFoundFiles(await sh(SCRIPTS.readFiles, [dir])),
  };
}
