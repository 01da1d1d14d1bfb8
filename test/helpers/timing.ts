// What test/run's timing reporter reports: after the run, the wall time of each tier and the ten
// slowest test files, so a run that nears CI's time budget shows where the time went.
import * as path from "node:path";
import type { TestEvent } from "node:test/reporters";

/** One test file's run, in milliseconds on the reporter's clock. */
export interface FileRun {
  /** Relative to the working directory, as `dist/test/<tier>/...`. */
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

/** The tier of a test file: the directory under `test/` (`dist/test/engine/x.test.js`: engine). */
export function tierOf(file: string): string {
  return /(?:^|\/)test\/([^/]+)\//.exec(file)?.[1] ?? "other";
}

/** Milliseconds during which at least one of the runs was going: files may run side by side. */
export function wallTime(runs: readonly FileRun[]): number {
  let total = 0;
  let reached = -Infinity;
  for (const { start, end } of [...runs].sort((a, b) => a.start - b.start)) {
    if (end <= reached) continue;
    total += end - Math.max(start, reached);
    reached = end;
  }
  return total;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`.padStart(9);

export function timingSummary(runs: readonly FileRun[], slowest = 10): string {
  const tiers = new Map<string, FileRun[]>();
  for (const run of runs) tiers.set(tierOf(run.file), [...(tiers.get(tierOf(run.file)) ?? []), run]);
  const width = Math.max(3, ...[...tiers.keys()].map((t) => t.length));
  const lines = ["==> wall time per tier"];
  for (const [tier, files] of tiers) {
    const count = files.length === 1 ? "1 file" : `${files.length} files`;
    lines.push(`  ${tier.padEnd(width)} ${seconds(wallTime(files))}  (${count})`);
  }
  lines.push(`  ${"all".padEnd(width)} ${seconds(wallTime(runs))}`);
  lines.push(`==> the ${slowest} slowest test files`);
  const bySlowness = [...runs].sort((a, b) => b.end - b.start - (a.end - a.start));
  for (const run of bySlowness.slice(0, slowest))
    lines.push(`  ${seconds(run.end - run.start)}  ${run.file}`);
  return lines.join("\n") + "\n";
}

/**
 * The reporter, as test/timingReporter.ts hands it to Node's test runner. With process isolation the
 * runner ends each file with a `test:complete` named after the file, whose duration is the whole
 * child process's; a file's run is taken to end when that event arrives.
 */
export async function* timingReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const runs: FileRun[] = [];
  for await (const event of source) {
    if (event.type !== "test:complete") continue;
    const { name, file, details } = event.data;
    if (file === undefined || path.resolve(name) !== file) continue;
    const end = performance.now();
    runs.push({ file: path.relative(process.cwd(), file), start: end - details.duration_ms, end });
  }
  yield timingSummary(runs);
}
