// A newcomer's first project, made as the README makes it and outside the repository: `pulumi new`
// from templates/netns-lab, the package installed from the tarball `npm pack` makes (so nothing
// resolves into the checkout), then up, whose probes must pass, the lab read back from the kernel,
// and destroy, which must leave nothing. The template and the packed package share one project
// and one stack, so this costs one up and one destroy.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { pluginCache, repoRoot } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import { addressesOf, linkOf, removeByPrefix } from "../helpers/readback";
import { requireRoot } from "../helpers/root";
import { leakSnapshot } from "../leakSnapshot";

const execFileAsync = promisify(execFile);

/** Runs a command to its end; a failure carries the command and the end of what it printed. */
async function run(
  cwd: string,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
  file: string,
  ...args: string[]
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(file, args, { cwd, env, signal, maxBuffer: 64 << 20 });
    return stdout;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    const tail = `${stdout}\n${stderr}`.trim().split("\n").slice(-40).join("\n");
    throw new Error(`${file} ${args.join(" ")} failed in ${cwd}:\n${tail}`, { cause: error });
  }
}

describe("a new project from the template, with the package from its tarball", () => {
  test(
    "pulumi new, npm install, up proves the lab, destroy leaves nothing",
    { timeout: 10 * 60_000 },
    async (t) => {
      if (!requireRoot(t)) return;
      const p = uniquePrefix();
      const scratch = await fs.mkdtemp(path.join(os.tmpdir(), `${p}-new-`));
      const project = path.join(scratch, "lab");
      // A Pulumi home of its own (no login, no stacks of the user's), with the machine's plugins.
      const home = path.join(scratch, "home");
      await fs.mkdir(home);
      await fs.symlink(pluginCache(), path.join(home, "plugins"));
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PULUMI_HOME: home,
        PULUMI_CONFIG_PASSPHRASE: "",
      };
      // From `pulumi new` on, the project's own backend (its Pulumi.yaml: file://.) is the one used.
      delete env.PULUMI_BACKEND_URL;
      const sh = (cwd: string, file: string, ...args: string[]) => run(cwd, env, t.signal, file, ...args);
      const [hub, h1, h2] = ["hub", "h1", "h2"].map((n) => `${p}-${n}`) as [string, string, string];
      let deployed = false;
      try {
        // As the README runs it: `pulumi new` makes the stack before it reads the template, so its
        // backend comes from PULUMI_BACKEND_URL, which `file://.` makes the project directory.
        await run(
          repoRoot,
          { ...env, PULUMI_BACKEND_URL: "file://." },
          t.signal,
          "pulumi",
          "new",
          path.join(repoRoot, "templates", "netns-lab"),
          "--yes",
          "--stack",
          "dev",
          "--dir",
          project,
          "--config",
          `namespacePrefix=${p}-`,
        );
        // test/run has built dist/ already; prepack's tsc would rewrite it under the tests running
        // from it, so the pack skips it.
        const packed = await sh(project, "npm", "pack", "--json", "--ignore-scripts", repoRoot);
        const [{ filename }] = JSON.parse(packed) as [{ filename: string }];
        await sh(project, "npm", "install", `./${filename}`);
        const manifest = JSON.parse(await fs.readFile(path.join(project, "package.json"), "utf8")) as {
          dependencies: Record<string, string>;
        };
        assert.equal(manifest.dependencies["pulumi-netns"], `file:${filename}`);
        const installed = await fs.realpath(path.join(project, "node_modules", "pulumi-netns"));
        assert.ok(installed.startsWith(project + path.sep), `pulumi-netns resolves to ${installed}`);

        deployed = true;
        await sh(project, "pulumi", "up", "--yes");
        await fs.access(path.join(project, ".pulumi", "stacks", "lab", "dev.json"));
        const outputs = JSON.parse(await sh(project, "pulumi", "stack", "output", "--json")) as {
          namespaces: string[];
          reachability: string[];
        };
        assert.deepEqual(outputs.namespaces, [hub, h1, h2]);
        assert.deepEqual(
          outputs.reachability.map((seen) => seen.replace(/: .*, 3 received, .*/, ": 3 received")),
          [
            `ping 10.0.0.2 from namespace ${h1}: 3 received`,
            `ping 10.0.0.1 from namespace ${h2}: 3 received`,
          ],
        );
        assert.deepEqual(addressesOf(h1, "eth0"), ["10.0.0.1/24"]);
        assert.deepEqual(addressesOf(h2, "eth0"), ["10.0.0.2/24"]);
        assert.equal((linkOf(hub, "br0").linkinfo as { info_kind?: string }).info_kind, "bridge");
        assert.equal(linkOf(hub, "h1").master, "br0");
        assert.equal(linkOf(hub, "h2").master, "br0");

        await sh(project, "pulumi", "destroy", "--yes");
        deployed = false;
        assert.deepEqual(
          leakSnapshot().filter((line) => line.includes(p)),
          [],
          "destroy left kernel objects or records behind",
        );
      } finally {
        if (deployed) await sh(project, "pulumi", "destroy", "--yes").catch(() => undefined);
        removeByPrefix(p);
        await fs.rm(scratch, { recursive: true, force: true });
      }
    },
  );
});
