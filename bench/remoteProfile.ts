// `node dist/bench/remoteProfile.js [N]`: what another machine costs pulumi-netns's own code.
// Runs the provider's handlers for the N-star in this process (as bench/direct.ts) twice: on this
// machine, then on machine B over SSH (scripts/machines.ts), and counts the commands each
// operation sends over the connection, by kind. Diagnostic only; run it inside /work/bin/isolated.
import { startMachines } from "../scripts/machines";
import { directHandlers } from "./direct";
import { sweep } from "./proc";
import { star, uniquePrefix } from "./topology";

// The same module instance the provider uses (the package's self-link resolves to dist/).
const sshModule = require("../provider/kernel/ssh") as {
  SshHost: { prototype: Record<string, unknown> };
  closeSshHosts(): void;
};

/**
 * `ip -n NS -j link show DEV` → `ip link show`; `sh -c SCRIPT` → `sh: ` and the script's first
 * words; any other program by its name alone (its arguments are paths).
 */
export function commandKind(argv: readonly string[]): string {
  const [file = "", ...args] = argv;
  if (file === "sh" && args[0] === "-c")
    return `sh: ${(args[1] ?? "").split(/[;&|]/)[0]?.trim().slice(0, 40)}`;
  if (file !== "ip" && file !== "tc") return file;
  const words = [file];
  for (let i = 0; i < args.length && words.length < 3; i++) {
    const w = args[i] as string;
    if (w === "-n" || w === "-netns") i++;
    else if (!w.startsWith("-") || w === "-batch") words.push(w);
  }
  return words.join(" ");
}

const counts = new Map<string, number>();

function countRemoteCommands(): void {
  const proto = sshModule.SshHost.prototype;
  const once = proto.once as (this: unknown, argv: readonly string[], ...rest: unknown[]) => Promise<unknown>;
  proto.once = function (this: unknown, argv: readonly string[], ...rest: unknown[]) {
    const k = commandKind(argv);
    counts.set(k, (counts.get(k) ?? 0) + 1);
    return once.call(this, argv, ...rest);
  };
}

const fmt = (d: { create: number; read: number; delete: number }) =>
  `create ${d.create.toFixed(2)} s, read ${d.read.toFixed(2)} s, delete ${d.delete.toFixed(2)} s`;

async function main() {
  const n = Number(process.argv[2] ?? 50);
  const parallel = Number(process.env.BENCH_PARALLEL ?? 8);
  countRemoteCommands();
  const p = uniquePrefix();
  let local;
  try {
    local = await directHandlers(star(p, n), parallel);
  } finally {
    await sweep(p);
  }
  const machines = await startMachines(p, 233);
  try {
    const remote = await directHandlers(star(p, n), parallel, { ...machines.b.endpoint });
    const total = (d: typeof local) => d.create + d.read + d.delete;
    console.log(`N=${n} parallel ${parallel}, handlers only`);
    console.log(`  local:  ${fmt(local)}`);
    console.log(`  remote: ${fmt(remote)}`);
    console.log(`  remote/local: ${(total(remote) / total(local)).toFixed(2)}`);
    const all = [...counts.values()].reduce((a, b) => a + b, 0);
    console.log(`  ${all} commands over SSH for ${2 * n + 2} resources (create+read+delete):`);
    for (const [k, c] of [...counts].sort((a, b) => b[1] - a[1])) {
      console.log(`    ${String(c).padStart(6)}  ${k}`);
    }
  } finally {
    sshModule.closeSshHosts();
    await machines.close();
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
