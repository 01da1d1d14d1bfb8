// The built `pulumi-netns` command as a user runs it (in the stack's project directory, with its
// backend), and what the host still holds of a stack instance: the engine tiers judge `ls`, `gc`
// and `graph` through these.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import { RECORD_DIRS, takeInventory } from "../../provider/kernel/inventory";
import { parseMark } from "../../provider/ownership";
import { repoRoot, type TestStack } from "./engine";

export interface Cli {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `pulumi-netns` command in the stack's project directory, with its backend. */
export function cli(ts: TestStack, args: readonly string[]): Promise<Cli> {
  const ws = ts.stack.workspace as LocalWorkspace;
  const bin = path.join(process.env.PULUMI_NETNS_PULUMI_ROOT ?? "", "bin");
  const env = {
    ...process.env,
    ...ws.envVars,
    PULUMI_HOME: ws.pulumiHome ?? "",
    PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(repoRoot, "dist", "cli", "index.js"), ...args],
      { cwd: ws.workDir, env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ exitCode: code, stdout, stderr });
      },
    );
  });
}

/** Everything on the host whose mark names stack instance `instance`, read afresh. */
export async function carrying(instance: string): Promise<string[]> {
  const inventory = await takeInventory();
  const named = (mark: string | undefined) => mark !== undefined && parseMark(mark)?.instance === instance;
  return [
    ...inventory.namespaces.filter((n) => named(n.mark)).map((n) => `namespace ${n.name}`),
    ...inventory.links.filter((l) => named(l.mark)).map((l) => `link ${l.name}`),
    ...inventory.records.filter((r) => named(r.mark)).map((r) => `record ${r.kind}/${r.file}`),
  ];
}

/**
 * Files under the record directories (route and namespace records, destroyed-instance records,
 * temporary files of record writes) whose text names `instance`: what the inventory's parsed
 * records could miss (a route record is named by its key, a temporary file is not parsed).
 */
export function recordFilesNaming(instance: string): string[] {
  const found: string[] = [];
  for (const dir of Object.values(RECORD_DIRS)) {
    for (const file of existsSync(dir) ? readdirSync(dir) : []) {
      let text: string;
      try {
        text = readFileSync(path.join(dir, file), "utf8");
      } catch {
        continue; // removed while we looked
      }
      if (file === instance || text.includes(instance)) found.push(path.join(dir, file));
    }
  }
  return found;
}
