// `pulumi-netns graph --live` on a real topology: two marked namespaces joined by a marked veth
// pair, a foreign namespace and foreign devices (a veth from the host's namespace, a veth to the
// foreign namespace), and VXLAN and macvlan links made with raw `ip` (the kinds are not
// pulumi-netns's yet): the model names each node and edge, and the SVG renders to a PNG.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { hostGraphSources, hostSources, main } from "../../cli/index";
import { liveGraph } from "../../cli/graph/live";
import type { GraphModel } from "../../cli/graph/model";
import { takeTopology } from "../../cli/graph/topology";
import { SERVICE_RECORD_DIR, serviceRecordFile } from "../../provider/kernel/service";
import { uniquePrefix } from "../helpers/names";
import { ip, removeByPrefix } from "../helpers/readback";
import { isRoot, requireRoot } from "../helpers/root";
import { driver } from "./provider/harness";

const p = uniquePrefix();
const [nsA, nsB, nsF] = ["a", "b", "f"].map((n) => `${p}-${n}`) as [string, string, string];
const hostEnd = `${p}h`;
const managedBy = (kind: string, name: string) => `pnt/${p}/${kind}/${name}`;
const made: { kind: "Namespace" | "VethPair" | "Service"; id: string; outs: Record<string, unknown> }[] = [];

/** This file's edges in words (other tests' namespaces left out), sorted. */
function edges(m: GraphModel): string[] {
  const mine = (label: string) => label.startsWith(p) || label === "(host)";
  const where = (id: string) => {
    const n = m.nodes.find((x) => x.id === id)!;
    const c = m.clusters.find((x) => x.id === n.cluster);
    return {
      mine: c === undefined || mine(c.label),
      text: `${c?.label ?? "-"}:${n.role === "anchor" ? "stack" : n.label[0]}`,
    };
  };
  return m.edges
    .map((e) => ({ e, from: where(e.from), to: where(e.to) }))
    .filter(
      ({ e, from, to }) =>
        from.mine && to.mine && !(from.text === "(host):stack" && e.fromLabel[0] !== hostEnd),
    )
    .map(
      ({ e, from, to }) =>
        `${from.text} -- ${to.text} ${e.ours ? "ours" : "foreign"} | ${e.label.join(", ")} | ` +
        `${e.fromLabel.join(" ")} | ${e.toLabel.join(" ")}`,
    )
    .sort();
}

