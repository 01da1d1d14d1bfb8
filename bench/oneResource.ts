// The fixed cost of `pulumi up`: the CLI, the language host, starting the program, the plugins. A
// project holding one netns.Namespace is deployed with `pulumi up --yes` (preview, then update)
// from the command line, as a user runs it, beside the toolchain's floor: the same project whose
// program registers one dynamic resource with a provider that does nothing. The difference is
// pulumi-netns's own share. Runs are interleaved so a busy moment spreads over every variant.
//
//   node dist/bench/oneResource.js [runs]      (as root, after `. scripts/env.sh`)
//
// BENCH_ONE_TYPESCRIPT=1 adds the ways of running the program's TypeScript that were compared
// before `typescript: false` was chosen. BENCH_BINS="name=DIR,..." adds sets of Pulumi parts to
// compare (each DIR holds pulumi, pulumi-language-nodejs and pulumi-resource-pulumi-nodejs).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { sweep, timed } from "./proc";

const execFileP = promisify(execFile);

const repoRoot = resolve(__dirname, "../..");

interface Variant {
  readonly name: string;
  readonly bin: string;
  /** The program; one netns.Namespace unless given. */
  readonly program?: string;
  /** Pulumi.yaml's `runtime.options`. */
  readonly options?: Record<string, unknown>;
  /** Extra tsconfig compiler options. */
  readonly compilerOptions?: Record<string, unknown>;
  /** Extra environment for the CLI, and so for every Node process it starts. */
  readonly env?: Record<string, string>;
}

/** A compile cache of the bench's own, so the first round fills it and later ones use it. */
const compileCache = join(tmpdir(), `pulumi-netns-bench-compile-cache-${process.pid}`);

function variants(): Variant[] {
  const official = process.env.PULUMI_NETNS_PULUMI_ROOT;
  if (!official) throw new Error("PULUMI_NETNS_PULUMI_ROOT is not set: run `. scripts/env.sh` first");
  const bin = join(official, "bin");
  const extra = (process.env.BENCH_BINS ?? "")
    .split(",")
    .filter((s) => s.includes("="))
    .flatMap((s): Variant[] => {
      const [name, dir] = s.split("=") as [string, string];
      return [
        { name: `${name} host, type-checked (ts-node)`, bin: dir },
        {
          name: `${name} host, transpile only (tsconfig noCheck)`,
          bin: dir,
          compilerOptions: { noCheck: true },
        },
      ];
    });
  // What every example and template runs: Node strips the types, with env.sh's compile cache.
  const shipped = { options: { typescript: false }, env: { NODE_COMPILE_CACHE: compileCache } };
  const asShipped: Variant[] = [
    { name: "toolchain floor: one no-op dynamic resource", bin, program: NOOP_PROGRAM, ...shipped },
    { name: "one netns.Namespace", bin, ...shipped },
  ];
  if (!process.env.BENCH_ONE_TYPESCRIPT) return [...extra, ...asShipped];
  return [
    ...asShipped,
    ...extra,
    { name: "official host, type-checked (ts-node)", bin },
    { name: "official host, transpile only (tsconfig noCheck)", bin, compilerOptions: { noCheck: true } },
    { name: "official host, Node strips the types (typescript: false)", bin, options: { typescript: false } },
    {
      name: "official host, Node strips the types, Node's compile cache (NODE_COMPILE_CACHE)",
      bin,
      options: { typescript: false },
      env: { NODE_COMPILE_CACHE: compileCache },
    },
  ];
}

