// Helpers for the reliability tier: leak checks, killing the engine's process tree, clearing an
// interrupted operation from a stack, pings between test namespaces, and printed figures.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import * as path from "node:path";
import type { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { NETNS_MARK_DIR } from "../../provider/kernel/netns";
import { ipJson, namespaceNames } from "./readback";

/** What a prefix still has in the kernel and under /run/pulumi-netns/netns. */
export interface Leftovers {
  readonly namespaces: string[];
  readonly links: string[];
  readonly records: string[];
}

export function leftovers(prefix: string): Leftovers {
  let records: string[];
  try {
    records = readdirSync(NETNS_MARK_DIR).filter((n) => n.startsWith(prefix));
  } catch {
    records = [];
  }
  return {
    namespaces: namespaceNames().filter((n) => n.startsWith(prefix)),
    links: ipJson<{ ifname: string }[]>(["link", "show"])
      .map((l) => l.ifname)
      .filter((n) => n.startsWith(prefix)),
    records,
  };
}

const leakTotals = { checks: 0, leaks: 0 };

/**
 * The leak check every reliability file runs in `after`: no namespace, host link or namespace
 * record with one of `prefixes` remains. Removes what it finds (so one failure does not poison the
 * next file) and then fails, naming it.
 */
export function assertNoLeaks(...prefixes: string[]): void {
  const found = prefixes.map((p) => ({ p, l: leftovers(p) }));
  const count = found.reduce((n, { l }) => n + l.namespaces.length + l.links.length + l.records.length, 0);
  leakTotals.checks += prefixes.length;
  leakTotals.leaks += count;
  if (count > 0) for (const { p } of found) scrub(p);
  figure(`leaks ${count} (prefixes ${prefixes.join(",")})`);
  assert.deepEqual(
    found.filter(({ l }) => l.namespaces.length + l.links.length + l.records.length > 0),
    [],
    "the test left objects behind",
  );
}

/** Removes everything a prefix has (namespaces, host links, records): cleanup after a failure. */
export function scrub(prefix: string): void {
  for (const n of namespaceNames()) if (n.startsWith(prefix)) tryIp(["netns", "delete", n]);
  for (const l of ipJson<{ ifname: string }[]>(["link", "show"]))
    if (l.ifname.startsWith(prefix)) tryIp(["link", "delete", "dev", l.ifname]);
  try {
    for (const r of readdirSync(NETNS_MARK_DIR)) {
      if (r.startsWith(prefix)) execFileSync("rm", ["-f", `${NETNS_MARK_DIR}/${r}`]);
    }
  } catch {
    // no record directory: nothing to remove
  }
}

function tryIp(args: string[]): void {
  try {
    execFileSync("ip", args, { stdio: "ignore" });
  } catch {
    // already gone
  }
}

/** Prints one figure line; the suite's summary is the set of these lines. */
export function figure(text: string): void {
  console.log(`figure: ${text}`);
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Parent pid of every process, read from /proc/<pid>/stat (the comm field may hold blanks). */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      map.set(Number(entry), Number(rest[1]));
    } catch {
      // exited while we looked
    }
  }
  return map;
}

/** Every descendant of `root` (children, their children, ...). */
export function descendants(root: number = process.pid): number[] {
  const ppid = parents();
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const p = queue.shift()!;
    for (const [pid, parent] of ppid) {
      if (parent === p && !found.includes(pid)) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

/** The command line of a process, or "" when it has gone. */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

/**
 * The `pulumi` engine process running an operation on stack `stackName` (a descendant of this
 * test process, found by its `--stack` argument), or undefined when none runs.
 */
export function engineProcess(stackName: string): number | undefined {
  return descendants().find((pid) => {
    const argv = cmdline(pid).split(" ");
    return /(^|\/)pulumi$/.test(argv[0] ?? "") && argv.includes(stackName);
  });
}

/** The session id of a process (/proc/PID/stat field 6), or undefined when it has gone. */
export function sessionOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
  } catch {
    return undefined;
  }
}

