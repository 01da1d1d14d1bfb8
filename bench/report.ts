// The results: rows of figures per size, growth per 10x, the targets, the printed table and the
// Markdown written next to the JSON.

export type Unit = "s" | "%" | "B" | "MiB" | "count" | "x";

export interface Row {
  readonly id: string;
  readonly label: string;
  readonly unit: Unit;
  /** By N; null: not measured (see `notes`). */
  readonly values: Record<string, number | null>;
  readonly notes: Record<string, string>;
}

export class Rows {
  readonly rows: Row[] = [];

  row(id: string, label: string, unit: Unit): Row {
    let row = this.rows.find((r) => r.id === id);
    if (!row) {
      row = { id, label, unit, values: {}, notes: {} };
      this.rows.push(row);
    }
    return row;
  }

  set(id: string, label: string, unit: Unit, n: number, value: number | null, note?: string): void {
    const row = this.row(id, label, unit);
    row.values[n] = value;
    if (note) row.notes[n] = note;
  }

  get(id: string, n: number): number | null {
    return this.rows.find((r) => r.id === id)?.values[n] ?? null;
  }
}

export interface Growth {
  readonly id: string;
  /** Factor per 10x of N between the smallest and largest size measured. */
  readonly perTenX: number;
  /** Exponent k in value ~ N^k between the two largest sizes (1: linear). */
  readonly localExponent: number;
  readonly superLinear: boolean;
}

/** Growth of every row with values at two sizes or more; super-linear: local exponent > 1.15. */
export function growth(rows: readonly Row[], sizes: readonly number[]): Growth[] {
  const sorted = [...sizes].sort((a, b) => a - b);
  const out: Growth[] = [];
  for (const row of rows) {
    if (row.unit === "%") continue;
    const have = sorted.filter((n) => (row.values[n] ?? 0) > 0);
    if (have.length < 2) continue;
    const [lo, hi] = [have[0] as number, have[have.length - 1] as number];
    const prev = have[have.length - 2] as number;
    const v = (n: number) => row.values[n] as number;
    const k = (a: number, b: number) => Math.log(v(b) / v(a)) / Math.log(b / a);
    const localExponent = k(prev, hi);
    out.push({ id: row.id, perTenX: 10 ** k(lo, hi), localExponent, superLinear: localExponent > 1.15 });
  }
  return out;
}

export interface Target {
  readonly name: string;
  readonly n: number;
  readonly met: boolean | null;
  readonly detail: string;
}

const f2 = (x: number) => x.toFixed(2);

/**
 * The targets on the user's path (the CLI on a TypeScript project): at N=100 `up` no slower than
 * Mininet, a no-op `preview` within 2 s and `destroy` no slower than `up`; at N=1 `up` within 2 s;
 * from N=100 to N=1000 `up` at most 11x (linear); at N=50 the star on machine B over SSH at most
 * 1.2x the same star here. Each is n/a when its sizes were not measured.
 */
