// The user's path: the `pulumi` CLI run on a TypeScript program in a project directory, exactly
// as the README tells users to run it. The program is examples/star itself, copied into a work
// directory inside the repository (so it resolves pulumi-netns and @pulumi/pulumi as an example
// does), with its own file backend (`backend: url: file://.`) and a PULUMI_HOME of its own that
// shares the machine's plugins.
import { cp, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
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
  const m = variant.machine;
  return project(
    prefix,
    async (dir) => {
      for (const f of PROJECT_FILES) await cp(join(repoRoot, "examples", "star", f), join(dir, f));
    },
    [
      ["hosts", String(n)],
      ["namespacePrefix", `${prefix}-`],
      ...(variant.lan ? [["lan", "true"]] : []),
      ...(m
        ? [
            ["machineAddress", m.address],
            ["machinePort", String(m.port)],
            ["machineUser", m.user],
            ["machineHostKey", m.hostKey],
          ]
        : []),
    ],
    async (pulumi) => {
      // On stdin, as a user would pipe the key file: never on a command line.
      if (m?.privateKey) await pulumi(["config", "set", "--secret", "privateKey"], m.privateKey);
    },
  );
}

// The toolchain's floor on the same path: one dynamic resource holding a Lan's inputs for N hosts,
// whose provider does nothing. It pays what any program does (the CLI, the language host, Node,
// @pulumi/pulumi in the program and in the plugin, one engine step with the same payload) and none
// of pulumi-netns.
const FLOOR_PROGRAM = `import * as pulumi from "@pulumi/pulumi";

const count = new pulumi.Config().getNumber("hosts") ?? 1;
const address = (i: number) => \`10.20.\${Math.floor(i / 256)}.\${i % 256}/16\`;
const hosts = Object.fromEntries(
  Array.from({ length: count }, (_, k) => [\`h\${k + 1}\`, { port: \`h\${k + 1}\`, addresses: [address(k + 1)] }]),
);
const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Record<string, unknown>) {
    return { id: "floor", outs: inputs };
  },
  async delete() {},
};
new pulumi.dynamic.Resource(provider, "star", { namespace: "hub", bridge: "br", hosts });
`;

/** A project whose program is {@link FLOOR_PROGRAM}, with `hosts` set to `n`. */
export async function floorProject(prefix: string, n: number): Promise<UserPathProject> {
  return project(
    prefix,
    async (dir) => {
      const star = join(repoRoot, "examples", "star");
      await cp(join(star, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
      await writeFile(join(dir, "package.json"), JSON.stringify({ name: "floor", main: "index.ts" }));
      await writeFile(join(dir, "index.ts"), FLOOR_PROGRAM);
    },
    [["hosts", String(n)]],
  );
}

/** A fresh project directory filled by `fill`, stack `bench` selected with `config` set. */
async function project(
  prefix: string,
  fill: (dir: string) => Promise<void>,
  config: readonly (readonly string[])[],
  configure: (
    pulumi: (args: readonly string[], input?: string) => Promise<string>,
  ) => Promise<void> = async () => undefined,
): Promise<UserPathProject> {
  const plugins = process.env.PULUMI_NETNS_PLUGINS;
  const bin = process.env.PULUMI_NETNS_PULUMI_ROOT;
  if (!plugins || !bin) throw new Error("PULUMI_NETNS_PLUGINS is not set: run `. scripts/env.sh` first");
  const resultsDir = join(repoRoot, "bench", "results");
  await mkdir(resultsDir, { recursive: true });
  const dir = await mkdtemp(join(resultsDir, ".work-"));
  const home = await mkdtemp(join(tmpdir(), `${prefix}-home-`));
  await symlink(plugins, join(home, "plugins"));
  await fill(dir);
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
  for (const [key, value] of config) await pulumi(["config", "set", key!, value!]);
  await configure(pulumi);
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
  make: (prefix: string, n: number) => Promise<UserPathProject> = (p, k) => userPathProject(p, k, variant),
): Promise<UserPathFigures> {
  const p = await make(prefix, n);
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
