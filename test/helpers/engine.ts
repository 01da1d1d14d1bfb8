// Drives the real Pulumi CLI through the Automation API: a local file backend and a
// PULUMI_HOME in a temporary directory per stack (its plugins the machine's), an empty
// passphrase, no network.
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import {
  LocalWorkspace,
  PulumiCommand,
  type PulumiFn,
  type Stack,
  type ConfigMap,
} from "@pulumi/pulumi/automation";

/** The repository's root: inline programs run from a directory below it, to find node_modules. */
export const repoRoot = path.resolve(__dirname, "../../..");

let command: Promise<PulumiCommand> | undefined;

function pulumiCommand(): Promise<PulumiCommand> {
  const root = process.env.PULUMI_NETNS_PULUMI_ROOT;
  if (!root) {
    throw new Error(
      "PULUMI_NETNS_PULUMI_ROOT is not set: run `bash scripts/setup` and `. scripts/env.sh` first",
    );
  }
  command ??= PulumiCommand.get({ root });
  return command;
}

export interface TestStack {
  readonly stack: Stack;
  /** Destroys what the stack still has, then removes the stack, its state and its PULUMI_HOME. */
  dispose(): Promise<void>;
}

interface StackOptions {
  /** A unique stack name; also used to name the temporary directories. */
  readonly stackName: string;
  readonly config?: ConfigMap;
}

/** The machine's plugin cache (`$PULUMI_HOME/plugins`), where setup installs the command plugin. */
export function pluginCache(): string {
  const plugins = process.env.PULUMI_NETNS_PLUGINS;
  if (!plugins) {
    throw new Error("PULUMI_NETNS_PLUGINS is not set: run `bash scripts/setup` and `. scripts/env.sh` first");
  }
  return plugins;
}

async function engineEnv(stackName: string) {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), `${stackName}-`));
  await fs.mkdir(path.join(scratch, "state"));
  // A home of its own per stack, sharing only the installed plugins (the command plugin): with
  // downloads off the engine looks for them there. Found on PATH instead, it would warn on every run.
  const pulumiHome = path.join(scratch, "home");
  await fs.mkdir(pulumiHome);
  await fs.symlink(pluginCache(), path.join(pulumiHome, "plugins"));
  return {
    scratch,
    pulumiHome,
    envVars: {
      PULUMI_CONFIG_PASSPHRASE: "",
      PULUMI_BACKEND_URL: `file://${path.join(scratch, "state")}`,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      // The test command type-checks the examples with tsc already; ts-node need not again.
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    },
  };
}

async function finish(stack: Stack, scratch: string, cleanup: () => Promise<void>): Promise<TestStack> {
  return {
    stack,
    async dispose() {
      try {
        await stack.destroy({ onOutput: () => undefined });
        await stack.workspace.removeStack(stack.name);
      } finally {
        await cleanup();
        await fs.rm(scratch, { recursive: true, force: true });
      }
    },
  };
}

/** A stack whose program is a function in the test process. */
export async function inlineStack(opts: StackOptions & { program: PulumiFn }): Promise<TestStack> {
  const { scratch, pulumiHome, envVars } = await engineEnv(opts.stackName);
  // The plugins start in the work directory and resolve @pulumi/pulumi and pulumi-netns from
  // there, so it lies inside the repository.
  const workDir = await fs.mkdtemp(path.join(repoRoot, "test", ".work-"));
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: opts.stackName, projectName: "pnt", program: opts.program },
    {
      workDir,
      pulumiHome,
      envVars,
      pulumiCommand: await pulumiCommand(),
      projectSettings: { name: "pnt", runtime: "nodejs", main: workDir },
    },
  );
  if (opts.config) await stack.setAllConfig(opts.config);
  return finish(stack, scratch, () => fs.rm(workDir, { recursive: true, force: true }));
}

/** A stack for a Pulumi project directory (an example, or the repository's root program). */
export async function projectStack(opts: StackOptions & { workDir: string }): Promise<TestStack> {
  const { scratch, pulumiHome, envVars } = await engineEnv(opts.stackName);
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: opts.stackName, workDir: opts.workDir },
    { pulumiHome, envVars, pulumiCommand: await pulumiCommand() },
  );
  if (opts.config) await stack.setAllConfig(opts.config);
  const stackFile = path.join(opts.workDir, `Pulumi.${opts.stackName}.yaml`);
  return finish(stack, scratch, () => fs.rm(stackFile, { force: true }));
}