describe("pulumi-netns graph --live against the kernel", { concurrency: false }, () => {
  before(async () => {
    if (!isRoot()) return;
    removeByPrefix(p);
    for (const ns of [nsA, nsB]) {
      const { id, outs } = await driver("Namespace").create({
        name: ns,
        managedBy: managedBy("Namespace", ns),
      });
      made.push({ kind: "Namespace", id, outs });
    }
    const { id, outs } = await driver("VethPair").create({
      a: { name: "va", namespace: nsA, addresses: ["10.77.0.1/24"] },
      b: { name: "vb", namespace: nsB, addresses: ["10.77.0.2/24"] },
      mtu: 1400,
      managedBy: managedBy("VethPair", "ab"),
    });
    made.push({ kind: "VethPair", id, outs });
    // Foreign: a namespace, a veth into it, a veth from the host's namespace (an nsid without a name).
    ip(["netns", "add", nsF]);
    ip(["-n", nsB, "link", "add", "name", "fx", "type", "veth", "peer", "name", "fy", "netns", nsF]);
    ip(["link", "add", "name", hostEnd, "type", "veth", "peer", "name", "hp", "netns", nsA]);
    // VXLAN over the marked cable, and macvlans on its end vb: one beside it, one moved to nsF.
    for (const [ns, dev, local, remote] of [
      [nsA, "va", "10.77.0.1", "10.77.0.2"],
      [nsB, "vb", "10.77.0.2", "10.77.0.1"],
    ] as const) {
      ip([
        "-n",
        ns,
        "link",
        "add",
        "name",
        "vx0",
        "type",
        "vxlan",
        "id",
        "42",
        "remote",
        remote,
        "local",
        local,
        "dev",
        dev,
        "dstport",
        "4789",
      ]);
    }
    // A service in nsA: a process the picture finds through its record.
    const svc = await driver("Service").create({
      namespace: nsA,
      name: "svc",
      command: ["sleep", "600"],
      managedBy: managedBy("Service", "svc"),
    });
    made.push({ kind: "Service", id: svc.id, outs: svc.outs as Record<string, unknown> });
    ip(["-n", nsB, "link", "add", "link", "vb", "name", "mv0", "type", "macvlan", "mode", "bridge"]);
    ip([
      "-n",
      nsB,
      "link",
      "add",
      "link",
      "vb",
      "name",
      "mvx",
      "netns",
      nsF,
      "type",
      "macvlan",
      "mode",
      "private",
    ]);
  });
  after(async () => {
    if (!isRoot()) return;
    // The host's end first: deleting its peer's namespace removes it too, but only a moment later,
    // after removeByPrefix may have listed it.
    try {
      ip(["link", "delete", "dev", hostEnd]);
    } catch {
      // never made (before failed), or already gone
    }
    for (const m of made.reverse()) await driver(m.kind).delete(m.id, m.outs);
    removeByPrefix(p);
  });

  test("every namespace and link, ours and foreign, peers followed across namespaces", async (t) => {
    if (!requireRoot(t)) return;
    const m = liveGraph(await takeTopology(), false);
    assert.deepEqual(
      m.clusters.filter((c) => c.label.startsWith(p)).map((c) => [c.label, c.ours]),
      [
        [nsA, true],
        [nsB, true],
        [nsF, false],
      ],
    );
    assert.deepEqual(edges(m), [
      `(host):stack -- ${nsA}:stack foreign | veth | ${hostEnd} | hp`,
      `${nsA}:stack -- ${nsB}:stack foreign | vxlan 42, mtu 1350 | vx0 via va | vx0 via vb`,
      `${nsA}:stack -- ${nsB}:vb ours | veth, mtu 1400 | va 10.77.0.1/24 | vb 10.77.0.2/24`,
      `${nsB}:stack -- ${nsF}:stack foreign | veth | fx | fy`,
      // A macvlan takes its parent's MTU.
      `${nsB}:vb -- ${nsB}:stack foreign | macvlan, bridge, mtu 1400 |  | mv0`,
      `${nsB}:vb -- ${nsF}:stack foreign | macvlan, private, mtu 1400 |  | mvx`,
    ]);
  });

  test("--only-ours: the marked namespaces and the marked cable", async (t) => {
    if (!requireRoot(t)) return;
    const m = liveGraph(await takeTopology(), true);
    assert.deepEqual(
      m.clusters.filter((c) => c.label.startsWith(p) || c.label === "(host)").map((c) => c.label),
      [nsA, nsB],
    );
    assert.deepEqual(edges(m), [
      `${nsA}:stack -- ${nsB}:stack ours | veth, mtu 1400 | va 10.77.0.1/24 | vb 10.77.0.2/24`,
    ]);
  });

  test("a service's process in its namespace's box: running (named by its record or not), then not once it is killed", async (t) => {
    if (!requireRoot(t)) return;
    const processes = (m: GraphModel) =>
      m.nodes
        .filter(
          (n) => n.role === "process" && m.clusters.find((c) => c.id === n.cluster)?.label.startsWith(p),
        )
        .map((n) => `${m.clusters.find((c) => c.id === n.cluster)!.label}:${n.label.join(" ")}`);
    assert.deepEqual(processes(liveGraph(await takeTopology(), true)), [`${nsA}:svc sleep running`]);
    const pid = made.find((m) => m.kind === "Service")!.outs.pid as number;
    // A record that names no pid yet (a start killed before its rewrite): the process is found by
    // its environment, as ls and gc find it.
    const record = `${SERVICE_RECORD_DIR}/${serviceRecordFile(nsA, "svc")}`;
    const written = readFileSync(record, "utf8");
    const [markLine, details, ...rest] = written.split("\n");
    const unnamed = JSON.parse(details!) as Record<string, unknown>;
    delete unnamed.pid;
    delete unnamed.startTime;
    writeFileSync(record, [markLine, JSON.stringify(unnamed), ...rest].join("\n"));
    try {
      assert.deepEqual(processes(liveGraph(await takeTopology(), true)), [`${nsA}:svc sleep running`]);
    } finally {
      writeFileSync(record, written);
    }
    process.kill(pid, "SIGKILL");
    for (let i = 0; i < 50 && existsSync(`/proc/${pid}/environ`); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(processes(liveGraph(await takeTopology(), false)), [`${nsA}:svc not running`]);
  });

  test("the SVG names each namespace once and renders to a PNG", async (t) => {
    if (!requireRoot(t)) return;
    const dir = mkdtempSync(path.join(tmpdir(), `${p}-graph-`));
    try {
      const svg = path.join(dir, "live.svg");
      const result = await main(["graph", "--live", "--output", svg], "/", {
        ...hostSources,
        ...hostGraphSources,
      });
      assert.equal(result.exitCode, 0, result.stderr);
      // Graphviz writes some characters as XML character references (`-` as `&#45;`).
      const texts = [...readFileSync(svg, "utf8").matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((x) =>
        x[1]!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))),
      );
      for (const ns of [nsA, nsB, nsF]) {
        assert.equal(
          texts.filter((s) => s === ns).length,
          1,
          `one <text> naming ${ns} in ${JSON.stringify(texts)}`,
        );
      }
      const png = path.join(dir, "live.png");
      execFileSync("rsvg-convert", ["--output", png, svg]);
      assert.ok(statSync(png).size > 1000, "a PNG of more than 1000 bytes");
      assert.deepEqual(
        [...readFileSync(png).subarray(0, 8)],
        [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