/** Whether a process is stopped (state T): a provider that reached its failpoint. */
export function isStopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("T");
  } catch {
    return false;
  }
}

export interface KillOptions {
  /**
   * Leave alone the descendants in another session than `root`'s: a Service's daemon, which its
   * start puts in a session of its own and which a crash of the engine and its plugins does not
   * take with it (the kernel reparents it).
   */
  readonly spareOtherSessions?: boolean;
}

/**
 * SIGKILLs `root` and the tree below it (for the engine: its language host and dynamic-provider
 * plugins, and any `ip` they run). First SIGSTOP until no new process appears, so nothing reacts
 * to its parent dying, then SIGKILL. Returns the command lines it killed.
 */
export function killTree(root: number, options: KillOptions = {}): string[] {
  const session = sessionOf(root);
  const spared = (pid: number) => options.spareOtherSessions === true && sessionOf(pid) !== session;
  const stopped = new Set<number>();
  const stop = (pid: number) => {
    try {
      process.kill(pid, "SIGSTOP");
    } catch {
      // already exited
    }
    stopped.add(pid);
  };
  stop(root);
  for (let round = 0; round < 20; round++) {
    const fresh = descendants(root).filter((p) => !stopped.has(p) && !spared(p));
    if (fresh.length === 0) break;
    fresh.forEach(stop);
  }
  const killed = [...stopped].map((pid) => cmdline(pid));
  for (const pid of stopped) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already exited
    }
  }
  return killed;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Stacks after an interruption

/**
 * Makes a stack usable again after its engine was killed: removes the backend's lock (`pulumi
 * cancel` does that for a file backend), drops pending operations and refreshes. This is what
 * docs/RELIABILITY.md tells users to do.
 */
export async function recoverStack(stack: Stack): Promise<{ pendingCleared: number; restored: boolean }> {
  const restored = restoreTruncatedCheckpoint(stack);
  try {
    await stack.cancel();
  } catch {
    // no update in progress, or the backend has no lock to remove
  }
  const deployment = await stack.exportStack();
  const pending = (deployment.deployment as { pending_operations?: unknown[] }).pending_operations ?? [];
  await stack.refresh({ clearPendingCreates: true, onOutput: () => undefined });
  return { pendingCleared: pending.length, restored };
}

/**
 * A killed engine can leave the file backend's state unreadable, `failed to load checkpoint:
 * EOF`: the blob library writes the sidecar `<stack>.json.attrs` (content type only) without a
 * rename, so a kill can leave it empty. Without the sidecar the state loads fine, so an empty one
 * is removed; an empty `<stack>.json` is put back from `<stack>.json.bak`. True when it repaired.
 */
export function restoreTruncatedCheckpoint(stack: Stack): boolean {
  const url = (stack.workspace as LocalWorkspace).envVars?.PULUMI_BACKEND_URL ?? "";
  if (!url.startsWith("file://")) return false;
  const dir = path.join(url.slice("file://".length), ".pulumi", "stacks");
  if (!existsSync(dir)) return false;
  let repaired = false;
  for (const project of readdirSync(dir)) {
    const file = path.join(dir, project, `${stack.name}.json`);
    for (const sidecar of [`${file}.attrs`, `${file}.bak.attrs`]) {
      if (existsSync(sidecar) && statSync(sidecar).size === 0) {
        rmSync(sidecar);
        figure(`state: ${path.basename(sidecar)} was empty after the kill; removed`);
        repaired = true;
      }
    }
    if (existsSync(file) && statSync(file).size === 0 && existsSync(`${file}.bak`)) {
      copyFileSync(`${file}.bak`, file);
      figure(`state: ${stack.name}.json was empty after the kill; restored from .bak`);
      repaired = true;
    }
  }
  return repaired;
}

