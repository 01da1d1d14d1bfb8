// The bench is not a test, but it must keep working: its smallest star (N=5) runs end to end
// through the user's-path rows (the Lan, the TypeScript project, the toolchain floor) and the
// kernel floors. Left out: Mininet's rows, the remote ones (they start two sshd machines; the kernel
// and engine tiers run those paths) and the Automation API diagnostics. No timing is judged. A test file rather than a step after the
// tests, so the runner fits it beside the other files instead of after them.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";
import { repoRoot } from "../helpers/engine";
import { requireRoot } from "../helpers/root";

test("the bench's star runs end to end at N=5 and cleans up", async (t) => {
  if (!requireRoot(t)) return;
  const env = {
    ...process.env,
    BENCH_SIZES: "5",
    BENCH_SKIP_MININET: "1",
    BENCH_SKIP_REMOTE: "1",
    BENCH_SETTLE_MS: "0",
    BENCH_HEADLINE_ONLY: "1",
  };
  const bench = spawn(process.execPath, [path.join(repoRoot, "dist", "bench", "star.js")], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  bench.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => bench.on("close", resolve));
  assert.equal(code, 0, `bench/star.js failed:\n${stderr.slice(-4000)}`);
  // Its own last line says whether it left anything behind.
  assert.match(stderr, /clean: .*none of ours left/);
});
