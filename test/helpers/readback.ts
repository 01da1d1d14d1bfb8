// Helpers for tests against the real kernel: throwaway namespaces and `ip -j` read-backs.
import { execFileSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { NETNS_MARK_DIR } from "../../provider/kernel/netns";

/** `ip -j ARGS...`, parsed. */
export function ipJson<T = Record<string, unknown>[]>(args: readonly string[]): T {
  const out = execFileSync("ip", ["-j", ...args], { encoding: "utf8" }).trim();
  return JSON.parse(out === "" ? "[]" : out) as T;
}

/** `ip ARGS...`, throwing on failure. */
export function ip(args: readonly string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

export function namespaceNames(): string[] {
  return ipJson<{ name: string }[]>(["netns", "list"]).map((n) => n.name);
}

/**
 * Deletes every namespace whose name starts with `prefix`, root-namespace links likewise, and
 * the records of such namespaces.
 */
export function removeByPrefix(prefix: string): void {
  for (const name of namespaceNames()) if (name.startsWith(prefix)) ip(["netns", "delete", name]);
  for (const link of ipJson<{ ifname: string }[]>(["link", "show"])) {
    if (link.ifname.startsWith(prefix)) ip(["link", "delete", "dev", link.ifname]);
  }
  // A test that failed half way leaves the records of the namespaces it claimed.
  let records: string[] = [];
  try {
    records = readdirSync(NETNS_MARK_DIR);
  } catch {
    // no record directory: nothing to remove
  }
  for (const record of records)
    if (record.startsWith(prefix)) rmSync(join(NETNS_MARK_DIR, record), { force: true });
}

/** The IPv4 and global IPv6 addresses of a link, as CIDRs. */
export function addressesOf(namespace: string, dev: string): string[] {
  const [link] = ipJson<{ addr_info: { local: string; prefixlen: number; scope: string }[] }[]>([
    "-n",
    namespace,
    "addr",
    "show",
    "dev",
    dev,
  ]);
  return (link?.addr_info ?? []).filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`);
}

/** One link as `ip -j -d link show` has it. */
export function linkOf(namespace: string | undefined, dev: string): Record<string, unknown> {
  const args = [...(namespace ? ["-n", namespace] : []), "-d", "link", "show", "dev", dev];
  const [link] = ipJson(args);
  if (!link) throw new Error(`no link ${dev}`);
  return link;
}