/** Runs `promise` and resolves with its error (or undefined when it succeeded). */
export async function failureOf(promise: Promise<unknown>): Promise<Error | undefined> {
  try {
    await promise;
    return undefined;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

// ---------------------------------------------------------------------------------------------
// Traffic

/** One ping from namespace `from` to `address`: true when a reply came back. */
export function ping(from: string, address: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile("ip", ["netns", "exec", from, "ping", "-c", "1", "-W", "5", address], (error) =>
      resolve(error === null),
    );
  });
}

/** Pings until one reply comes back (a bridge port may still be learning), at most `tries` times. */
export async function pingEventually(from: string, address: string, tries = 5): Promise<boolean> {
  for (let i = 0; i < tries; i++) if (await ping(from, address)) return true;
  return false;
}

/** The nsfs inode of a named namespace (its identity). */
export function netnsInode(name: string): number {
  return Number(execFileSync("stat", ["-L", "-c", "%i", `/run/netns/${name}`], { encoding: "utf8" }).trim());
}

/**
 * `ip -j -d link show` of a namespace (or the host) with the counters and timers that move on
 * their own removed, for before/after comparisons of objects that must not be touched.
 */
export function linkSnapshot(namespace: string | undefined, dev?: string): unknown {
  const args = [...(namespace ? ["-n", namespace] : []), "-d", "link", "show", ...(dev ? ["dev", dev] : [])];
  return JSON.parse(JSON.stringify(ipJson(args)), (key, value) =>
    /timer$|^operstate$/.test(key) ? undefined : value,
  );
}

// ---------------------------------------------------------------------------------------------
// Kill points

/** Where an operation is killed: after its k-th finished resource step, or once the kernel shows something. */
export type KillPoint =
  | { readonly title: string; readonly events: number }
  | {
      readonly title: string;
      readonly kernel: () => boolean;
      /** How often to look (default 5 ms); a state that lasts (a stopped provider) can be looked at rarely. */
      readonly everyMs?: number;
    };

/**
 * Runs `operation` on stack `stackName` and SIGKILLs the engine tree at `point`. Resolves with
 * what was killed; fails the test when the operation finished before the point was reached.
 */
export async function killedAt(
  stackName: string,
  point: KillPoint,
  operation: (onEvent: (e: EngineEvent) => void) => Promise<unknown>,
  options: KillOptions = {},
): Promise<string[]> {
  let killed: string[] | undefined;
  const kill = () => {
    if (killed) return;
    const engine = engineProcess(stackName);
    if (engine !== undefined) killed = killTree(engine, options);
  };
  let steps = 0;
  const onEvent = (e: EngineEvent) => {
    const done = e.resOutputsEvent;
    if (!done || done.metadata.type === "pulumi:pulumi:Stack") return;
    steps += 1;
    if ("events" in point && steps >= point.events) kill();
  };
  let finished = false;
  const running = operation(onEvent).finally(() => (finished = true));
  if ("kernel" in point) {
    void (async () => {
      while (!finished && !killed) {
        if (point.kernel()) kill();
        await sleep(point.everyMs ?? 5);
      }
    })();
  }
  const error = await failureOf(running);
  assert.ok(killed, `the operation ended (${error ? "failed" : "succeeded"}) before the kill point`);
  assert.ok(error, "a killed operation fails");
  assert.ok(
    killed.some((c) => c.includes("dynamic-provider")),
    `the provider plugin was killed too: ${killed.join(" | ")}`,
  );
  return killed;
}

/**
 * The crash suites' cycle: `up` killed at `point`, the documented recovery (cancel, refresh
 * --clear-pending-creates), then an `up` that must succeed.
 */
export async function upKilledThenRecovered(
  stackName: string,
  stack: Stack,
  point: KillPoint,
  t: { diagnostic(message: string): void },
): Promise<void> {
  await killedAt(stackName, point, (onEvent) => stack.up({ onEvent, onOutput: () => undefined }));
  const { pendingCleared } = await recoverStack(stack);
  t.diagnostic(`pending operations cleared: ${pendingCleared}`);
  const up = await stack.up({ onOutput: () => undefined });
  assert.equal(up.summary.result, "succeeded");
}
