// What the leak check in test/run compares before and after the tests: only what tests make, so
// other namespaces and links on the machine (a user's own lab, another tool's) never fail it.
// Prints one sorted line per object: namespaces and host links named with a test prefix
// (`pnt` and 4 hex digits, see helpers/names.ts), every link (in any namespace) and namespace
// that carries a pulumi-netns mark, and every pulumi-netns ownership record.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { isOwnedGroup, MARK_PREFIX } from "../provider/kernel/ip";
import { RECORDS_ROOT } from "../provider/kernel/records";

const TEST_PREFIX = /^pnt[0-9a-f]{4}/;

interface Link {
  ifname: string;
  ifalias?: string;
  group?: string | number;
}

function ipJson<T>(args: string[]): T {
  const out = execFileSync("ip", ["-j", ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  }).trim();
  return JSON.parse(out === "" ? "[]" : out) as T;
}

function links(namespace: string | undefined): Link[] {
  try {
    return ipJson<Link[]>([...(namespace ? ["-n", namespace] : []), "-N", "link", "show"]);
  } catch {
    return []; // the namespace went while we looked
  }
}

const marked = (l: Link) => (l.ifalias ?? "").startsWith(MARK_PREFIX) || isOwnedGroup(Number(l.group ?? 0));

export function leakSnapshot(): string[] {
  const lines: string[] = [];
  const namespaces = ipJson<{ name: string }[]>(["netns", "list"]).map((n) => n.name);
  for (const ns of namespaces) {
    const inside = links(ns);
    const lo = inside.find((l) => l.ifname === "lo");
    if (TEST_PREFIX.test(ns) || (lo && marked(lo))) lines.push(`namespace ${ns}`);
    for (const l of inside)
      if (l.ifname !== "lo" && marked(l)) lines.push(`link ${ns}/${l.ifname} ${l.ifalias ?? ""}`);
  }
  for (const l of links(undefined)) {
    if (TEST_PREFIX.test(l.ifname) || marked(l)) lines.push(`link host/${l.ifname} ${l.ifalias ?? ""}`);
  }
  for (const kind of ["netns", "route"]) {
    let files: string[] = [];
    try {
      files = readdirSync(join(RECORDS_ROOT, kind));
    } catch {
      // no records of that kind
    }
    for (const f of files) lines.push(`record ${kind}/${f}`);
  }
  return lines.sort();
}

if (require.main === module) console.log(leakSnapshot().join("\n"));
