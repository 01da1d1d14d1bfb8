// The machine and the versions a result belongs to.
import { readFile } from "node:fs/promises";
import { availableParallelism, release, totalmem } from "node:os";
import { join } from "node:path";
import { run } from "./proc";

export interface Machine {
  readonly nproc: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly cpuModel: string;
  readonly loadAverageAtStart: string;
}

export async function machine(): Promise<Machine> {
  const cpuinfo = await readFile("/proc/cpuinfo", "utf8");
  return {
    nproc: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    loadAverageAtStart: (await readFile("/proc/loadavg", "utf8")).split(" ").slice(0, 3).join(" "),
  };
}

// Some tools (mn --version) print their version on stderr.
const firstLine = async (argv: string[]) => {
  const out = await run(argv).catch(() => ({ stdout: "unavailable", stderr: "" }));
  return (out.stdout.trim() || out.stderr.trim()).split("\n")[0] ?? "";
};

export async function versions(repoRoot: string): Promise<Record<string, string>> {
  const pkg = async (p: string) =>
    (JSON.parse(await readFile(join(repoRoot, p), "utf8")) as { version: string }).version;
  const root = process.env.PULUMI_NETNS_PULUMI_ROOT;
  return {
    pulumiNetns: await pkg("package.json"),
    pulumiCli: root ? await firstLine([join(root, "bin", "pulumi"), "version"]) : "unavailable",
    pulumiSdk: await pkg("node_modules/@pulumi/pulumi/package.json"),
    node: process.version,
    iproute2: await firstLine(["ip", "-V"]),
    mininet: await firstLine(["mn", "--version"]),
  };
}
