// The model as Graphviz DOT: namespaces as clusters, edges with their ends' names and addresses
// at the ends. What is not ours is grey and dashed; drift is red and says what drifted.
import type { GraphEdge, GraphModel, GraphNode } from "./model";

const FOREIGN = "#8a8a8a";
const DRIFT = "#d1242f";
const FONT = "Helvetica";

/** A DOT double-quoted string; its lines joined with centred line breaks. */
export function dotString(lines: readonly string[]): string {
  return `"${lines.map((l) => l.replace(/\\/g, "\\\\").replace(/"/g, '\\"')).join("\\n")}"`;
}

const attrs = (a: Record<string, string | undefined>): string =>
  `[${Object.entries(a)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ")}]`;

const driftWords = (drift: readonly string[]) => drift.map((d) => `DRIFT: ${d}`);

function nodeAttrs(n: GraphNode): Record<string, string | undefined> {
  const color = n.drift.length > 0 ? DRIFT : n.ours ? undefined : FOREIGN;
  const common = {
    color: color && `"${color}"`,
    fontcolor: color && `"${color}"`,
    penwidth: n.drift.length > 0 ? "2" : undefined,
  };
  const label = dotString([...n.label, ...driftWords(n.drift)]);
  switch (n.role) {
    case "anchor":
      return { shape: "point", width: "0.12", ...common };
    case "bridge":
      return {
        shape: "box",
        style: n.ours ? '"rounded,filled"' : '"rounded,dashed"',
        fillcolor: '"#e8f0fe"',
        label,
        ...common,
      };
    case "tap":
      return { shape: "cds", style: n.ours ? undefined : "dashed", label, ...common };
    case "vm":
      return { shape: "box3d", style: "dashed", label, ...common };
    case "device":
      return { shape: "box", style: n.ours ? undefined : "dashed", label, ...common };
    case "remote":
      return { shape: "ellipse", style: "dashed", label, ...common };
    case "process":
      return { shape: "component", style: n.ours ? undefined : "dashed", label, ...common };
  }
}

function edgeAttrs(e: GraphEdge): Record<string, string | undefined> {
  const color = e.drift.length > 0 ? DRIFT : e.ours ? undefined : FOREIGN;
  const label = [...e.label, ...driftWords(e.drift)];
  return {
    label: label.length > 0 ? dotString(label) : undefined,
    taillabel: e.fromLabel.length > 0 ? dotString(e.fromLabel) : undefined,
    headlabel: e.toLabel.length > 0 ? dotString(e.toLabel) : undefined,
    style: e.kind === "vm" || !e.ours ? "dashed" : undefined,
    color: color && `"${color}"`,
    fontcolor: color && `"${color}"`,
    penwidth: e.drift.length > 0 ? "2.5" : undefined,
  };
}

export function renderDot(m: GraphModel): string {
  const out = [
    `graph ${dotString(["pulumi-netns"])} {`,
    `  graph ${attrs({ label: dotString([m.title]), labelloc: "t", fontname: FONT, rankdir: "LR", nodesep: "0.8", ranksep: "2.6" })};`,
    `  node ${attrs({ fontname: FONT, fontsize: "11" })};`,
    `  edge ${attrs({ fontname: FONT, fontsize: "10", labeldistance: "6", labelangle: "12" })};`,
  ];
  for (const c of m.clusters) {
    const color = c.drift.length > 0 ? DRIFT : c.ours ? "#1f6feb" : FOREIGN;
    out.push(`  subgraph ${dotString([`cluster_${c.id}`])} {`);
    out.push(
      `    graph ${attrs({
        label: dotString([c.label, ...driftWords(c.drift)]),
        style: c.ours ? "rounded" : '"rounded,dashed"',
        color: `"${color}"`,
        fontcolor: c.drift.length > 0 ? `"${DRIFT}"` : undefined,
        penwidth: c.drift.length > 0 ? "2.5" : undefined,
      })};`,
    );
    for (const n of m.nodes.filter((n) => n.cluster === c.id))
      out.push(`    ${n.id} ${attrs(nodeAttrs(n))};`);
    out.push("  }");
  }
  for (const n of m.nodes.filter((n) => n.cluster === undefined))
    out.push(`  ${n.id} ${attrs(nodeAttrs(n))};`);
  for (const e of m.edges) out.push(`  ${e.from} -- ${e.to} ${attrs(edgeAttrs(e))};`);
  out.push("}");
  return out.join("\n") + "\n";
}
