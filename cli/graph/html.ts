// The picture as one self-contained HTML page: the SVG inline, styles inline, no script and no
// network access needed to view it.
import type { GraphModel } from "./model";
import { hasDrift } from "./model";

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

/** The SVG document without its XML declaration and DOCTYPE, which cannot stand inside HTML. */
export function inlineSvg(svg: string): string {
  const start = svg.indexOf("<svg");
  if (start < 0) throw new Error("graphviz printed no <svg> element");
  return svg.slice(start).trim();
}

export function renderHtml(m: GraphModel, svg: string): string {
  const note = hasDrift(m)
    ? '<p class="drift">Red marks drift: what the state holds and the kernel does not (or not so).</p>'
    : "";
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<title>${escapeHtml(m.title)}</title>`,
    "<style>body{font-family:Helvetica,Arial,sans-serif;margin:1.5em}svg{max-width:100%;height:auto}" +
      ".drift{color:#d1242f}.legend{color:#555}</style>",
    "</head>",
    "<body>",
    `<h1>${escapeHtml(m.title)}</h1>`,
    note,
    '<p class="legend">Boxes around: namespaces. Filled boxes: bridges. Dots: a namespace\'s own stack, ' +
      "where links that are on no bridge end. Grey and dashed: not made by pulumi-netns.</p>",
    inlineSvg(svg),
    "</body>",
    "</html>",
  ]
    .filter((l) => l !== "")
    .join("\n")
    .concat("\n");
}
