// Drives the real Pulumi CLI through the Automation API for one star: a local file backend and a
// PULUMI_HOME in a temporary directory, an empty passphrase, the program inline in this process.
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LocalWorkspace, PulumiCommand, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";
import { run, timed } from "./proc";
import { MARKER_VAR, startSampler, type Sample } from "./sampler";

/** The repository's root (this file runs as dist/bench/engine.js). */
export const repoRoot = resolve(__dirname, "../..");

let command: Promise<PulumiCommand> | undefined;

function pulumiCommand(): Promise<PulumiCommand> {
  const root = process.env.PULUMI_NETNS_PULUMI_ROOT;
  if (!root) throw new Error("PULUMI_NETNS_PULUMI_ROOT is not set: run `. scripts/env.sh` first");
  command ??= PulumiCommand.get({ root });
  return command;
}

export interface EngineSettings {
  /** `--parallel`; undefined: the CLI default. */
  readonly parallel?: number | undefined;
  /** Extra variables for the CLI (e.g. PULUMI_SKIP_CHECKPOINTS). */
  readonly env?: Readonly<Record<string, string>>;
  /** A directory put first on the CLI's (and so the provider's) PATH. */
  readonly pathPrefix?: string;
}

export interface BenchStack {
  readonly stack: Stack;
  readonly settings: EngineSettings;
  /** Call after a successful destroy: dispose then skips its own (a second destroy costs seconds). */
  markDestroyed(): void;
  /** The checkpoint file of the stack in the file backend. */
  statePath(): Promise<string | undefined>;
  /** Destroys what is left (errors ignored), removes the stack and every temporary directory. */
  dispose(): Promise<void>;
}

export async function benchStack(
  stackName: string,
  marker: string,
  program: PulumiFn,
  settings: EngineSettings = {},
): Promise<BenchStack> {
  const scratch = await mkdtemp(join(tmpdir(), `${stackName}-`));
  const state = join(scratch, "state");
  await mkdir(state);
  // The plugin starts in the work directory and resolves @pulumi/pulumi and pulumi-netns from
  // there, so it lies inside the repository (bench/results/ is git-ignored).
  const resultsDir = join(repoRoot, "bench", "results");
  await mkdir(resultsDir, { recursive: true });
  const workDir = await mkdtemp(join(resultsDir, ".work-"));
  const envVars: Record<string, string> = {
    PULUMI_CONFIG_PASSPHRASE: "",
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    [MARKER_VAR]: marker,
    ...settings.env,
  };
  if (settings.pathPrefix) envVars.PATH = `${settings.pathPrefix}:${process.env.PATH ?? ""}`;
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, projectName: "pnb", program },
    {
      workDir,
      pulumiHome: join(scratch, "home"),
      envVars,
      pulumiCommand: await pulumiCommand(),
      projectSettings: { name: "pnb", runtime: "nodejs", main: workDir },
    },
  );
  let destroyed = false;
  return {
    stack,
    settings,
    markDestroyed: () => void (destroyed = true),
    async statePath() {
      const stacks = join(state, ".pulumi", "stacks");
      const walk = async (dir: string): Promise<string | undefined> => {
        for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
          const p = join(dir, e.name);
          if (e.isDirectory()) {
            const found = await walk(p);
            if (found) return found;
          } else if (e.name.startsWith(`${stackName}.json`) && !e.name.endsWith(".bak")) return p;
        }
        return undefined;
      };
      return walk(stacks);
    },
    async dispose() {
      try {
        if (!destroyed) await stack.destroy({ onOutput: () => undefined }).catch(() => undefined);
        await stack.workspace.removeStack(stackName).catch(() => undefined);
      } finally {
        await rm(scratch, { recursive: true, force: true });
        await rm(workDir, { recursive: true, force: true });
      }
    },
  };
}

export interface OpFigures {
  readonly seconds: number;
  readonly sample: Sample;
}

