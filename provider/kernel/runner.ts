import { constants } from "node:os";

// Loaded at the first command, not with the provider: a preview's plugin validates and diffs
// without running any, and execa's module graph costs it about 60 ms (docs/BENCHMARKS.md).
let execaModule: typeof import("execa") | undefined;
const loadExeca = () => (execaModule ??= require("execa") as typeof import("execa"));

/** What a finished command printed and how it exited. */
export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  /** The process exit code; `128 + signal number` when it was killed by a signal (as a shell reports it). */
  readonly exitCode: number;
}

/**
 * Runs one program with an argv array, never through a shell.
 *
 * Resolves with the result whatever the exit code; rejects only when the program cannot be
 * started at all (missing binary, exhausted resources). The kernel layer turns non-zero exits
 * into {@link KernelCommandError}s; unit tests pass a scripted runner instead of {@link execaRunner}.
 */
export type Runner = (
  file: string,
  args: readonly string[],
  options?: {
    readonly input?: string;
    /**
     * Discard stdout and stderr instead of collecting them: for a program that leaves a child
     * holding them open (`ssh -f`), whose end would otherwise never come.
     */
    readonly ignoreOutput?: boolean;
  },
) => Promise<CommandResult>;

/** Thrown by {@link execaRunner} when the program could not be started. */
export class SpawnError extends Error {
  override readonly name = "SpawnError";
  constructor(
    readonly file: string,
    readonly code: string | undefined,
    options: { cause?: unknown },
  ) {
    super(
      `cannot run ${file}${code ? ` (${code})` : ""}: ` +
        (code === "ENOENT"
          ? `${file} is not installed or not on PATH (install iproute2 / procps)`
          : String(options.cause)),
      options,
    );
  }
}

/**
 * The real {@link Runner}, built on execa: no shell, `reject: false`, and `LC_ALL=C` so the error
 * texts the kernel layer classifies (`Cannot find device`, `File exists`) are the English ones.
 */
export const execaRunner: Runner = async (file, args, options) => {
  const result = await loadExeca().execa(file, args, {
    reject: false,
    shell: false,
    stripFinalNewline: false,
    env: { LC_ALL: "C" },
    ...(options?.input !== undefined ? { input: options.input } : { stdin: "ignore" as const }),
    ...(options?.ignoreOutput ? { stdout: "ignore" as const, stderr: "ignore" as const } : {}),
  });
  let exitCode = result.exitCode;
  if (exitCode === undefined) {
    if (result.signal === undefined) throw new SpawnError(file, result.code, { cause: result.cause });
    exitCode = 128 + (constants.signals[result.signal] ?? 0);
  }
  return { stdout: String(result.stdout ?? ""), stderr: String(result.stderr ?? ""), exitCode };
};

/**
 * Runs a program to its end synchronously, its output discarded, and gives its exit code
 * (undefined: it could not start, or was killed or timed out). Only for process-exit handlers,
 * where nothing asynchronous runs any more; no shell.
 */
export function runToEndSync(file: string, args: readonly string[], timeoutMs: number): number | undefined {
  const result = loadExeca().execaSync(file, args, {
    reject: false,
    shell: false,
    stdio: "ignore",
    timeout: timeoutMs,
    env: { LC_ALL: "C" },
  });
  return result.exitCode;
}

/**
 * Starts a program that outlives this process: in a session of its own (`detached`), stdin
 * closed, stdout and stderr the open file `outputFd` (the child holds the descriptor itself, no
 * pipe through this process), no shell, and not killed when this process exits (`cleanup`).
 * Returns its pid once it runs.
 */
export async function spawnDetached(
  file: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly outputFd: number },
): Promise<number> {
  // execa's types accept a descriptor number only for the extra fds 3-9; at run time it hands any
  // descriptor to the child as it is, as node's spawn does.
  const output = options.outputFd as unknown as 3;
  const child = loadExeca().execa(file, args, {
    cwd: options.cwd,
    detached: true,
    cleanup: false,
    reject: false,
    shell: false,
    stdin: "ignore",
    stdout: output,
    stderr: output,
    env: { LC_ALL: "C" },
  });
  child.catch(() => undefined);
  child.unref();
  if (child.pid === undefined) {
    const result = await child;
    throw new SpawnError(file, result.code, { cause: result.cause });
  }
  return child.pid;
}
