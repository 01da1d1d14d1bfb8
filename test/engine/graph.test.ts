// `pulumi-netns graph` on a deployed example, through the real CLI: the command runs as a user
// runs it, in the example's directory, and reads the stack's state the way Pulumi does. Then drift
// made by hand (a port taken off its bridge, a namespace deleted) is drawn in red and exits 3,
// and refresh + up make the picture clean again.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, test } from "node:test";
import { projectStack, repoRoot } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import { ip } from "../helpers/readback";
import { requireRoot } from "../helpers/root";

const example = path.join(repoRoot, "examples", "two-hosts-bridge");
const cli = path.join(repoRoot, "dist", "cli", "index.js");

describe("pulumi-netns graph on an example stack", () => {
  test("two-hosts-bridge: its picture, then drift marked", { timeout: 10 * 60_000 }, async (t) => {
    if (!requireRoot(t)) return;
    const p = uniquePrefix();
    const stackName = `${p}-graph`;
    const s = await projectStack({ stackName, workDir: example });
    const graph = (...args: string[]) => {
      const r = spawnSync(
        process.execPath,
        [cli, "graph", "--stack", stackName, "--format", "dot", ...args],
        {
          cwd: example,
          encoding: "utf8",
          // The test stack's backend, home and passphrase: where `pulumi stack export` finds it.
          env: { ...process.env, ...s.stack.workspace.envVars, PULUMI_HOME: s.stack.workspace.pulumiHome },
        },
      );
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    try {
      for (const [key, value] of Object.entries({ namespacePrefix: `${p}-`, mtu: "1400" })) {
        await s.stack.setConfig(key, { value });
      }
      await s.stack.up();
      const clean = graph();
      assert.equal(clean.status, 0, clean.stderr);
      const lines = clean.stdout.split("\n").map((l) => l.trim());
      for (const [i, ns] of ["bridge", "net0", "net1"].entries()) {
        assert.ok(
          lines.includes(`graph [label="${p}-${ns}", style=rounded, color="#1f6feb"];`),
          `cluster ${ns}`,
        );
        assert.ok(lines.includes(`subgraph "cluster_ns${i}" {`));
      }
      assert.ok(
        lines.includes(
          `graph [label="two-hosts-bridge / ${stackName}", labelloc=t, fontname=Helvetica, rankdir=LR, nodesep=0.8, ranksep=2.6];`,
        ),
      );
      assert.ok(
        lines.includes(`ns0_n1 [shape=box, style="rounded,filled", fillcolor="#e8f0fe", label="br"];`),
      );
      const cable = (host: string, i: number, address: string, drift = "") =>
        `ns0_n1 -- ns${i}_stack [label="veth\\nmtu 1400${drift}", taillabel="bridge-${host}", ` +
        `headlabel="${host}-bridge\\n${address}"`;
      assert.deepEqual(
        lines.filter((l) => l.startsWith("ns0_n1 -- ")),
        [`${cable("net0", 1, "10.0.1.1/24")}];`, `${cable("net1", 2, "10.0.1.2/24")}];`],
      );
      assert.doesNotMatch(clean.stdout, /DRIFT/);
      // The same state and kernel, the same bytes.
      assert.equal(graph().stdout, clean.stdout);

      ip(["-n", `${p}-bridge`, "link", "set", "dev", "bridge-net0", "nomaster"]);
      ip(["netns", "delete", `${p}-net1`]);
      const drifted = graph();
      assert.equal(drifted.status, 3, drifted.stderr);
      assert.match(drifted.stderr, /marks drift/);
      const red = ', color="#d1242f", fontcolor="#d1242f", penwidth=2.5];';
      const driftLines = drifted.stdout.split("\n").map((l) => l.trim());
      assert.deepEqual(
        driftLines.filter((l) => l.startsWith("ns0_n1 -- ")),
        [
          `${cable("net0", 1, "10.0.1.1/24", "\\nDRIFT: lost its master br")}${red}`,
          `${cable("net1", 2, "10.0.1.2/24", "\\nDRIFT: missing from the kernel")}${red}`,
        ],
      );
      assert.ok(
        driftLines.includes(
          `graph [label="${p}-net1\\nDRIFT: missing from the kernel", style=rounded, color="#d1242f", fontcolor="#d1242f", penwidth=2.5];`,
        ),
      );

      await s.stack.refresh();
      await s.stack.up();
      const repaired = graph();
      assert.equal(repaired.status, 0, repaired.stderr);
      assert.equal(repaired.stdout, clean.stdout);
      await s.stack.destroy();
    } finally {
      await s.dispose();
    }
  });
});
