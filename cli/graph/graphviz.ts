// Graphviz, for `pulumi-netns graph --format svg|html`: DOT text in, SVG out. A drawing tool, not
// a kernel object, so it lives with the CLI; it still starts `dot` only through the kernel layer's
// Runner (execa, an argv array, no shell), which the no-shell test holds every file to.
import { formatArgv } from "../../provider/kernel/errors";
import { execaRunner, SpawnError, type Runner } from "../../provider/kernel/runner";

/** Graphviz could not draw: the command, what it said, and what to do. */
export class GraphvizError extends Error {
  override readonly name = "GraphvizError";
}

/**
 * Lays out and draws `dot` as SVG.
 * Equivalent to: `dot -Tsvg` with the DOT text on stdin.
 */
export async function graphvizSvg(dot: string, runner: Runner = execaRunner): Promise<string> {
  const argv = ["dot", "-Tsvg"];
  let result;
  try {
    result = await runner(argv[0]!, argv.slice(1), { input: dot });
  } catch (e) {
    if (e instanceof SpawnError && e.code === "ENOENT") {
      throw new GraphvizError(
        "cannot run dot: Graphviz is not installed. Install Debian's graphviz (bash scripts/setup does), " +
          "or use --format mermaid or dot, which need no Graphviz.",
        { cause: e },
      );
    }
    throw e;
  }
  if (result.exitCode !== 0) {
    throw new GraphvizError(
      `${formatArgv(argv)} failed (exit ${result.exitCode}): ${result.stderr.trim() || "no error output"}. ` +
        "Run `pulumi-netns graph --format dot` to see the text it was given.",
    );
  }
  return result.stdout;
}
