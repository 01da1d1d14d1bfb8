// The model as a Mermaid flowchart, to paste into a README or a GitHub comment: namespaces as
// subgraphs, links as edges labelled with their ends. Mermaid has one label per edge, so the ends
// are written `a ⟷ b` in it.
import type { GraphEdge, GraphModel, GraphNode } from "./model";

/** Mermaid's entity codes, so no name can end a label or inject markup. */
export function mermaidText(lines: readonly string[]): string {
  const escaped = lines.map((l) => l.replace(/[#"<>&|`[\]{}()]/g, (c) => `#${c.charCodeAt(0)};`));
  return `"${escaped.join("<br>")}"`;
}

const driftWords = (drift: readonly string[]) => drift.map((d) => `DRIFT: ${d}`);

function node(n: GraphNode): string {
  const text = mermaidText([...n.label, ...driftWords(n.drift)]);
  switch (n.role) {
    case "anchor":
      return `${n.id}((" "))`;
    case "bridge":
      return `${n.id}[[${text}]]`;
    case "tap":
      return `${n.id}>${text}]`;
    case "vm":
      return `${n.id}[/${text}/]`;
    case "device":
      return `${n.id}[${text}]`;
    case "remote":
      return `${n.id}([${text}])`;
    case "process":
      return `${n.id}{{${text}}}`;
  }
}

function edgeText(e: GraphEdge): string[] {
  const ends =
    e.fromLabel.length > 0 && e.toLabel.length > 0
      ? [`${e.fromLabel.join(" ")} ⟷ ${e.toLabel.join(" ")}`]
      : [[...e.fromLabel, ...e.toLabel].join(" ")].filter((s) => s !== "");
  return [...ends, ...(e.label.length > 0 ? [e.label.join(", ")] : []), ...driftWords(e.drift)];
}

export function renderMermaid(m: GraphModel): string {
  const out = ["---", `title: ${mermaidText([m.title]).slice(1, -1)}`, "---", "flowchart LR"];
  for (const c of m.clusters) {
    out.push(`  subgraph ${c.id}[${mermaidText([c.label, ...driftWords(c.drift)])}]`);
    for (const n of m.nodes.filter((n) => n.cluster === c.id)) out.push(`    ${node(n)}`);
    out.push("  end");
  }
  for (const n of m.nodes.filter((n) => n.cluster === undefined)) out.push(`  ${node(n)}`);
  m.edges.forEach((e) => {
    const text = edgeText(e);
    const arrow = e.kind === "vm" || !e.ours ? "-.-" : "---";
    out.push(`  ${e.from} ${arrow}${text.length > 0 ? `|${mermaidText(text)}|` : ""} ${e.to}`);
  });
  // Mermaid's `style` takes one id; a class takes many, subgraphs too.
  const classed = (name: string, css: string, ids: string[]) => {
    if (ids.length === 0) return;
    out.push(`  classDef ${name} ${css}`, `  class ${ids.join(",")} ${name}`);
  };
  const linkStyle = (idx: number[], css: string) =>
    idx.length > 0 && out.push(`  linkStyle ${idx.join(",")} ${css}`);
  classed(
    "foreign",
    "stroke:#8a8a8a,stroke-dasharray:5 5,color:#8a8a8a",
    [...m.clusters, ...m.nodes.filter((n) => n.role !== "anchor")]
      .filter((x) => !x.ours && x.drift.length === 0)
      .map((x) => x.id),
  );
  classed(
    "drift",
    "stroke:#d1242f,stroke-width:3px,color:#d1242f",
    [...m.clusters, ...m.nodes].filter((x) => x.drift.length > 0).map((x) => x.id),
  );
  linkStyle(
    m.edges.flatMap((e, i) => (e.drift.length > 0 ? [i] : [])),
    "stroke:#d1242f,stroke-width:3px,color:#d1242f",
  );
  linkStyle(
    m.edges.flatMap((e, i) => (!e.ours && e.drift.length === 0 ? [i] : [])),
    "stroke:#8a8a8a,color:#8a8a8a",
  );
  return out.join("\n") + "\n";
}