/** Runs one engine operation under the /proc sampler. */
export async function measured(marker: string, op: () => Promise<unknown>): Promise<OpFigures> {
  const sampler = startSampler(marker);
  try {
    const { seconds } = await timed(op);
    return { seconds, sample: await sampler.stop() };
  } catch (e) {
    await sampler.stop();
    throw e;
  }
}

export interface StackFigures {
  readonly up: OpFigures;
  readonly preview: OpFigures;
  readonly refresh: OpFigures;
  readonly destroy: OpFigures;
  /** Bytes of the checkpoint file after `up`. */
  readonly stateBytes: number;
  /** Mean length of `__provider` in a resource's outputs, characters. */
  readonly providerBytesPerResource: number;
  readonly resources: number;
}

/** Sizes of the checkpoint after `up`: file bytes, resources, mean `__provider` length. */
export async function checkpointFigures(
  b: BenchStack,
): Promise<{ stateBytes: number; providerBytesPerResource: number; resources: number }> {
  const path = await b.statePath();
  const stateBytes = path ? (await stat(path)).size : 0;
  const deployment = (await b.stack.exportStack()).deployment as {
    resources?: { type: string; outputs?: Record<string, unknown> }[];
  };
  const dynamic = (deployment.resources ?? []).filter((r) => typeof r.outputs?.__provider === "string");
  const total = dynamic.reduce((a, r) => a + String(r.outputs?.__provider).length, 0);
  return {
    stateBytes,
    providerBytesPerResource: dynamic.length ? Math.round(total / dynamic.length) : 0,
    resources: dynamic.length,
  };
}

/**
 * up, a no-op preview (it fails if it finds changes), refresh, destroy; `afterUp` runs untimed
 * between up and preview (the topology check).
 */
export async function upPreviewRefreshDestroy(
  b: BenchStack,
  marker: string,
  afterUp: () => Promise<void> = async () => undefined,
): Promise<StackFigures> {
  const parallel = b.settings.parallel !== undefined ? { parallel: b.settings.parallel } : {};
  const up = await measured(marker, () => b.stack.up({ ...parallel }));
  const checkpoint = await checkpointFigures(b);
  await afterUp();
  const preview = await measured(marker, () => b.stack.preview({ ...parallel, expectNoChanges: true }));
  const refresh = await measured(marker, () => b.stack.refresh({ ...parallel }));
  const destroy = await measured(marker, () => b.stack.destroy({ ...parallel }));
  b.markDestroyed();
  return { up, preview, refresh, destroy, ...checkpoint };
}

/**
 * A directory whose `ip` logs each invocation's argv to `log` and runs the real `ip`: put first
 * on PATH for one diagnostic run (it adds a shell start per call, so never in a timed run).
 */
export async function ipCounter(): Promise<{ dir: string; log: string; dispose(): Promise<void> }> {
  const realIp = (await run(["sh", "-c", "command -v ip"])).stdout.trim();
  const dir = await mkdtemp(join(tmpdir(), "pnb-ipcount-"));
  const log = join(dir, "calls.log");
  await writeFile(log, "");
  await writeFile(join(dir, "ip"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${realIp}' "$@"\n`);
  await chmod(join(dir, "ip"), 0o755);
  return { dir, log, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** Counts logged `ip` calls by kind (`-j -N -d -n NS link show dev X` -> `link show`). */
export async function ipCallKinds(log: string): Promise<{ total: number; byKind: Record<string, number> }> {
  const lines = (await readFile(log, "utf8")).split("\n").filter((l) => l !== "");
  const byKind: Record<string, number> = {};
  for (const line of lines) {
    const words = line.split(" ");
    const rest: string[] = [];
    for (let i = 0; i < words.length; i++) {
      const w = words[i] as string;
      if (w === "-n") i++;
      else if (!w.startsWith("-") || w === "-batch") rest.push(w);
    }
    const kind =
      rest[0] === "-batch"
        ? "-batch"
        : rest[0] === "netns"
          ? rest.slice(0, 2).join(" ")
          : rest.slice(0, 2).join(" ");
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  return { total: lines.length, byKind };
}
