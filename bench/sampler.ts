// Samples /proc while an engine operation runs: the dynamic provider plugin (cmdline holds
// `dynamic-provider`) and the pulumi CLI. VmHWM is the process's own peak RSS, so the last
// sample before it exits is right even if a spike fell between samples; CPU times are as of the
// last sample (the final ~interval of a process is missed).
import { readdir, readFile } from "node:fs/promises";

const TICK = 100; // USER_HZ on Linux

export interface ProcessFigures {
  /** Peak resident set (VmHWM), MiB; the largest over processes of the role. */
  peakRssMiB: number;
  /** User+system CPU of the process itself, seconds (summed over processes of the role). */
  cpuSeconds: number;
  /** User+system CPU of its waited-for children (the `ip` processes of the provider), seconds. */
  childCpuSeconds: number;
}

export interface Sample {
  /** The dynamic-provider plugin (pulumi-netns's handlers) and the `ip` processes it waits for. */
  readonly provider: ProcessFigures;
  /** The `pulumi` CLI: the engine, checkpoints and display. */
  readonly engine: ProcessFigures;
  /** `pulumi-language-nodejs`, which starts the program. */
  readonly languageHost: ProcessFigures;
  /** The Node process running the user's program (`@pulumi/pulumi/cmd/run`). */
  readonly program: ProcessFigures;
}

const ROLES = ["provider", "engine", "languageHost", "program"] as const;
type Role = (typeof ROLES)[number];

function roleOf(cmdline: string): Role | undefined {
  if (cmdline.includes("dynamic-provider")) return "provider";
  if (cmdline.includes("@pulumi/pulumi/cmd/run")) return "program";
  const argv0 = cmdline.split("\0")[0] ?? "";
  if (argv0 === "pulumi" || argv0.endsWith("/bin/pulumi")) return "engine";
  if (argv0.endsWith("pulumi-language-nodejs")) return "languageHost";
  return undefined;
}

async function readProc(
  pid: string,
  marker: string,
): Promise<{ role: Role; hwm: number; cpu: number; child: number } | undefined> {
  try {
    const role = roleOf(await readFile(`/proc/${pid}/cmdline`, "utf8"));
    if (!role) return undefined;
    // Other people's pulumi runs on this machine lack our marker in their environment.
    if (!(await readFile(`/proc/${pid}/environ`, "utf8")).includes(marker)) return undefined;
    const [status, stat] = await Promise.all([
      readFile(`/proc/${pid}/status`, "utf8"),
      readFile(`/proc/${pid}/stat`, "utf8"),
    ]);
    const hwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const n = (i: number) => Number(f[i - 3] ?? 0) / TICK; // field numbers as in proc(5)
    return { role, hwm, cpu: n(14) + n(15), child: n(16) + n(17) };
  } catch {
    return undefined; // gone between readdir and read
  }
}

/** The variable that marks the processes a bench run starts (set in the engine's environment). */
export const MARKER_VAR = "PULUMI_NETNS_BENCH_RUN";

/** Samples every `intervalMs` the processes whose environment holds `MARKER_VAR=marker`. */
export function startSampler(marker: string, intervalMs = 200): { stop(): Promise<Sample> } {
  const needle = `${MARKER_VAR}=${marker}\0`;
  const seen = new Map<string, { role: Role; hwm: number; cpu: number; child: number }>();
  let busy: Promise<void> = Promise.resolve();
  const tick = async () => {
    const pids = (await readdir("/proc")).filter((p) => /^\d+$/.test(p));
    await Promise.all(
      pids.map(async (pid) => {
        const r = await readProc(pid, needle);
        if (r) seen.set(pid, r);
      }),
    );
  };
  const timer = setInterval(() => {
    busy = busy.then(tick, tick);
  }, intervalMs);
  busy = tick();
  return {
    async stop() {
      clearInterval(timer);
      await busy.catch(() => undefined);
      await tick().catch(() => undefined);
      const figures = (role: Role): ProcessFigures => {
        const mine = [...seen.values()].filter((r) => r.role === role);
        return {
          peakRssMiB: Math.max(0, ...mine.map((r) => r.hwm)),
          cpuSeconds: mine.reduce((a, r) => a + r.cpu, 0),
          childCpuSeconds: mine.reduce((a, r) => a + r.child, 0),
        };
      };
      return Object.fromEntries(ROLES.map((role) => [role, figures(role)])) as Record<Role, ProcessFigures>;
    },
  };
}
