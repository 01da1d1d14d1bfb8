// `npm run bench`: the N-host star built side by side by the kernel floor (`ip -batch`), a
// per-step `ip` script, Mininet, pulumi-netns through the real engine, the same graph of no-op
// dynamic resources (the engine's own floor), and pulumi-netns's handlers without the engine.
// Prints a table, writes bench/results/latest.json and latest.md. See docs/BENCHMARKS.md.
import { mkdir, rm, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { directHandlers } from "./direct";
import {
  benchStack,
  ipCallKinds,
  ipCounter,
  measured,
  repoRoot,
  upPreviewRefreshDestroy,
  type StackFigures,
} from "./engine";
import { checkStar, ipBatchFloor, perStepScript } from "./kernelRows";
import { machine, versions } from "./machine";
import { ensureMininet, mininetStar, type MininetStatus } from "./mininet";
import { readOptions, type BenchOptions } from "./options";
import { netnsNames, rootLinkNames, run, sweep } from "./proc";
import { netnsStar, noopStar } from "./programs";
import { growth, markdownTable, Rows, targets, textTable } from "./report";
import { star, uniquePrefix } from "./topology";
import { floorProject, userPathStar, type UserPathFigures } from "./userPath";
import { startMachines, type Machine, type Machines } from "../scripts/machines";

const prefixes = new Set<string>();
/** Machines A and B for the remote row (scripts/machines.ts); everything made on them dies with them. */
let lab: Machines | undefined;

function fresh(): string {
  const p = uniquePrefix();
  prefixes.add(p);
  return p;
}

async function sweepAll(): Promise<void> {
  const machines = lab;
  lab = undefined;
  await machines?.close();
  for (const p of prefixes) {
    const removed = await sweep(p);
    if (removed.length) console.error(`cleanup ${p}: removed ${removed.length} leftovers`);
  }
  const results = join(repoRoot, "bench", "results");
  for (const name of await readdir(results).catch(() => [] as string[])) {
    if (name.startsWith(".work-")) await rm(join(results, name), { recursive: true, force: true });
  }
}

/** Time for the kernel to finish tearing namespaces down before the next row is timed. */
const settle = (n: number) => sleep(Number(process.env.BENCH_SETTLE_MS ?? 1000) + n * 5);

const log = (msg: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function engineRows(r: Rows, id: string, label: string, n: number, f: Pick<StackFigures, Op>): void {
  r.set(`${id}.up`, `${label}: up`, "s", n, f.up.seconds);
  r.set(`${id}.preview`, `${label}: preview (no-op)`, "s", n, f.preview.seconds);
  r.set(`${id}.refresh`, `${label}: refresh`, "s", n, f.refresh.seconds);
  r.set(`${id}.destroy`, `${label}: destroy`, "s", n, f.destroy.seconds);
}

/** examples/star's host 1 pings its host N (untimed): the star the CLI built forwards. */
async function pingAcrossExampleStar(prefix: string, n: number): Promise<void> {
  if (n < 2) return;
  const address = `10.20.${Math.floor(n / 256)}.${n % 256}`;
  await run(["ip", "netns", "exec", `${prefix}-h1`, "ping", "-c", "1", "-W", "3", "-q", address]);
}

/** The same check on machine B, where the remote row built the star. */
async function pingAcrossRemoteStar(b: Machine, prefix: string, n: number): Promise<void> {
  if (n < 2) return;
  const address = `10.20.${Math.floor(n / 256)}.${n % 256}`;
  await b.run("ip", ["netns", "exec", `${prefix}-h1`, "ping", "-c", "1", "-W", "3", "-q", address]);
}

const OPS = ["up", "preview", "refresh", "destroy"] as const;
type Op = (typeof OPS)[number];

/** The star on machine B over SSH, and how much slower than the same star here each operation is. */
function remoteRows(r: Rows, n: number, f: UserPathFigures | null, note?: string, lan = false): void {
  const label = `pulumi CLI, star${lan ? " as one Lan" : ""} on machine B over SSH`;
  const id = lan ? "remoteLan" : "remote";
  for (const op of OPS) {
    const what = op === "preview" ? "preview (no-op)" : op;
    r.set(`${id}.${op}`, `${label}: ${what}`, "s", n, f ? f[op].seconds : null, note);
  }
  for (const op of OPS) {
    const local = r.get(`${lan ? "userLan" : "user"}.${op}`, n);
    const ratio = f && local ? f[op].seconds / local : null;
    r.set(
      `${id}.ratio.${op}`,
      `  ${op} on machine B / here`,
      "x",
      n,
      ratio,
      ratio === null ? note : undefined,
    );
  }
}

/** The star (fine-grained, or as one Lan) on machine B over SSH, next to the same star here. */
async function remoteStar(r: Rows, n: number, lan: boolean): Promise<void> {
  if (!lab) return remoteRows(r, n, null, "skipped (BENCH_SKIP_REMOTE=1)", lan);
  log(`N=${n}: pulumi CLI on the same project, the star${lan ? " as one Lan" : ""} on machine B over SSH`);
  const p = fresh();
  const b = lab.b;
  try {
    const f = await userPathStar(p, n, () => pingAcrossRemoteStar(b, p, n), { machine: b.endpoint, lan });
    remoteRows(r, n, f, undefined, lan);
  } finally {
    await sweep(p);
  }
  await settle(n);
}

/** The headline rows: what `pulumi up` costs a user, and where its CPU goes by process. */
function userRows(r: Rows, n: number, f: UserPathFigures, lan = false): void {
  const label = lan ? "pulumi CLI, TypeScript project, one Lan" : "pulumi CLI, TypeScript project";
  const id = lan ? "userLan" : "user";
  if (lan) {
    engineRows(r, id, label, n, f);
    r.set(`${id}.up.cpu.engine`, "  up CPU: pulumi CLI", "s", n, f.up.sample.engine.cpuSeconds);
    r.set(
      `${id}.up.cpu.provider`,
      "  up CPU: dynamic-provider plugin",
      "s",
      n,
      f.up.sample.provider.cpuSeconds,
    );
    r.set(`${id}.up.cpu.ip`, "  up CPU: ip processes", "s", n, f.up.sample.provider.childCpuSeconds);
    const peakOf = (role: "engine" | "provider") =>
      Math.max(
        ...(["up", "preview", "refresh", "destroy"] as const).map((op) => f[op].sample[role].peakRssMiB),
      );
    r.set(`${id}.engineRss`, `${label}: pulumi CLI peak RSS`, "MiB", n, peakOf("engine"));
    r.set(`${id}.providerRss`, `${label}: plugin peak RSS`, "MiB", n, peakOf("provider"));
    r.set(`${id}.stateBytes`, `${label}: state after up`, "B", n, f.stateBytes);
    return;
  }
  engineRows(r, id, label, n, f);
  const cpu = f.up.sample;
  r.set(
    "user.up.cpu.engine",
    "  up CPU: pulumi CLI (engine, checkpoints, display)",
    "s",
    n,
    cpu.engine.cpuSeconds,
  );
  r.set("user.up.cpu.host", "  up CPU: language host", "s", n, cpu.languageHost.cpuSeconds);
  r.set(
    "user.up.cpu.program",
    "  up CPU: program (Node, TypeScript, @pulumi/pulumi)",
    "s",
    n,
    cpu.program.cpuSeconds,
  );
  r.set("user.up.cpu.provider", "  up CPU: dynamic-provider plugin", "s", n, cpu.provider.cpuSeconds);
  r.set("user.up.cpu.ip", "  up CPU: ip processes", "s", n, cpu.provider.childCpuSeconds);
  const peak = (role: "engine" | "provider") =>
    Math.max(
      ...(["up", "preview", "refresh", "destroy"] as const).map((op) => f[op].sample[role].peakRssMiB),
    );
  r.set("user.engineRss", `${label}: pulumi CLI peak RSS`, "MiB", n, peak("engine"));
  r.set("user.providerRss", `${label}: plugin peak RSS`, "MiB", n, peak("provider"));
  r.set("user.stateBytes", `${label}: state after up`, "B", n, f.stateBytes);
  r.set("user.resources", `${label}: engine resources`, "count", n, f.resources);
}

async function engineStar(
  kind: "netns" | "noop",
  n: number,
  opts: BenchOptions,
  check: boolean,
): Promise<StackFigures> {
  const p = fresh();
  const s = star(p, n);
  const b = await benchStack(`${p}-${kind}`, p, kind === "netns" ? netnsStar(s) : noopStar(s), {
    parallel: opts.parallel,
  });
  try {
    return await upPreviewRefreshDestroy(b, p, check ? () => checkStar(s) : undefined);
  } finally {
    await b.dispose();
    await sweep(p);
  }
}

async function measureSize(
  n: number,
  opts: BenchOptions,
  mn: MininetStatus,
  r: Rows,
  extra: Record<string, unknown>,
) {
  log(`N=${n}: ip -batch floor`);
  {
    const s = star(fresh(), n);
    try {
      const f = await ipBatchFloor(s, true);
      r.set("floor.create", "ip -batch floor: create", "s", n, f.create);
      r.set("floor.delete", "ip -batch floor: delete", "s", n, f.delete);
    } finally {
      await sweep(s.prefix);
    }
  }
  await settle(n);
  log(`N=${n}: per-step ip script`);
  {
    const s = star(fresh(), n);
    try {
      const f = await perStepScript(s, true);
      r.set("perstep.create", "per-step ip script: create", "s", n, f.create);
      r.set("perstep.delete", "per-step ip script: delete", "s", n, f.delete);
      r.set("perstep.ip", "per-step ip script: ip processes", "count", n, f.ipProcesses);
    } finally {
      await sweep(s.prefix);
    }
  }
  await settle(n);
  const mnLabel = "Mininet lxbr: create+teardown";
  if (opts.skipMininet) r.set("mininet", mnLabel, "s", n, null, "skipped (BENCH_SKIP_MININET=1)");
  else if (!mn.available) r.set("mininet", mnLabel, "s", n, null, mn.reason);
  else {
    log(`N=${n}: Mininet`);
    const m = await mininetStar(n);
    r.set("mininet", mnLabel, "s", n, m.seconds ?? null, m.reason);
    await settle(n);
  }
  if (opts.skipEngine) return;
  log(`N=${n}: pulumi CLI on the same project, the star as one Lan`);
  {
    const p = fresh();
    try {
      userRows(r, n, await userPathStar(p, n, () => pingAcrossExampleStar(p, n), { lan: true }), true);
    } finally {
      await sweep(p);
    }
  }
  await settle(n);
  await remoteStar(r, n, true);
  log(`N=${n}: pulumi CLI on one no-op resource holding the Lan's inputs (the toolchain's floor)`);
  {
    const f = await userPathStar(fresh(), n, undefined, {}, floorProject);
    engineRows(r, "userFloor", "toolchain floor, one no-op resource", n, f);
  }
  if (n > opts.fineMax) {
    const skipped = `skipped above BENCH_FINE_MAX=${opts.fineMax}`;
    r.set("user.up", "pulumi CLI, TypeScript project: up", "s", n, null, skipped);
    r.set("netns.up", "pulumi-netns (Automation API, inline): up", "s", n, null, skipped);
    r.set("direct.create", "pulumi-netns handlers, no engine: create", "s", n, null, skipped);
    return;
  }
  log(`N=${n}: pulumi CLI on the TypeScript project (the user's path)`);
  {
    const p = fresh();
    try {
      userRows(r, n, await userPathStar(p, n, () => pingAcrossExampleStar(p, n)));
    } finally {
      await sweep(p);
    }
  }
  await settle(n);
  await remoteStar(r, n, false);
  if (opts.headlineOnly) return;
  log(`N=${n}: pulumi-netns through the engine`);
  const ours = await engineStar("netns", n, opts, true);
  engineRows(r, "netns", "pulumi-netns (Automation API, inline)", n, ours);
  await settle(n);
  log(`N=${n}: no-op dynamic resources through the engine`);
  const floor = await engineStar("noop", n, opts, false);
  engineRows(r, "noop", "no-op engine floor", n, floor);
  await settle(n);
  log(`N=${n}: pulumi-netns handlers without the engine`);
  {
    const s = star(fresh(), n);
    try {
      const d = await directHandlers(s, opts.parallel ?? 8);
      r.set("direct.create", "pulumi-netns handlers, no engine: create", "s", n, d.create);
      r.set("direct.read", "pulumi-netns handlers, no engine: read", "s", n, d.read);
      r.set("direct.delete", "pulumi-netns handlers, no engine: delete", "s", n, d.delete);
    } finally {
      await sweep(s.prefix);
    }
  }
  for (const op of ["up", "preview", "refresh", "destroy"] as const) {
    const a = ours[op].seconds;
    const b = floor[op].seconds;
    r.set(`above.${op}`, `pulumi-netns above the floor: ${op}`, "%", n, (a / b - 1) * 100);
  }
  r.set("netns.stateBytes", "pulumi-netns: state after up", "B", n, ours.stateBytes);
  r.set("noop.stateBytes", "no-op floor: state after up", "B", n, floor.stateBytes);
  r.set(
    "netns.providerBytes",
    "pulumi-netns: __provider per resource",
    "B",
    n,
    ours.providerBytesPerResource,
  );
  r.set("noop.providerBytes", "no-op floor: __provider per resource", "B", n, floor.providerBytesPerResource);
  const peak = (f: StackFigures, role: "provider" | "engine") =>
    Math.max(
      ...(["up", "preview", "refresh", "destroy"] as const).map((op) => f[op].sample[role].peakRssMiB),
    );
  r.set("netns.providerRss", "pulumi-netns: provider peak RSS", "MiB", n, peak(ours, "provider"));
  r.set("noop.providerRss", "no-op floor: provider peak RSS", "MiB", n, peak(floor, "provider"));
  r.set("netns.engineRss", "pulumi-netns: pulumi CLI peak RSS", "MiB", n, peak(ours, "engine"));
  r.set("netns.up.providerCpu", "pulumi-netns up: provider CPU", "s", n, ours.up.sample.provider.cpuSeconds);
  r.set(
    "netns.up.ipCpu",
    "pulumi-netns up: CPU of provider's children (ip)",
    "s",
    n,
    ours.up.sample.provider.childCpuSeconds,
  );
  r.set("netns.up.engineCpu", "pulumi-netns up: pulumi CLI CPU", "s", n, ours.up.sample.engine.cpuSeconds);
  r.set("noop.up.providerCpu", "no-op floor up: provider CPU", "s", n, floor.up.sample.provider.cpuSeconds);
  r.set("noop.up.engineCpu", "no-op floor up: pulumi CLI CPU", "s", n, floor.up.sample.engine.cpuSeconds);
  extra[`n${n}`] = { netns: ours, noop: floor };
}

/** One untimed up/refresh/destroy with `ip` wrapped to count its processes. */
async function countIp(n: number, opts: BenchOptions) {
  const counter = await ipCounter();
  const p = fresh();
  const s = star(p, n);
  const b = await benchStack(`${p}-ipcount`, p, netnsStar(s), {
    parallel: opts.parallel,
    pathPrefix: counter.dir,
  });
  const phases: Record<string, { total: number; perResource: number; byKind: Record<string, number> }> = {};
  const resources = 2 * n + 2;
  try {
    for (const [phase, op] of [
      ["up", () => b.stack.up()],
      ["preview", () => b.stack.preview()],
      ["refresh", () => b.stack.refresh()],
      ["destroy", () => b.stack.destroy()],
    ] as const) {
      await writeFile(counter.log, "");
      await measured(p, op);
      const c = await ipCallKinds(counter.log);
      phases[phase] = { ...c, perResource: c.total / resources };
    }
    b.markDestroyed();
  } finally {
    await b.dispose();
    await sweep(p);
    await counter.dispose();
  }
  return { n, resources, phases };
}

async function main(): Promise<void> {
  const resultsDir = join(repoRoot, "bench", "results");
  const opts = readOptions(process.argv.slice(2), process.env, resultsDir);
  if (process.getuid?.() !== 0) throw new Error("the bench creates namespaces: run it as root");
  await mkdir(resultsDir, { recursive: true });
  const onSignal = (sig: NodeJS.Signals) => {
    log(`${sig}: cleaning up`);
    void sweepAll().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const netnsBefore = (await netnsNames()).length;
  const linksBefore = (await rootLinkNames()).length;
  const started = new Date();
  const m = await machine();
  const mn: MininetStatus = opts.skipMininet
    ? { available: false, reason: "skipped (BENCH_SKIP_MININET=1)" }
    : await ensureMininet(opts.installMininet);
  const v = await versions(repoRoot);
  log(`sizes ${opts.sizes.join(",")} on ${m.nproc} CPUs (${m.cpuModel}), load ${m.loadAverageAtStart}`);

  const r = new Rows();
  const extra: Record<string, unknown> = {};
  let ipCount: unknown = undefined;
  try {
    if (!opts.skipEngine && !opts.skipRemote) {
      log("starting machines A and B (sshd in namespaces of their own) for the remote row");
      // 10.234/16: apart from the test tiers' machines (10.231, 10.232).
      lab = await startMachines(fresh(), 234);
    }
    for (const n of opts.sizes) await measureSize(n, opts, mn, r, extra);
    if (opts.countIp && !opts.skipEngine) {
      const n = Math.min(...opts.sizes);
      log(`N=${n}: counting ip processes (untimed)`);
      ipCount = await countIp(n, opts);
    }
  } finally {
    await sweepAll();
  }

  const g = growth(r.rows, opts.sizes);
  const t = targets(r, opts.sizes);
  const table = textTable(r.rows, opts.sizes);
  console.log(table);
  console.log("");
  for (const x of g) {
    console.log(
      `growth ${x.id}: x${x.perTenX.toFixed(1)} per 10x N, local exponent ${x.localExponent.toFixed(2)}${x.superLinear ? "  SUPER-LINEAR" : ""}`,
    );
  }
  console.log("");
  for (const x of t)
    console.log(
      `target at N=${x.n}: ${x.name}: ${x.met === null ? "n/a" : x.met ? "MET" : "MISSED"} (${x.detail})`,
    );
  if (ipCount) console.log(`\nip processes: ${JSON.stringify(ipCount)}`);

  const result = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: m,
    versions: v,
    options: { ...opts, resultsDir: undefined },
    mininet: mn,
    sizes: opts.sizes,
    rows: r.rows,
    growth: g,
    targets: t,
    ipProcesses: ipCount,
    engineDetail: extra,
  };
  await writeFile(join(resultsDir, "latest.json"), JSON.stringify(result, null, 2) + "\n");
  const md = [
    `Run ${started.toISOString()}, ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, kernel ${m.kernel}, ` +
      `load at start ${m.loadAverageAtStart}.`,
    "",
    markdownTable(r.rows, opts.sizes),
    "",
    ...t.map(
      (x) => `- N=${x.n} ${x.name}: **${x.met === null ? "n/a" : x.met ? "met" : "missed"}** (${x.detail})`,
    ),
    "",
    ...g.map(
      (x) =>
        `- ${x.id}: x${x.perTenX.toFixed(1)} per 10x N, local exponent ${x.localExponent.toFixed(2)}${x.superLinear ? " (super-linear)" : ""}`,
    ),
  ].join("\n");
  await writeFile(join(resultsDir, "latest.md"), md + "\n");
  log(`wrote bench/results/latest.json and latest.md`);

  const netnsAfter = (await netnsNames()).filter((x) => [...prefixes].some((p) => x.startsWith(p)));
  const linksAfter = (await rootLinkNames()).filter((x) => [...prefixes].some((p) => x.startsWith(p)));
  if (netnsAfter.length || linksAfter.length) {
    throw new Error(`leftovers after the run: ${[...netnsAfter, ...linksAfter].join(", ")}`);
  }
  log(`clean: ${netnsBefore} namespaces and ${linksBefore} root links before; none of ours left`);
}

main().catch(async (e) => {
  console.error(e);
  await sweepAll().catch(() => undefined);
  process.exit(1);
});
