import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import type { TestEvent } from "node:test/reporters";
import { timingReporter, timingSummary, tierOf, wallTime } from "../helpers/timing";

test("tierOf is the directory under test/", () => {
  assert.equal(tierOf("dist/test/unit/cli/graph.test.js"), "unit");
  assert.equal(tierOf("dist/test/engine/examples.test.js"), "engine");
  assert.equal(tierOf("/abs/dist/test/reliability/crash.test.js"), "reliability");
});

test("wallTime counts overlapping files once and a gap not at all", () => {
  const run = (start: number, end: number) => ({ file: "f", start, end });
  assert.equal(wallTime([run(0, 10), run(5, 15), run(20, 30), run(22, 25)]), 25);
  assert.equal(wallTime([]), 0);
});

test("the summary gives each tier's wall time and the slowest files first", () => {
  const summary = timingSummary(
    [
      { file: "dist/test/unit/a.test.js", start: 0, end: 1_000 },
      { file: "dist/test/unit/b.test.js", start: 1_000, end: 1_500 },
      { file: "dist/test/engine/c.test.js", start: 1_500, end: 61_500 },
    ],
    2,
  );
  assert.deepEqual(summary.split("\n"), [
    "==> wall time per tier",
    "  unit       1.5 s  (2 files)",
    "  engine    60.0 s  (1 file)",
    "  all       61.5 s",
    "==> the 2 slowest test files",
    "     60.0 s  dist/test/engine/c.test.js",
    "      1.0 s  dist/test/unit/a.test.js",
    "",
  ]);
});

test("the reporter times files, not the tests in them", async () => {
  const complete = (name: string, file: string, ms: number): TestEvent => ({
    type: "test:complete",
    data: { name, file, nesting: 0, testNumber: 1, details: { passed: true, duration_ms: ms } },
  });
  const file = "dist/test/unit/x.test.js";
  async function* events(): AsyncGenerator<TestEvent> {
    yield complete("a test in x", path.resolve(file), 100_000);
    yield complete(file, path.resolve(file), 2_000);
  }
  const chunks: string[] = [];
  for await (const chunk of timingReporter(events())) chunks.push(chunk);
  assert.match(chunks.join(""), /^ +unit +2\.0 s +\(1 file\)$/m);
  assert.doesNotMatch(chunks.join(""), /100\.0 s/);
});
