// The user's path: the `pulumi` CLI run on a TypeScript program in a project directory, exactly
// as the README tells users to run it. The program is examples/star itself, copied into a work
// directory inside the repository (so it resolves pulumi-netns and @pulumi/pulumi as an example
// does), with its own file backend (`backend: url: file://.`) and a PULUMI_HOME of its own that
// shares the machine's plugins.
import { cp, mkdir, mkdtemp, readdir, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SshEndpoint } from "../provider/kernel/ssh";
import { measured, repoRoot, type OpFigures } from "./engine";
import { run } from "./proc";
import { MARKER_VAR } from "./sampler";

/** The files of examples/star that make the project (its README and any state stay behind). */
const PROJECT_FILES = ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json"] as const;

export interface UserPathFigures {
  /** `pulumi up --yes`: a preview, then the update, as a user runs it. */
  readonly up: OpFigures;
  /** `pulumi preview --expect-no-changes` right after up (fails on any diff). */
  readonly preview: OpFigures;
  readonly refresh: OpFigures;
  readonly destroy: OpFigures;
  /** Bytes of the checkpoint after up. */
  readonly stateBytes: number;
  /** Engine resources in the checkpoint after up (the stack, providers and ours). */
  readonly resources: number;
}

export interface UserPathProject {
  readonly dir: string;
  /** Runs `pulumi ARGS` in the project as a user would, with the bench's marker in its environment. */
  pulumi(args: readonly string[]): Promise<string>;
  dispose(): Promise<void>;
}

/** How the star is built: as one netns.Lan (its `lan` config), and on another machine. */
export interface StarVariant {
  readonly lan?: boolean;
  /** The machine every resource is made on, over SSH (the star's `machine*` config). */
  readonly machine?: SshEndpoint;
}

/**
 * examples/star in a fresh directory, stack `bench` selected, its namespaces named `<prefix>-...`
 * and `hosts` set to `n`, built as `variant` says.
 */
export async function userPathProject(
  prefix: string,
  n: number,
  variant: StarVariant = {},
): Promise<UserPathProject> {
  const plugins = process.env.PULUMI_NETNS_PLUGINS;
  const bin = process.env.PULUMI_NETNS_PULUMI_ROOT;
  if (!plugins || !bin) throw new Error("PULUMI_NETNS_PLUGINS is not set: run `. scripts/env.sh` first");
  const resultsDir = join(repoRoot, "bench", "results");
  await mkdir(resultsDir, { recursive: true });
  const dir = await mkdtemp(join(resultsDir, ".work-"));
  const home = await mkdtemp(join(tmpdir(), `${prefix}-home-`));
  await symlink(plugins, join(home, "plugins"));
  for (const f of PROJECT_FILES) await cp(join(repoRoot, "examples", "star", f), join(dir, f));
  const env = {
    ...process.env,
    PULUMI_HOME: home,
    PULUMI_CONFIG_PASSPHRASE: "",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    [MARKER_VAR]: prefix,
  };
  const pulumi = async (args: readonly string[], input?: string) =>
    (await run(["pulumi", "--cwd", dir, "--non-interactive", ...args], input, env)).stdout;
  await pulumi(["stack", "init", "bench"]);
  await pulumi(["config", "set", "hosts", String(n)]);
  await pulumi(["config", "set", "namespacePrefix", `${prefix}-`]);
  if (variant.lan) await pulumi(["config", "set", "lan", "true"]);
  const m = variant.machine;
  if (m) {
    await pulumi(["config", "set", "machineAddress", m.address]);
    await pulumi(["config", "set", "machinePort", String(m.port)]);
    await pulumi(["config", "set", "machineUser", m.user]);
    await pulumi(["config", "set", "machineHostKey", m.hostKey]);
    // On stdin, as a user would pipe the key file: never on a command line.
    if (m.privateKey) await pulumi(["config", "set", "--secret", "privateKey"], m.privateKey);
  }
  return {
    dir,
    pulumi,
    async dispose() {
      await rm(dir, { recursive: true, force: true });
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Bytes of the stack's checkpoint file in the project's own backend. */
async function stateBytesOf(dir: string): Promise<number> {
  const stacks = join(dir, ".pulumi", "stacks");
  const walk = async (d: string): Promise<string | undefined> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        const found = await walk(p);
        if (found) return found;
      } else if (e.name === "bench.json") return p;
    }
    return undefined;
  };
  const path = await walk(stacks);
  return path ? (await stat(path)).size : 0;
}

/**
 * up, a no-op preview, refresh and destroy through the CLI on the star project; `afterUp` runs
 * untimed between up and preview (the topology check). Destroys whatever is left on failure.
 */
export async function userPathStar(
  prefix: string,
  n: number,
  afterUp: () => Promise<void> = async () => undefined,
  variant: StarVariant = {},
): Promise<UserPathFigures> {
  const p = await userPathProject(prefix, n, variant);
  let destroyed = false;
  try {
    const up = await measured(prefix, () => p.pulumi(["up", "--yes"]));
    const stateBytes = await stateBytesOf(p.dir);
    const exported = JSON.parse(await p.pulumi(["stack", "export"])) as {
      deployment?: { resources?: unknown[] };
    };
    await afterUp();
    const preview = await measured(prefix, () => p.pulumi(["preview", "--expect-no-changes"]));
    const refresh = await measured(prefix, () => p.pulumi(["refresh", "--yes"]));
    const destroy = await measured(prefix, () => p.pulumi(["destroy", "--yes"]));
    destroyed = true;
    return {
      up,
      preview,
      refresh,
      destroy,
      stateBytes,
      resources: exported.deployment?.resources?.length ?? 0,
    };
  } finally {
    if (!destroyed) await p.pulumi(["destroy", "--yes"]).catch(() => undefined);
    await p.dispose();
  }
}