/** The floor: one dynamic resource whose provider returns its inputs and does nothing else. */
const NOOP_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Record<string, unknown>) {
    return { id: "noop", outs: inputs };
  },
  async delete() {},
};
class Noop extends pulumi.dynamic.Resource {
  constructor(name: string, props: Record<string, unknown>) {
    super(provider, name, props, undefined, "bench", "Noop");
  }
}
const noop = new Noop("one", { name: process.env.BENCH_NAMESPACE });
export const id = noop.id;
`;

const PROGRAM = `import * as netns from "pulumi-netns";
const ns = new netns.Namespace("one", { name: process.env.BENCH_NAMESPACE });
export const inode = ns.inode;
`;

/** One `pulumi up --yes` of a fresh stack; its seconds. Destroys and removes everything after. */
async function once(v: Variant, prefix: string): Promise<number> {
  const scratch = await mkdtemp(join(tmpdir(), `${prefix}-`));
  const resultsDir = join(repoRoot, "bench", "results");
  await mkdir(resultsDir, { recursive: true });
  // Inside the repository, so the program finds pulumi-netns and @pulumi/pulumi in node_modules.
  const project = await mkdtemp(join(resultsDir, ".work-"));
  const home = join(scratch, "home");
  await mkdir(home);
  if (process.env.PULUMI_NETNS_PLUGINS)
    await symlink(process.env.PULUMI_NETNS_PLUGINS, join(home, "plugins"));
  const runtime = v.options
    ? `runtime:\n  name: nodejs\n  options: ${JSON.stringify(v.options)}\n`
    : "runtime: nodejs\n";
  await writeFile(join(project, "Pulumi.yaml"), `name: ${prefix}\n${runtime}`);
  await writeFile(join(project, "package.json"), JSON.stringify({ name: prefix, main: "index.ts" }));
  await writeFile(join(project, "index.ts"), v.program ?? PROGRAM);
  await writeFile(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2023",
        module: "nodenext",
        moduleResolution: "nodenext",
        strict: true,
        skipLibCheck: true,
        types: ["node"],
        ...v.compilerOptions,
      },
      files: ["index.ts"],
    }),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${v.bin}:${process.env.PATH ?? ""}`,
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${scratch}`,
    PULUMI_CONFIG_PASSPHRASE: "",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    BENCH_NAMESPACE: `${prefix}-one`,
    ...v.env,
  };
  delete env.PULUMI_NODEJS_TRANSPILE_ONLY;
  if (!v.env?.NODE_COMPILE_CACHE) delete env.NODE_COMPILE_CACHE;
  const pulumi = (...args: string[]) =>
    execFileP("pulumi", args, { cwd: project, env, maxBuffer: 16 << 20 }).catch(
      (e: { stderr?: string; stdout?: string }) => {
        throw new Error(`pulumi ${args.join(" ")} (${v.name}) failed: ${e.stdout ?? ""}${e.stderr ?? ""}`, {
          cause: e,
        });
      },
    );
  try {
    await pulumi("stack", "init", "bench");
    const { seconds } = await timed(() => pulumi("up", "--yes", "--non-interactive"));
    await pulumi("destroy", "--yes", "--non-interactive");
    await pulumi("stack", "rm", "--yes", "--non-interactive");
    return seconds;
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await rm(project, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5);
  const all = variants();
  const prefix = `pnb${randomBytes(2).toString("hex")}`;
  const seconds = new Map(all.map((v) => [v.name, [] as number[]]));
  try {
    // One untimed round warms the disk cache and the compile caches for every variant.
    for (let round = 0; round <= runs; round++) {
      for (const v of all) {
        const s = await once(v, prefix);
        if (round > 0) seconds.get(v.name)?.push(s);
      }
    }
  } finally {
    await rm(compileCache, { recursive: true, force: true });
    const left = await sweep(prefix);
    if (left.length > 0) console.error(`removed leftovers: ${left.join(", ")}`);
  }
  console.log(`pulumi up --yes of one resource, ${runs} runs each (seconds)`);
  console.log("| how the program runs | median | min | max |\n| --- | ---: | ---: | ---: |");
  for (const v of all) {
    const xs = seconds.get(v.name) ?? [];
    const f = (x: number) => x.toFixed(2);
    console.log(`| ${v.name} | ${f(median(xs))} | ${f(Math.min(...xs))} | ${f(Math.max(...xs))} |`);
  }
  const floor = median(seconds.get(all[0]?.name ?? "") ?? []);
  const ours = median(seconds.get(all[1]?.name ?? "") ?? []);
  console.log(
    `one netns.Namespace / toolchain floor: ${(ours / floor).toFixed(2)}x (issue 27's target: <= 1.2x)`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
