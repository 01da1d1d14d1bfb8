// Running commands and timing them, and the leftovers sweep every row relies on.
import { execFile, spawn } from "node:child_process";
import { readdir, rm } from "node:fs/promises";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

export interface Output {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs argv (no shell); rejects with the command and its stderr on a non-zero exit. `env`
 * replaces the environment (default: this process's).
 */
export async function run(
  argv: readonly string[],
  input?: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Output> {
  const [file, ...args] = argv;
  if (!file) throw new Error("empty argv");
  if (input === undefined) {
    try {
      return await execFileP(file, args, { maxBuffer: 64 << 20, env: { ...env, LC_ALL: "C" } });
    } catch (e) {
      const err = e as { stderr?: string; code?: unknown };
      throw new Error(`${argv.join(" ")} failed (${String(err.code)}): ${err.stderr ?? String(e)}`, {
        cause: e,
      });
    }
  }
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...env, LC_ALL: "C" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve({ stdout, stderr })
        : reject(new Error(`${argv.join(" ")} failed (exit ${code}): ${stderr.slice(-2000)}`)),
    );
    child.stdin.end(input);
  });
}

/** Seconds taken by `fn`, wall clock. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, value };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Names of the named namespaces. */
export async function netnsNames(): Promise<string[]> {
  const out = (await run(["ip", "-j", "netns", "list"])).stdout.trim();
  return out === "" ? [] : (JSON.parse(out) as { name: string }[]).map((n) => n.name);
}

/** Names of the links in the root namespace. */
export async function rootLinkNames(): Promise<string[]> {
  const out = (await run(["ip", "-j", "link", "show"])).stdout.trim();
  return out === "" ? [] : (JSON.parse(out) as { ifname: string }[]).map((l) => l.ifname);
}

/**
 * Removes everything named with `prefix`: namespaces (their links go with them), links left in
 * the root namespace, and pulumi-netns ownership records. Safe to call when nothing is left.
 */
export async function sweep(prefix: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await netnsNames()) {
    if (!name.startsWith(prefix)) continue;
    await run(["ip", "netns", "delete", name]).catch(() => undefined);
    removed.push(`netns ${name}`);
  }
  for (const name of await rootLinkNames()) {
    if (!name.startsWith(prefix)) continue;
    await run(["ip", "link", "delete", "dev", name]).catch(() => undefined);
    removed.push(`link ${name}`);
  }
  const marks = "/run/pulumi-netns/netns";
  for (const name of await readdir(marks).catch(() => [] as string[])) {
    if (name.startsWith(prefix)) await rm(`${marks}/${name}`, { force: true });
  }
  return removed;
}
