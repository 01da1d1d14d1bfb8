// `node dist/bench/profile.js [N]`: where pulumi-netns's own time goes, without the engine.
// Runs the provider's handlers for the N-star in this process (as bench/direct.ts) with every
// `ip` call timed by kind, and compares the cost of one spawn through execa and through
// child_process.execFile. Diagnostic only: wrapping adds nothing measurable, but the figures are
// latencies under `parallel` concurrency, not CPU.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { directHandlers } from "./direct";
import { sweep, timed } from "./proc";
import { star, uniquePrefix } from "./topology";

// The same module instance the provider uses (the package's self-link resolves to dist/).
const ipModule = require("../provider/kernel/ip") as { Ip: { prototype: Record<string, unknown> } };

interface Stat {
  count: number;
  seconds: number;
}

function kindOf(argv: readonly string[]): string {
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i] as string;
    if (w === "-n") i++;
    else if (!w.startsWith("-") || w === "-batch") words.push(w);
  }
  if (words[1] === "-batch") return "ip -batch";
  if (words[1] === "netns" && words[2] === "exec") return `ip netns exec .. ${words[4] ?? ""}`;
  return words.slice(0, 3).join(" ");
}

async function spawnCost(samples: number) {
  const { execa } = await import("execa");
  const execFileP = promisify(execFile);
  const args = ["-j", "link", "show", "dev", "lo"];
  const a = await timed(async () => {
    for (let i = 0; i < samples; i++)
      await execa("ip", args, { reject: false, env: { LC_ALL: "C" }, stdin: "ignore" });
  });
  const b = await timed(async () => {
    for (let i = 0; i < samples; i++) await execFileP("ip", args, { env: { ...process.env, LC_ALL: "C" } });
  });
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < samples; i++)
    await execa("ip", args, { reject: false, env: { LC_ALL: "C" }, stdin: "ignore" });
  const cpu1 = process.cpuUsage(cpu0);
  for (let i = 0; i < samples; i++) await execFileP("ip", args, { env: { ...process.env, LC_ALL: "C" } });
  const cpu2 = process.cpuUsage(cpu0);
  const ms = (x: number) => ((x / samples) * 1000).toFixed(2);
  const us = (c: NodeJS.CpuUsage) => c.user + c.system;
  console.log(
    `one sequential spawn of \`ip -j link show dev lo\`: execa ${ms(a.seconds)} ms wall, ` +
      `${(us(cpu1) / samples / 1000).toFixed(2)} ms node CPU; execFile ${ms(b.seconds)} ms wall, ` +
      `${((us(cpu2) - us(cpu1)) / samples / 1000).toFixed(2)} ms node CPU`,
  );
}

async function main() {
  const n = Number(process.argv[2] ?? 100);
  const parallel = Number(process.env.BENCH_PARALLEL ?? 8);
  const stats = new Map<string, Stat>();
  const proto = ipModule.Ip.prototype;
  const exec = proto.exec as (this: unknown, argv: readonly string[], ...rest: unknown[]) => Promise<unknown>;
  proto.exec = async function (this: unknown, argv: readonly string[], ...rest: unknown[]) {
    const start = process.hrtime.bigint();
    try {
      return await exec.call(this, argv, ...rest);
    } finally {
      const k = kindOf(argv);
      const s = stats.get(k) ?? { count: 0, seconds: 0 };
      s.count++;
      s.seconds += Number(process.hrtime.bigint() - start) / 1e9;
      stats.set(k, s);
    }
  };
  await spawnCost(100);
  const p = uniquePrefix();
  const cpu0 = process.cpuUsage();
  try {
    const d = await directHandlers(star(p, n), parallel);
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `N=${n} parallel ${parallel}: create ${d.create.toFixed(2)} s, read ${d.read.toFixed(2)} s, delete ${d.delete.toFixed(2)} s; ` +
        `node CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`,
    );
  } finally {
    await sweep(p);
  }
  const rows = [...stats].sort((a, b) => b[1].seconds - a[1].seconds);
  for (const [k, s] of rows) {
    console.log(
      `${k.padEnd(40)} ${String(s.count).padStart(6)} calls  ${((s.seconds / s.count) * 1000).toFixed(1).padStart(7)} ms mean latency`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
