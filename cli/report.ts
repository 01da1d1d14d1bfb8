// How entries read, as text and as JSON.
import { RECORD_DIRS } from "../provider/kernel/inventory";
import { where, type Entry, type ObjectRef } from "./owners";

/** What and where an object is, in a few words. */
export function describeObject(object: ObjectRef): string {
  switch (object.type) {
    case "namespace":
      return `namespace ${object.name}${object.staleFile ? " (an empty /run/netns file, no namespace)" : ""}`;
    case "link":
      return `${object.kind ?? "link"} ${object.name} in ${where(object.netns)}`;
    case "route":
      return (
        `route ${object.destination}${object.via ? ` via ${object.via}` : ""} (table ${object.table}, ` +
        `metric ${object.metric}) in ${where(object.netns)}`
      );
    case "process":
      return `process ${object.pid} (service ${object.name} in ${where(object.netns)})`;
    case "record":
      return `record ${RECORD_DIRS[object.kind]}/${object.file} (${object.stale})`;
  }
}

/** The resource an entry's mark names: `Bridge "br"`, or its stack instance for an instance record. */
export function describeOwner(entry: Entry): string {
  const owner = entry.owner;
  if (!owner) return "";
  if (entry.object.type === "record" && entry.object.kind === "instance")
    return `stack instance ${owner.instance}`;
  return `${owner.kind} ${JSON.stringify(owner.name)}`;
}

/** The group an entry is listed under: its project, stack and stack instance. */
export function groupKey(entry: Entry): string {
  const o = entry.owner;
  if (!o) return "";
  return [o.project, o.stack, o.instance ?? ""].join("\n");
}

export function groupTitle(entry: Entry): string {
  const o = entry.owner;
  if (!o) return "owner unknown";
  const instance = o.instance ? `stack instance ${o.instance}` : "made before stack instances";
  return `${o.project || "?"}/${o.stack || "?"}, ${instance}`;
}

/** An entry as JSON: the object, its owner and status, and the same words the text shows. */
export function entryJson(entry: Entry): Record<string, unknown> {
  return {
    object: entry.object,
    description: describeObject(entry.object),
    status: entry.status,
    stack: entry.stack ?? null,
    mark: entry.mark ?? null,
    owner: entry.owner
      ? {
          instance: entry.owner.instance ?? null,
          project: entry.owner.project,
          stack: entry.owner.stack,
          kind: entry.owner.kind,
          name: entry.owner.name,
        }
      : null,
    proof: entry.proof,
    note: entry.note ?? null,
  };
}

/** Pads the columns of `rows` to one width each (the last column is not padded). */
export function columns(rows: readonly (readonly string[])[], indent = "  "): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
  );
}
