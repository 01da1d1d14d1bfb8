#!/usr/bin/env node
// The `pulumi-netns` command (the package's bin): `npx pulumi-netns ls`, `gc` and `graph`, one entry
// each in `verbs`, so dispatch and the top-level help cannot disagree about which verbs exist.
import { parseArgs } from "node:util";
import {
  CommandFailure,
  EXIT_FAILURE,
  EXIT_USAGE,
  UsageError,
  type CommandResult,
  type ParsedValues,
  type Verb,
} from "./command";
import { gc, gcHelp, type GcOptions } from "./gc";
import { graph, graphHelp, type GraphOptions, type GraphSources } from "./graph";
import { graphvizSvg } from "./graph/graphviz";
import type { KindLookup } from "./graph/state";
import { takeTopology } from "./graph/topology";
import { takeInventory } from "../provider/kernel/inventory";
import type * as registry from "../provider/kinds";
import { ls, lsHelp, type LsOptions, type Sources } from "./ls";
import { readProjectStates, readStackExport } from "./stacks";

/** What `main` reads from: the states and the host; graph's own sources default to the real ones. */
export type CliSources = Sources & Partial<GraphSources>;

const text = (v: ParsedValues[string]) => v as string | undefined;

/** Every verb, in the order `pulumi-netns --help` lists them. */
export const verbs: readonly Verb<unknown, CliSources>[] = [
  {
    name: "ls",
    summary: `list every namespace, link, route and record carrying a pulumi-netns mark, grouped by
project, stack and stack instance, flagging the ones the stack's state does not know`,
    help: lsHelp,
    options: { json: { type: "boolean" } },
    parse: (values, cwd) => ({ stack: text(values.stack), json: values.json === true, cwd }),
    run: (options, sources) => ls(options, sources),
  } satisfies Verb<LsOptions, CliSources>,
  {
    name: "gc",
    summary: "remove the orphans of one stack (--stack NAME), and nothing else",
    help: gcHelp,
    options: {
      json: { type: "boolean" },
      instance: { type: "string", multiple: true },
      "dry-run": { type: "boolean" },
    },
    parse: (values, cwd) => {
      const stack = text(values.stack);
      if (stack === undefined || stack === "") throw new UsageError("gc needs --stack NAME");
      return {
        stack,
        instances: (values.instance as string[] | undefined) ?? [],
        dryRun: values["dry-run"] === true,
        json: values.json === true,
        cwd,
      };
    },
    run: (options, sources) => gc(options, sources),
  } satisfies Verb<GcOptions, CliSources>,
  {
    name: "graph",
    summary: `draw the topology (namespaces, bridges, cables) of a stack's state, drift marked, or
of the kernel (--live), as Mermaid, DOT, SVG or HTML`,
    help: graphHelp,
    options: {
      live: { type: "boolean" },
      "only-ours": { type: "boolean" },
      format: { type: "string" },
      output: { type: "string", short: "o" },
    },
    parse: (values, cwd) => ({
      stack: text(values.stack),
      live: values.live === true,
      onlyOurs: values["only-ours"] === true,
      format: text(values.format),
      output: text(values.output),
      cwd,
    }),
    run: (options, sources) => graph(options, { ...hostGraphSources, ...sources }),
  } satisfies Verb<GraphOptions, CliSources>,
];

// Two spaces, the longest name, three spaces: where every summary line starts.
const NAME_COLUMN = 2 + Math.max(...verbs.map((v) => v.name.length)) + 3;

/** A verb's summary under "Commands:", its continuation lines under its first. */
function commandLines(verb: Verb<unknown, CliSources>): string {
  const [first = "", ...more] = verb.summary.split("\n");
  return [
    `  ${verb.name.padEnd(NAME_COLUMN - 2)}${first}`,
    ...more.map((line) => " ".repeat(NAME_COLUMN) + line),
  ].join("\n");
}

export const mainHelp = `Usage: pulumi-netns <command> [options]

Finds what pulumi-netns made on this host and which stack it belongs to.

Commands:
${verbs.map(commandLines).join("\n")}

Run it as root in the directory of the Pulumi project (where \`pulumi up\` runs); states are read
the way Pulumi reads them. \`pulumi-netns <command> --help\` describes a command.

Exit status: 0 success; 1 something could not be read or removed; 2 usage error; 3 (graph) the
picture marks drift.`;

const ok = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: "" });

/** Runs the command line `argv` (without node and the script); never exits the process. */
export async function main(
  argv: readonly string[],
  cwd: string,
  sources: CliSources,
): Promise<CommandResult> {
  const [command, ...rest] = argv;
  const usage = (help: string, message: string): CommandResult => ({
    exitCode: EXIT_USAGE,
    stdout: "",
    stderr: `pulumi-netns: ${message}\n\n${help}`,
  });
  if (command === undefined) return usage(mainHelp, "a command is missing");
  if (command === "-h" || command === "--help" || command === "help") return ok(mainHelp);
  const verb = verbs.find((v) => v.name === command);
  if (verb === undefined) return usage(mainHelp, `unknown command ${JSON.stringify(command)}`);
  let values: ParsedValues;
  try {
    values = parseArgs({
      args: [...rest],
      strict: true,
      allowPositionals: false,
      options: { stack: { type: "string" }, help: { type: "boolean", short: "h" }, ...verb.options },
    }).values;
  } catch (e) {
    return usage(verb.help, e instanceof Error ? e.message : String(e));
  }
  if (values.help) return ok(verb.help);
  try {
    return await verb.run(verb.parse(values, cwd), sources);
  } catch (e) {
    if (e instanceof UsageError) return usage(verb.help, e.message);
    const message = e instanceof Error ? e.message : String(e);
    const what = e instanceof CommandFailure ? message : `failed: ${message}`;
    return {
      exitCode: EXIT_FAILURE,
      stdout: values.json === true ? JSON.stringify({ error: what }, null, 2) : "",
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
