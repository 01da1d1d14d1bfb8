// README blocks the tests run as written. A block is the fenced code block after a marker line,
// the scheme .ci/run uses for the root README: `<!-- readme-command: NAME -->` marks commands,
// `<!-- readme-output: NAME -->` the lines a user should see among their output.

export type BlockKind = "command" | "output";

/** The body of the first fenced block after `<!-- readme-KIND: NAME -->`; undefined if none. */
export function readmeBlock(markdown: string, kind: BlockKind, name: string): string | undefined {
  const lines = markdown.split("\n");
  const marker = lines.indexOf(`<!-- readme-${kind}: ${name} -->`);
  if (marker < 0) return undefined;
  const open = lines.findIndex((line, i) => i > marker && line.startsWith("```"));
  if (open < 0) return undefined;
  const close = lines.findIndex((line, i) => i > open && line.startsWith("```"));
  if (close < 0) return undefined;
  return lines.slice(open + 1, close).join("\n");
}

const ansiEscape = new RegExp(String.raw`\u001b\[[0-9;]*[A-Za-z]`, "g");
const normalize = (line: string) => line.replace(ansiEscape, "").replace(/\s+/g, " ").trim();

/** Whether `line` holds the parts of `pattern` between its `...`s, in order. */
function matches(line: string, pattern: string): boolean {
  let from = 0;
  for (const part of pattern.split("...").map((p) => p.trim())) {
    const at = line.indexOf(part, from);
    if (at < 0) return false;
    from = at + part.length;
  }
  return true;
}

/**
 * The expected lines that are missing from `output`: each non-blank line of `expected` must be
 * part of a line of `output`, in the same order, ignoring colours and runs of whitespace; `...`
 * stands for anything. So a README shows the lines that matter (`0% packet loss`) and elides
 * what varies (`time=... ms`).
 */
export function missingLines(expected: string, output: string): string[] {
  const actual = output.split("\n").map(normalize);
  const missing: string[] = [];
  let from = 0;
  for (const want of expected.split("\n").map(normalize)) {
    if (want === "") continue;
    const at = actual.findIndex((line, i) => i >= from && matches(line, want));
    if (at < 0) missing.push(want);
    else from = at + 1;
  }
  return missing;
}
