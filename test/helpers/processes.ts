import { readdirSync, readFileSync } from "node:fs";

/**
 * Every live process (not a zombie) on this machine whose environment carries a service mark
 * `matches` accepts. The test "machines" share this pid namespace, so their services show here too.
 */
export function processesMarked(matches: (mark: string) => boolean): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      const mark = readFileSync(`/proc/${entry}/environ`, "utf8")
        .split("\0")
        .find((v) => v.startsWith("PULUMI_NETNS_MARK="))
        ?.slice("PULUMI_NETNS_MARK=".length);
      if (mark !== undefined && matches(mark)) found.push(Number(entry));
    } catch {
      // It ended while we looked.
    }
  }
  return found;
}

/** SIGKILL to a process or (negative) a group, for cleanup: one already gone is fine. */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone already
  }
}
