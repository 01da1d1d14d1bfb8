// Each example's README, run as written: its `readme-command: run` block, in the example's
// directory, in a fresh shell that has only the system PATH (so the block's own
// `. ../../scripts/env.sh` must bring node and pulumi), through the real CLI. The output must
// contain, in order, the lines of its `readme-output: run` block. A README that drifts from the
// code fails here.
//
// The commands use the examples' default names (`h1`, `router`, `net0`...), which a user would,
// so each run is sealed off: a private mount namespace gives it its own /run/netns and
// /run/pulumi-netns (so its namespaces are invisible to, and cannot collide with, the host's or
// another test's), a private network namespace, and an overlay on the example's directory
// (so its `.pulumi/` state and `Pulumi.dev.yaml` never touch a stack the user keeps there). When
// the run ends, even killed, the kernel frees every namespace it made.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { pluginCache, repoRoot } from "../helpers/engine";
import { missingLines, readmeBlock } from "../helpers/readme";
import { requireRoot } from "../helpers/root";

const examples = [
  "two-hosts-bridge",
  "router",
  "vm-tap",
  "star",
  "iperf",
  "dhcp",
  "vxlan-overlay",
  "shaped-link",
  "macvlan",
  "two-machines",
  "bgp",
];

/** What a login shell on a fresh Debian machine has; everything else must come from env.sh. */
const systemPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Runs inside `unshare --mount --net`. The README's commands run in their own `bash -euo
// pipefail`, as .ci/run runs the root README's; if they fail, what their stacks still hold is
// destroyed. Whatever is left in the sandbox afterwards is written to $SCRATCH/leftovers.
const sandboxScript = String.raw`
set -uo pipefail
exec 2>&1
sandbox_failed() { echo "readme sandbox: $*"; exit 90; }
mount -t overlay pnt-readme -o "lowerdir=$EXAMPLE,upperdir=$SCRATCH/upper,workdir=$SCRATCH/work" "$EXAMPLE" ||
  sandbox_failed "cannot mount an overlay on $EXAMPLE"
# FRR's per-instance paths (examples/bgp): its config and its sockets, private to the run too.
for dir in /run/netns /run/pulumi-netns /run/frr /etc/frr; do
  mkdir -p "$dir" && mount -t tmpfs pnt-readme "$dir" || sandbox_failed "cannot mount a tmpfs on $dir"
done
# The engine talks to its plugins over 127.0.0.1.
ip link set lo up || sandbox_failed "cannot bring lo up"
cd "$EXAMPLE"
bash -euo pipefail -c "$COMMANDS"
status=$?
if [ "$status" != 0 ]; then
  echo "==> the README's commands failed (exit $status): destroying and removing their stacks"
  (
    . ../../scripts/env.sh
    for stack in $(pulumi stack ls --json | node -e 'for (const s of JSON.parse(require("fs").readFileSync(0, "utf8"))) console.log(s.name)'); do
      pulumi destroy --yes --stack "$stack" >/dev/null
      pulumi stack rm --yes --force --stack "$stack" >/dev/null
    done
  ) || echo "==> the cleanup failed too; the sandbox's end removes the kernel objects"
fi
{
  ip netns list | sed 's/^/namespace /'
  ip -o link show | awk -F': ' '$2 != "lo" { print "link " $2 }'
} >"$SCRATCH/leftovers"
exit "$status"
`;

interface Run {
  readonly status: number | null;
  readonly output: string;
  readonly leftovers: string[];
  /** Files the run left in the example's directory that git does not ignore. */
  readonly unignored: string[];
}

/** Files, symlinks and whiteouts (deletions) in an overlay's upper directory, relative to it. */
async function changedPaths(upper: string): Promise<string[]> {
  const entries = await fs.readdir(upper, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(upper, path.join(e.parentPath, e.name)));
}

function notIgnoredByGit(paths: string[]): string[] {
  if (paths.length === 0) return [];
  const result = spawnSync("git", ["-C", repoRoot, "check-ignore", "--stdin"], {
    input: paths.join("\n") + "\n",
    encoding: "utf8",
  });
  // Exit 1: none of them is ignored. Tracked files are never reported as ignored.
  if (result.status !== 0 && result.status !== 1)
    throw new Error(`git check-ignore failed: ${result.stderr}`);
  const ignored = new Set(result.stdout.split("\n"));
  return paths.filter((p) => !ignored.has(p));
}

async function runReadme(example: string, commands: string, signal: AbortSignal): Promise<Run> {
  const dir = path.join(repoRoot, "examples", example);
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), `pnt-readme-${example}-`));
  try {
    for (const sub of ["upper", "work", "home"]) await fs.mkdir(path.join(scratch, sub));
    // Its plugins are the machine's: setup installed the command plugin there, as on a fresh machine.
    await fs.symlink(pluginCache(), path.join(scratch, "home", "plugins"));
    const env: Record<string, string> = {
      PATH: systemPath,
      HOME: process.env.HOME ?? "/root",
      LANG: "C.UTF-8",
      // A Pulumi home of its own (no login, no stacks of the user's), with the machine's plugins.
      PULUMI_HOME: path.join(scratch, "home"),
      EXAMPLE: dir,
      SCRATCH: scratch,
      COMMANDS: commands,
    };
    // Where scripts/setup put the tools, when not the default.
    if (process.env.PULUMI_NETNS_CACHE) env.PULUMI_NETNS_CACHE = process.env.PULUMI_NETNS_CACHE;

    const child = spawn("unshare", ["--mount", "--net", "bash", "-c", sandboxScript], {
      env,
      detached: true, // its own process group, so an abort kills pulumi and its plugins too
      stdio: ["ignore", "pipe", "inherit"],
    });
    const kill = () => child.pid && process.kill(-child.pid, "SIGKILL");
    signal.addEventListener("abort", kill, { once: true });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const status = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    });
    signal.removeEventListener("abort", kill);

    const leftovers = (await fs.readFile(path.join(scratch, "leftovers"), "utf8").catch(() => ""))
      .split("\n")
      .filter(Boolean);
    const changed = (await changedPaths(path.join(scratch, "upper"))).map((p) =>
      path.join("examples", example, p),
    );
    return { status, output, leftovers, unignored: notIgnoredByGit(changed) };
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

const tail = (output: string) => output.split("\n").slice(-60).join("\n");

describe("every example's README, run as written", { concurrency: false }, () => {
  for (const example of examples) {
    test(example, { timeout: 15 * 60_000 }, async (t) => {
      if (!requireRoot(t)) return;
      const readme = await fs.readFile(path.join(repoRoot, "examples", example, "README.md"), "utf8");
      const commands = readmeBlock(readme, "command", "run");
      const expected = readmeBlock(readme, "output", "run");
      assert.ok(commands, `examples/${example}/README.md has no <!-- readme-command: run --> block`);
      assert.ok(expected, `examples/${example}/README.md has no <!-- readme-output: run --> block`);

      const run = await runReadme(example, commands, t.signal);
      assert.equal(run.status, 0, `the README's commands failed:\n${tail(run.output)}`);
      assert.deepEqual(run.leftovers, [], "the README's commands left kernel objects behind");
      assert.deepEqual(run.unignored, [], "the README's commands left files git does not ignore");
      const missing = missingLines(expected, run.output);
      assert.ok(
        missing.length === 0,
        `the README shows lines the commands did not print (in that order):\n  ${missing.join("\n  ")}\n` +
          `the output ended with:\n${tail(run.output)}`,
      );
    });
  }
});