export function targets(r: Rows, sizes: readonly number[]): Target[] {
  const at = (id: string, n: number) => (sizes.includes(n) ? r.get(id, n) : null);
  const target = (
    name: string,
    n: number,
    values: (number | null)[],
    judge: (v: number[]) => [boolean, string],
  ) => {
    if (values.some((v) => v === null)) return { name, n, met: null, detail: "not measured" };
    const [met, detail] = judge(values as number[]);
    return { name, n, met, detail };
  };
  // Judged for both ways of writing the star: one Lan (the README's way for large labs) and 2N+2
  // fine-grained resources; the toolchain's floor at the same size is shown beside the 2 s targets.
  const floor = (n: number) => {
    const v = at("userFloor.up", n);
    return v === null ? "" : `; the toolchain's floor, one no-op resource: up ${f2(v)} s`;
  };
  const floorPreview = (n: number) => {
    const v = at("userFloor.preview", n);
    return v === null ? "" : `; floor ${f2(v)} s`;
  };
  return (
    [
      ["userLan", "one Lan"],
      ["user", "fine-grained"],
    ] as const
  ).flatMap(([id, how]) => [
    target(
      `${how}: up <= Mininet create+teardown`,
      100,
      [at(`${id}.up`, 100), at("mininet", 100)],
      ([up, mn]) => [up! <= mn!, `up ${f2(up!)} s vs Mininet ${f2(mn!)} s (${f2(up! / mn!)}x)`],
    ),
    target(`${how}: no-op preview <= 2 s`, 100, [at(`${id}.preview`, 100)], ([p]) => [
      p! <= 2,
      `preview ${f2(p!)} s${floorPreview(100)}`,
    ]),
    target(`${how}: destroy <= up`, 100, [at(`${id}.destroy`, 100), at(`${id}.up`, 100)], ([d, up]) => [
      d! <= up!,
      `destroy ${f2(d!)} s vs up ${f2(up!)} s`,
    ]),
    target(`${how}: up <= 2 s`, 1, [at(`${id}.up`, 1)], ([up]) => [up! <= 2, `up ${f2(up!)} s${floor(1)}`]),
    target(
      `${how}: up at N=1000 <= 11x up at N=100`,
      1000,
      [at(`${id}.up`, 1000), at(`${id}.up`, 100)],
      ([big, small]) => [
        big! <= 11 * small!,
        `${f2(big!)} s vs 11 x ${f2(small!)} = ${f2(11 * small!)} s (${f2(big! / small!)}x)`,
      ],
    ),
    target(
      `${how}: up on machine B over SSH <= 1.2x up here`,
      50,
      [at(id === "user" ? "remote.up" : "remoteLan.up", 50), at(`${id}.up`, 50)],
      ([remote, local]) => [
        remote! <= 1.2 * local!,
        `${f2(remote!)} s vs ${f2(local!)} s (${f2(remote! / local!)}x)`,
      ],
    ),
  ]);
}

function cell(row: Row, n: number): string {
  const v = row.values[n];
  if (v === undefined) return "";
  if (v === null) return "n/a";
  switch (row.unit) {
    case "s":
      return v.toFixed(2);
    case "%":
      return `${v >= 0 ? "+" : ""}${v.toFixed(0)}%`;
    case "x":
      return `${v.toFixed(2)}x`;
    case "MiB":
      return v.toFixed(0);
    default:
      return String(Math.round(v));
  }
}

const unitLabel = (row: Row) => (["s", "%", "x"].includes(row.unit) ? "" : ` (${row.unit})`);

/** A fixed-width table for the terminal. */
export function textTable(rows: readonly Row[], sizes: readonly number[]): string {
  const width = Math.max(...rows.map((r) => (r.label + unitLabel(r)).length), 10) + 2;
  const head = "seconds unless noted".padEnd(width) + sizes.map((n) => `N=${n}`.padStart(10)).join("");
  const lines = rows.map(
    (r) => (r.label + unitLabel(r)).padEnd(width) + sizes.map((n) => cell(r, n).padStart(10)).join(""),
  );
  return [head, "-".repeat(head.length), ...lines].join("\n");
}

/** The same table in Markdown, with the reasons for empty cells below it. */
export function markdownTable(rows: readonly Row[], sizes: readonly number[]): string {
  const head = `| seconds unless noted | ${sizes.map((n) => `N=${n}`).join(" | ")} |`;
  const rule = `| --- | ${sizes.map(() => "---:").join(" | ")} |`;
  const lines = rows.map(
    (r) => `| ${r.label}${unitLabel(r)} | ${sizes.map((n) => cell(r, n)).join(" | ")} |`,
  );
  const notes = rows.flatMap((r) =>
    Object.entries(r.notes).map(([n, note]) => `- ${r.label}, N=${n}: ${note}`),
  );
  return [head, rule, ...lines, ...(notes.length ? ["", ...notes] : [])].join("\n");
}
