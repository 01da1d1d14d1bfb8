// `pulumi-netns graph`: a picture of the topology, from the current stack's state (drift against
// the kernel marked) or, with --live, from the kernel; as Mermaid, DOT, SVG or one HTML file.
import { writeFile } from "node:fs/promises";
import type { Topology } from "./graph/topology";
import { CommandFailure, EXIT_FAILURE, EXIT_OK, UsageError, type CommandResult } from "./command";
import { renderDot } from "./graph/dot";
import { renderHtml } from "./graph/html";
import { liveGraph } from "./graph/live";
import { renderMermaid } from "./graph/mermaid";
import { hasDrift, type GraphModel } from "./graph/model";
import { stateGraph, type KindLookup } from "./graph/state";
import type { StackExport } from "./stacks";
import { shortStackName } from "./stackView";

/** The picture was drawn and marks drift between the state and the kernel. */
export const EXIT_DRIFT = 3;

export const FORMATS = ["mermaid", "dot", "svg", "html"] as const;
export type Format = (typeof FORMATS)[number];

export const graphHelp = `Usage: pulumi-netns graph [--stack NAME | --live [--only-ours]] [--format FORMAT] [--output FILE]

Draws the topology: namespaces as boxes, bridges as nodes, veth pairs, macvlans and tunnels
(VXLAN) as edges labelled with their ends' names and addresses (and the MTU where it is not
1500), taps as stubs facing their VM, a service's process in its namespace's box (its name, what it
runs, whether it runs).

By default the picture is the current stack's state (\`pulumi stack select\`; --stack picks
another), read the way Pulumi reads it for the project in the current directory (or above), and
compared with the kernel: what the state holds that the kernel lacks (or has only as a look-alike
that is not the stack's), a port whose master is not the state's, and a service whose process
does not run, are drawn in red as DRIFT.

With --live the picture is the kernel's: every namespace and every link in it, veth peers followed
across namespaces; what carries no pulumi-netns mark is drawn grey and dashed. --only-ours keeps
only what carries our marks.

Options:
  --stack NAME     the state of this stack instead of the current one
  --live           draw the kernel, not a state
  --only-ours      with --live: only namespaces and links that carry a pulumi-netns mark
  --format FORMAT  mermaid (for a README or a GitHub comment), dot, svg (Graphviz's dot), or html
                   (one file, the SVG inline, viewable offline). Default: from the --output file's
                   extension (.mmd .dot .gv .svg .html), else mermaid
  --output FILE    write the picture to FILE instead of stdout
  -h, --help       print this help

Run it as root (reading namespaces needs it). The same state and kernel give the same picture,
byte for byte: the stack instance, times and random ids are not in it.

Exit status: 0 drawn; 1 the state, the kernel or Graphviz failed, or FILE could not be written;
2 usage error; 3 drawn, and the picture marks drift.`;

/** Where graph reads from and how it draws SVG (the tests pass recorded ones). */
export interface GraphSources {
  readStack(cwd: string, stack: string | undefined): Promise<StackExport>;
  takeTopology(): Promise<Topology>;
  /** The kinds' descriptors (provider/kinds.ts). */
  kinds(): KindLookup;
  renderSvg(dot: string): Promise<string>;
}

export interface GraphOptions {
  readonly stack: string | undefined;
  readonly live: boolean;
  readonly onlyOurs: boolean;
  readonly format: string | undefined;
  readonly output: string | undefined;
  readonly cwd: string;
}

const extensions: Readonly<Record<string, Format>> = {
  mmd: "mermaid",
  mermaid: "mermaid",
  dot: "dot",
  gv: "dot",
  svg: "svg",
  html: "html",
  htm: "html",
};

/** The format asked for, or the one the output file's extension names, or mermaid. */
export function chooseFormat(format: string | undefined, output: string | undefined): Format {
  if (format !== undefined) {
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, not ${JSON.stringify(format)}`);
    }
    return format as Format;
  }
  const ext = output === undefined ? undefined : /\.([^./]+)$/.exec(output)?.[1]?.toLowerCase();
  return (ext !== undefined ? extensions[ext] : undefined) ?? "mermaid";
}

/** The model in `format`. */
export async function render(
  model: GraphModel,
  format: Format,
  sources: Pick<GraphSources, "renderSvg">,
): Promise<string> {
  switch (format) {
    case "mermaid":
      return renderMermaid(model);
    case "dot":
      return renderDot(model);
    case "svg":
      return sources.renderSvg(renderDot(model));
    case "html":
      return renderHtml(model, await sources.renderSvg(renderDot(model)));
  }
}

/** The model the options ask for, and what went wrong reading the kernel, if anything did. */
export async function graphModel(
  options: GraphOptions,
  sources: GraphSources,
): Promise<{ model: GraphModel; warning: string | undefined }> {
  if (options.live)
    return { model: liveGraph(await sources.takeTopology(), options.onlyOurs), warning: undefined };
  const state = await sources.readStack(options.cwd, options.stack);
  let topology: Topology | undefined;
  let warning: string | undefined;
  try {
    topology = await sources.takeTopology();
  } catch (e) {
    warning = `the kernel could not be read, so drift is not marked: ${e instanceof Error ? e.message : String(e)}`;
  }
  const title = `${state.project} / ${shortStackName(state.stack)}`;
  return { model: stateGraph(title, state.exported, sources.kinds(), topology), warning };
}

export async function graph(options: GraphOptions, sources: GraphSources): Promise<CommandResult> {
  if (options.onlyOurs && !options.live) throw new UsageError("--only-ours goes with --live");
  if (options.live && options.stack !== undefined)
    throw new UsageError("--stack reads a state; --live reads the kernel: pick one");
  if (options.output === "") throw new UsageError("--output needs a file name");
  const format = chooseFormat(options.format, options.output);
  const { model, warning } = await graphModel(options, sources);
  const picture = await render(model, format, sources);
  const notes: string[] = warning ? [`pulumi-netns graph: ${warning}`] : [];
  if (options.output !== undefined) {
    try {
      await writeFile(options.output, picture);
    } catch (e) {
      throw new CommandFailure(
        `cannot write ${options.output}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    notes.push(`wrote ${options.output} (${format})`);
  }
  const drift = hasDrift(model);
  if (drift) notes.push("the picture marks drift between the state and the kernel (in red)");
  return {
    exitCode: warning ? EXIT_FAILURE : drift ? EXIT_DRIFT : EXIT_OK,
    // The caller ends stdout with a newline, so `> FILE` and `--output FILE` write the same bytes.
    stdout: options.output === undefined ? picture.replace(/\n$/, "") : "",
    stderr: notes.join("\n"),
  };
}
