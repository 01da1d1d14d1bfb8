// What a bench run measures, from the environment and argv. Benchmarks are not tests: the tiny
// CI run (`BENCH_SIZES=5 BENCH_SKIP_MININET=1`) only keeps this code working.

/** The star sizes measured when nothing says otherwise. */
export const DEFAULT_SIZES = [1, 10, 100, 300] as const;

export interface BenchOptions {
  /** Numbers of hosts N in the star (N host namespaces + 1 hub namespace). */
  readonly sizes: readonly number[];
  /** Skip the Mininet row (CI, machines without it). */
  readonly skipMininet: boolean;
  /** Skip the two engine rows (pulumi-netns and the no-op floor). */
  readonly skipEngine: boolean;
  /** Skip the star built on machine B over SSH (it starts two sshd "machines"). */
  readonly skipRemote: boolean;
  /**
   * The largest N for the rows of 2N+2 fine-grained resources (the CLI project, the Automation API
   * program, its no-op floor, the bare handlers); above it only the Lan, its floor, Mininet and the
   * kernel rows run. BENCH_FINE_MAX; default 300, so the opt-in N=1000 row takes minutes, not tens.
   */
  readonly fineMax: number;
  /**
   * Only the user's-path rows (CLI, Lan, remote, the toolchain's floor), Mininet and the kernel
   * rows: no Automation API, no-op engine floor or bare-handler diagnostics. BENCH_HEADLINE_ONLY=1.
   */
  readonly headlineOnly: boolean;
  /**
   * Count the `ip` processes of one extra, untimed up/refresh/destroy at the smallest size.
   * Default: on when the smallest size is at least 10 (off for the tiny CI run); BENCH_COUNT_IP=1|0.
   */
  readonly countIp: boolean;
  /** `--parallel` for the engine; undefined: the CLI's default (8 in 3.276). */
  readonly parallel: number | undefined;
  /** Let `ensureMininet` run `apt-get install` when `mn` is missing. */
  readonly installMininet: boolean;
  /** Where results go (bench/results/, git-ignored). */
  readonly resultsDir: string;
}

/** Parses `10,50,100`: positive integers, at least one. */
export function parseSizes(text: string): number[] {
  const sizes = text
    .split(/[,\s]+/)
    .filter((s) => s !== "")
    .map((s) => Number(s));
  if (sizes.length === 0 || sizes.some((n) => !Number.isSafeInteger(n) || n < 1 || n > 1000)) {
    throw new Error(
      `invalid sizes ${JSON.stringify(text)}: expected a comma-separated list of integers 1..1000`,
    );
  }
  return sizes;
}

const flag = (value: string | undefined) => value !== undefined && value !== "" && value !== "0";

/** Reads BENCH_* variables; `--sizes=10,50` or a bare `10,50` on argv wins over BENCH_SIZES. */
export function readOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  resultsDir: string,
): BenchOptions {
  let sizesText = env.BENCH_SIZES;
  for (const arg of argv) {
    if (arg.startsWith("--sizes=")) sizesText = arg.slice("--sizes=".length);
    else if (/^[\d,]+$/.test(arg)) sizesText = arg;
    else throw new Error(`unknown argument ${JSON.stringify(arg)} (expected --sizes=10,50 or 10,50)`);
  }
  const parallel = env.BENCH_PARALLEL ? Number(env.BENCH_PARALLEL) : undefined;
  if (parallel !== undefined && (!Number.isSafeInteger(parallel) || parallel < 1)) {
    throw new Error(`invalid BENCH_PARALLEL ${JSON.stringify(env.BENCH_PARALLEL)}`);
  }
  const sizes = sizesText ? parseSizes(sizesText) : [...DEFAULT_SIZES];
  return {
    sizes,
    skipMininet: flag(env.BENCH_SKIP_MININET),
    skipEngine: flag(env.BENCH_SKIP_ENGINE),
    fineMax: env.BENCH_FINE_MAX ? Number(env.BENCH_FINE_MAX) : 300,
    headlineOnly: flag(env.BENCH_HEADLINE_ONLY),
    skipRemote: flag(env.BENCH_SKIP_REMOTE),
    countIp: env.BENCH_COUNT_IP === undefined ? Math.min(...sizes) >= 10 : flag(env.BENCH_COUNT_IP),
    parallel,
    installMininet: env.BENCH_INSTALL_MININET === undefined ? true : flag(env.BENCH_INSTALL_MININET),
    resultsDir,
  };
}
