#!/usr/bin/env node
// The `pulumi-netns` command (the package's bin): `npx pulumi-netns ls`, `gc` and `graph`.
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { CommandFailure, EXIT_FAILURE, EXIT_USAGE, UsageError, type CommandResult } from "./command";
import { gc, gcHelp } from "./gc";
import { graph, graphHelp, type GraphSources } from "./graph";
import type { KindLookup } from "./graph/state";
import { graphvizSvg } from "./graph/graphviz";
import { takeInventory } from "../provider/kernel/inventory";
import { takeTopology } from "./graph/topology";
import type * as registry from "../provider/kinds";
import { ls, lsHelp, type Sources } from "./ls";
import { readProjectStates, readStackExport } from "./stacks";

export const mainHelp = `Usage: pulumi-netns <command> [options]

Finds what pulumi-netns made on this host and which stack it belongs to.

Commands:
  ls      list every namespace, link, route and record carrying a pulumi-netns mark, grouped by
          project, stack and stack instance, flagging the ones the stack's state does not know
  gc      remove the orphans of one stack (--stack NAME), and nothing else
  graph   draw the topology (namespaces, bridges, cables) of a stack's state, drift marked, or
          of the kernel (--live), as Mermaid, DOT, SVG or HTML

Run it as root in the directory of the Pulumi project (where \`pulumi up\` runs); states are read
the way Pulumi reads them. \`pulumi-netns <command> --help\` describes a command.

Exit status: 0 success; 1 something could not be read or removed; 2 usage error; 3 (graph) the
picture marks drift.`;

const ok = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: "" });

/** Runs the command line `argv` (without node and the script); never exits the process. */
export async function main(
  argv: readonly string[],
  cwd: string,
  sources: Sources & Partial<GraphSources>,
): Promise<CommandResult> {
  const [command, ...rest] = argv;
  const usage = (help: string, message: string): CommandResult => ({
    exitCode: EXIT_USAGE,
    stdout: "",
    stderr: `pulumi-netns: ${message}\n\n${help}`,
  });
  if (command === undefined) return usage(mainHelp, "a command is missing");
  if (command === "-h" || command === "--help" || command === "help") return ok(mainHelp);
  const helps: Record<string, string> = { ls: lsHelp, gc: gcHelp, graph: graphHelp };
  const help = Object.hasOwn(helps, command) ? helps[command] : undefined;
  if (help === undefined) return usage(mainHelp, `unknown command ${JSON.stringify(command)}`);
  // Each command's own options; --stack and --help are everyone's.
  const own: Record<string, ParseArgsOptionsConfig> = {
    ls: { json: { type: "boolean" } },
    gc: {
      json: { type: "boolean" },
      instance: { type: "string", multiple: true },
      "dry-run": { type: "boolean" },
    },
    graph: {
      live: { type: "boolean" },
      "only-ours": { type: "boolean" },
      format: { type: "string" },
      output: { type: "string", short: "o" },
    },
  };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    values = parseArgs({
      args: [...rest],
      strict: true,
      allowPositionals: false,
      options: { stack: { type: "string" }, help: { type: "boolean", short: "h" }, ...own[command] },
    }).values;
  } catch (e) {
    return usage(help, e instanceof Error ? e.message : String(e));
  }
  if (values.help) return ok(help);
  const json = values.json === true;
  try {
    if (command === "graph") {
      return await graph(
        {
          stack: values.stack as string | undefined,
          live: values.live === true,
          onlyOurs: values["only-ours"] === true,
          format: values.format as string | undefined,
          output: values.output as string | undefined,
          cwd,
        },
        { ...hostGraphSources, ...sources },
      );
    }
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

/** The real sources of graph: a state through the Automation API, the kernel, Graphviz. */
export const hostGraphSources: GraphSources = {
  readStack: readStackExport,
  takeTopology: () => takeTopology(),
  kinds(): KindLookup {
    // Loaded only here: it loads the provider and the Pulumi SDK, which --live and --help need not.
    const { kinds } = require("../provider/kinds") as typeof registry;
    return (kind) => (Object.hasOwn(kinds, kind) ? kinds[kind as keyof typeof kinds] : undefined);
  },
  renderSvg: (dot) => graphvizSvg(dot),
};

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
