// Mininet from Debian as a baseline: `mn --topo single,N --switch lxbr --controller none --test none`
// builds the same star (hosts in unnamed namespaces, a Linux bridge `s1` in the root namespace)
// and tears it down.
//
// `mn -c` is deliberately never run: it kills processes by broad name (`killall`, `pkill -f`),
// deletes every root-namespace link matching `*-eth*` and removes /tmp/*.log and /tmp/*.out,
// which would hit other work on a shared machine. Instead the run is refused if Mininet's fixed
// names already exist, and whatever it leaves is removed by name afterwards.
import { spawn } from "node:child_process";
import { run, rootLinkNames, timed } from "./proc";

const MININET_NAME = /^(s1|s1-eth\d+|h\d+-eth\d+)$/;

export interface MininetStatus {
  readonly available: boolean;
  readonly version?: string;
  /** Why the row is empty, when it is. */
  readonly reason?: string;
}

async function has(command: string): Promise<boolean> {
  return run(["sh", "-c", `command -v ${command}`]).then(
    () => true,
    () => false,
  );
}

/** Finds `mn` and `brctl` (lxbr needs bridge-utils), installing them from Debian if allowed. */
export async function ensureMininet(install: boolean): Promise<MininetStatus> {
  if (!((await has("mn")) && (await has("brctl")))) {
    if (!install) return { available: false, reason: "mn or brctl missing and BENCH_INSTALL_MININET=0" };
    const policy = (await run(["apt-cache", "policy", "mininet"]).catch(() => ({ stdout: "" }))).stdout;
    if (!/Candidate: (?!\(none\))\S+/.test(policy)) {
      return { available: false, reason: "no mininet package candidate in apt (apt-cache policy mininet)" };
    }
    try {
      // lxbr needs no Open vSwitch: --no-install-recommends keeps openvswitch-switch out.
      await run(["apt-get", "install", "-y", "--no-install-recommends", "mininet", "bridge-utils"]);
    } catch (e) {
      return {
        available: false,
        reason: `apt-get install mininet bridge-utils failed: ${String(e).slice(0, 300)}`,
      };
    }
  }
  const version = (await run(["mn", "--version"]).catch(() => ({ stdout: "?" }))).stdout.trim();
  return { available: true, version };
}

async function mininetLinks(): Promise<string[]> {
  return (await rootLinkNames()).filter((n) => MININET_NAME.test(n));
}

/** Runs mn in its own process group; on timeout kills that group (only what this run started). */
function runMn(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("mn", args, { stdio: ["ignore", "pipe", "pipe"], detached: true, cwd: "/tmp" });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Seconds for one create+teardown, or the reason there is none. */
export async function mininetStar(n: number): Promise<{ seconds?: number; reason?: string }> {
  const before = await mininetLinks();
  if (before.length > 0) {
    return {
      reason: `links with Mininet's fixed names already exist (${before.slice(0, 5).join(", ")}); not touching them`,
    };
  }
  try {
    const { seconds, value } = await timed(() =>
      runMn(["--topo", `single,${n}`, "--switch", "lxbr", "--controller", "none", "--test", "none"], 600_000),
    );
    if (value.code !== 0 || !value.output.includes("*** Done")) {
      return { reason: `mn exited ${value.code}: ${value.output.trim().split("\n").slice(-3).join(" | ")}` };
    }
    return { seconds };
  } finally {
    for (const name of await mininetLinks())
      await run(["ip", "link", "delete", "dev", name]).catch(() => undefined);
  }
}
