#!/usr/bin/env node
// The `pulumi-netns` command (the package's bin): `npx pulumi-netns ls` and `gc`.
import { parseArgs } from "node:util";
import { CommandFailure, EXIT_FAILURE, EXIT_USAGE, UsageError, type CommandResult } from "./command";
import { gc, gcHelp } from "./gc";
import { takeInventory } from "../provider/kernel/inventory";
import { ls, lsHelp, type Sources } from "./ls";
import { readProjectStates } from "./stacks";

export const mainHelp = `Usage: pulumi-netns <command> [options]

Finds what pulumi-netns made on this host and which stack it belongs to.

Commands:
  ls   list every namespace, link, route and record carrying a pulumi-netns mark, grouped by
       project, stack and stack instance, flagging the ones the stack's state does not know
  gc   remove the orphans of one stack (--stack NAME), and nothing else

Run it as root in the directory of the Pulumi project (where \`pulumi up\` runs); states are read
the way Pulumi reads them. \`pulumi-netns <command> --help\` describes a command.

Exit status: 0 success; 1 something could not be read or removed; 2 usage error.`;

const ok = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: "" });

/** Runs the command line `argv` (without node and the script); never exits the process. */
export async function main(argv: readonly string[], cwd: string, sources: Sources): Promise<CommandResult> {
  const [command, ...rest] = argv;
  const usage = (help: string, message: string): CommandResult => ({
    exitCode: EXIT_USAGE,
    stdout: "",
    stderr: `pulumi-netns: ${message}\n\n${help}`,
  });
  if (command === undefined) return usage(mainHelp, "a command is missing");
  if (command === "-h" || command === "--help" || command === "help") return ok(mainHelp);
  const help = command === "ls" ? lsHelp : command === "gc" ? gcHelp : undefined;
  if (help === undefined) return usage(mainHelp, `unknown command ${JSON.stringify(command)}`);
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({
      args: [...rest],
      strict: true,
      allowPositionals: false,
      options: {
        stack: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        ...(command === "gc"
          ? { instance: { type: "string", multiple: true }, "dry-run": { type: "boolean" } }
          : {}),
      },
    }).values;
  } catch (e) {
    return usage(help, e instanceof Error ? e.message : String(e));
  }
  if (values.help) return ok(help);
  const json = values.json === true;
  try {
    if (command === "ls") {
      return await ls({ stack: values.stack as string | undefined, json, cwd }, sources);
    }
    if (values.stack === undefined || values.stack === "") return usage(help, "gc needs --stack NAME");
    return await gc(
      {
        stack: values.stack as string,
        instances: (values.instance as string[] | undefined) ?? [],
        dryRun: values["dry-run"] === true,
        json,
        cwd,
      },
      sources,
    );
  } catch (e) {
    if (e instanceof UsageError) return usage(help, e.message);
    const message = e instanceof Error ? e.message : String(e);
    const what = e instanceof CommandFailure ? message : `failed: ${message}`;
    return {
      exitCode: EXIT_FAILURE,
      stdout: json ? JSON.stringify({ error: what }, null, 2) : "",
      stderr: `pulumi-netns ${command}: ${what}`,
    };
  }
}

/** The real sources: the project's states through the Automation API, and this host's kernel. */
export const hostSources: Sources = {
  readStates: readProjectStates,
  takeInventory: () => takeInventory(),
};

if (require.main === module) {
  void (async () => {
    const result = await main(process.argv.slice(2), process.cwd(), hostSources);
    if (result.stdout) process.stdout.write(result.stdout + "\n");
    if (result.stderr) process.stderr.write(result.stderr + "\n");
    process.exitCode = result.exitCode;
  })();
}
