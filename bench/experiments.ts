// `node dist/bench/experiments.js [N]`: where the engine's time goes. Runs the pulumi-netns star
// and the no-op floor at one size under engine settings (--parallel, checkpoint switches of the
// 3.276 CLI) and prints seconds per operation. Writes bench/results/experiments.json.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { benchStack, repoRoot, upPreviewRefreshDestroy, type EngineSettings } from "./engine";
import { sweep } from "./proc";
import { netnsStar, noopStar } from "./programs";
import { star, uniquePrefix } from "./topology";

interface Variant {
  readonly name: string;
  readonly settings: EngineSettings;
}

const VARIANTS: readonly Variant[] = [
  { name: "default (--parallel 8)", settings: {} },
  { name: "--parallel 2", settings: { parallel: 2 } },
  { name: "--parallel 32", settings: { parallel: 32 } },
  { name: "PULUMI_SKIP_CHECKPOINTS=true", settings: { env: { PULUMI_SKIP_CHECKPOINTS: "true" } } },
  {
    name: "PULUMI_SKIP_CHECKPOINTS=true --parallel 32",
    settings: { parallel: 32, env: { PULUMI_SKIP_CHECKPOINTS: "true" } },
  },
  {
    name: "PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS=true",
    settings: { env: { PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS: "true" } },
  },
];

async function main() {
  const n = Number(process.argv[2] ?? process.env.BENCH_EXPERIMENT_N ?? 50);
  const only = process.env.BENCH_VARIANTS?.split(",").map(Number);
  const kinds = (process.env.BENCH_KINDS ?? "netns,noop").split(",") as ("netns" | "noop")[];
  const results: Record<string, unknown>[] = [];
  const prefixes: string[] = [];
  try {
    for (const [i, v] of VARIANTS.entries()) {
      if (only && !only.includes(i)) continue;
      for (const kind of kinds) {
        const p = uniquePrefix();
        prefixes.push(p);
        const s = star(p, n);
        const b = await benchStack(
          `${p}-${kind}`,
          p,
          { netns: netnsStar, noop: noopStar }[kind](s),
          v.settings,
        );
        try {
          const f = await upPreviewRefreshDestroy(b, p);
          const row = {
            variant: v.name,
            kind,
            n,
            up: f.up.seconds,
            preview: f.preview.seconds,
            refresh: f.refresh.seconds,
            destroy: f.destroy.seconds,
            upEngineCpu: f.up.sample.engine.cpuSeconds,
            upProviderCpu: f.up.sample.provider.cpuSeconds,
            upIpCpu: f.up.sample.provider.childCpuSeconds,
            stateBytes: f.stateBytes,
          };
          results.push(row);
          console.log(
            `${v.name.padEnd(52)} ${kind.padEnd(6)} up ${row.up.toFixed(2)}  preview ${row.preview.toFixed(2)}  ` +
              `refresh ${row.refresh.toFixed(2)}  destroy ${row.destroy.toFixed(2)}  ` +
              `cpu engine ${row.upEngineCpu.toFixed(2)} provider ${row.upProviderCpu.toFixed(2)} ip ${row.upIpCpu.toFixed(2)}`,
          );
        } finally {
          await b.dispose();
          await sweep(p);
        }
        await sleep(1000);
      }
    }
  } finally {
    for (const p of prefixes) await sweep(p);
  }
  await writeFile(
    join(repoRoot, "bench", "results", "experiments.json"),
    JSON.stringify(results, null, 2) + "\n",
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
