// `pulumi-netns graph` without root or engine: the model from recorded state exports and
// recorded `ip -j` output, the renderers, the command line. The recordings (test/fixtures/graph)
// are real: the default topology deployed by `pulumi up` (its state, and the kernel before and
// after drift made by hand), and a host with foreign devices, VXLAN, macvlan and a tap.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { chooseFormat, graph, render, type GraphOptions, type GraphSources } from "../../../cli/graph";
import { renderDot } from "../../../cli/graph/dot";
import { liveGraph } from "../../../cli/graph/live";
import { renderMermaid } from "../../../cli/graph/mermaid";
import { buildGraph, hasDrift, type GraphModel, type LinkFacts } from "../../../cli/graph/model";
import { MISSING, NOT_RUNNING, stateGraph, type KindLookup } from "../../../cli/graph/state";
import { main } from "../../../cli/index";
import type { Sources } from "../../../cli/ls";
import { graphvizSvg } from "../../../cli/graph/graphviz";
import { parseJsonStream } from "../../../provider/kernel/ip";
import { topologyNamespaceFrom, type Topology, type TopologyProcess } from "../../../cli/graph/topology";
import { ownerMark } from "../../../provider/ownership";
import { kinds } from "../../../provider/kinds";

const root = path.resolve(__dirname, "../../../..");
const fixture = (name: string) => readFileSync(path.join(root, "test/fixtures/graph", name), "utf8");

/** A recorded host: per namespace ("" the host's), what its `ip -j -d -N -batch -` printed. */
function recordedTopology(name: string): Topology {
  const outputs = JSON.parse(fixture(name)) as Record<string, string>;
  return {
    namespaces: Object.entries(outputs).map(([ns, text]) =>
      topologyNamespaceFrom(ns === "" ? undefined : ns, parseJsonStream(text)),
    ),
  };
}

const kindOf: KindLookup = (kind) =>
  Object.hasOwn(kinds, kind) ? kinds[kind as keyof typeof kinds] : undefined;
const defaultState = JSON.parse(fixture("default-state.json")) as unknown;

/** Each edge in words: `namespace:node -- namespace:node kind | middle | from-end | to-end`. */
function edges(m: GraphModel): string[] {
  const where = (id: string) => {
    const n = m.nodes.find((x) => x.id === id)!;
    const c = m.clusters.find((x) => x.id === n.cluster);
    return `${c?.label ?? "-"}:${n.role === "anchor" ? "stack" : n.label[0]}`;
  };
  return m.edges.map(
    (e) =>
      `${where(e.from)} -- ${where(e.to)} ${e.kind} | ${e.label.join(", ")} | ${e.fromLabel.join(" ")} | ` +
      `${e.toLabel.join(" ")}${e.drift.length > 0 ? ` | DRIFT ${e.drift.join("; ")}` : ""}`,
  );
}

/** Each node that is not a namespace's stack: `namespace:role:label`. */
function nodes(m: GraphModel): string[] {
  return m.nodes
    .filter((n) => n.role !== "anchor")
    .map((n) => `${m.clusters.find((c) => c.id === n.cluster)?.label ?? "-"}:${n.role}:${n.label.join(" ")}`);
}

function sources(topology: () => Promise<Topology>, exported: unknown = defaultState): GraphSources {
  return {
    readStack: async () => ({ project: "pulumi-netns", dir: root, stack: "dev", exported }),
    takeTopology: topology,
    kinds: () => kindOf,
    renderSvg: (dot) => graphvizSvg(dot),
  };
}

const options = (o: Partial<GraphOptions> = {}): GraphOptions => ({
  stack: undefined,
  live: false,
  onlyOurs: false,
  format: undefined,
  output: undefined,
  cwd: root,
  ...o,
});

describe("graph model from recorded ip -j output (--live)", () => {
  const mixed = liveGraph(recordedTopology("mixed-kernel.json"), false);

  it("draws every namespace, the host's too, as not ours", () => {
    assert.deepEqual(
      mixed.clusters.map((c) => [c.label, c.ours]),
      [
        ["(host)", false],
        ["A", false],
        ["B", false],
        ["hub", false],
      ],
    );
  });

  it("follows veth peers across namespaces, macvlans to their parents, VXLAN to its peer or remote", () => {
    assert.deepEqual(edges(mixed), [
      "(host):stack -- hub:br0 veth | veth, mtu 9000 | hostv | hv",
      "A:va -- B:vb veth | veth | va 10.9.0.1/24 | vb 10.9.0.2/24",
      "A:va -- B:stack macvlan | macvlan, private |  | mvA",
      "A:stack -- B:stack vxlan | vxlan 42, mtu 1450 | vx0 via va | vx0 via vb",
      "A:stack -- -:remote 192.0.2.1 vxlan | vxlan 7 | vx1 | ",
      "B:vb -- B:stack macvlan | macvlan, bridge |  | mv0",
      "hub:br0 -- hub:tap0 port |  |  | ",
      "hub:tap0 -- hub:VM vm |  |  | ",
    ]);
    assert.deepEqual(nodes(mixed), [
      "A:device:va veth 10.9.0.1/24",
      "B:device:vb veth 10.9.0.2/24",
      "hub:bridge:br0",
      "hub:tap:tap0",
      "-:remote:remote 192.0.2.1",
      "hub:vm:VM",
    ]);
    assert.ok(mixed.edges.every((e) => !e.ours) && mixed.nodes.every((n) => !n.ours));
  });

  it("--only-ours keeps what carries our marks", () => {
    assert.deepEqual(liveGraph(recordedTopology("mixed-kernel.json"), true).clusters, []);
    const ours = liveGraph(recordedTopology("default-kernel.json"), true);
    assert.deepEqual(
      ours.clusters.map((c) => [c.label, c.ours]),
      [
        ["bridge", true],
        ["net0", true],
        ["net1", true],
      ],
    );
    assert.deepEqual(edges(ours), [
      "bridge:br -- net0:stack veth | veth | bridge-net0 | net0-bridge 10.0.1.1/24",
      "bridge:br -- net1:stack veth | veth | bridge-net1 | net1-bridge 10.0.1.2/24",
    ]);
  });
});

describe("graph model from a recorded state export", () => {
  it("draws the stack's namespaces, bridge and cables; no drift when the kernel agrees", () => {
    const m = stateGraph("t", defaultState, kindOf, recordedTopology("default-kernel.json"));
    assert.deepEqual(
      m.clusters.map((c) => [c.label, c.ours, c.drift]),
      [
        ["bridge", true, []],
        ["net0", true, []],
        ["net1", true, []],
      ],
    );
    assert.deepEqual(nodes(m), ["bridge:bridge:br"]);
    assert.deepEqual(edges(m), [
      "bridge:br -- net0:stack veth | veth | bridge-net0 | net0-bridge 10.0.1.1/24",
      "bridge:br -- net1:stack veth | veth | bridge-net1 | net1-bridge 10.0.1.2/24",
    ]);
  });

  it("draws a Lan: its hub and host namespaces are the stack's, the address is on the host's end", () => {
    const m = stateGraph("t", JSON.parse(fixture("lan-state.json")), kindOf, undefined);
    assert.deepEqual(
      m.clusters.map((c) => [c.label, c.ours]),
      [
        ["pnq-h1", true],
        ["pnq-h2", true],
        ["pnq-h3", true],
        ["pnq-hub", true],
      ],
    );
    assert.deepEqual(nodes(m), ["pnq-hub:bridge:br"]);
    // Without the kernel's view a Lan's cable is a pair of ends (the Lan makes links of two kinds).
    assert.deepEqual(edges(m), [
      "pnq-h1:stack -- pnq-hub:br pair | pair | eth0 10.20.0.1/16 | h1",
      "pnq-h2:stack -- pnq-hub:br pair | pair | eth0 10.20.0.2/16 | h2",
      "pnq-h3:stack -- pnq-hub:br pair | pair | eth0 10.20.0.3/16 | h3",
    ]);
  });

  it("a Lan against the kernel: each host's objects carry the host's mark below the Lan's; a lost port is drift", () => {
    const lan = JSON.parse(fixture("lan-state.json")) as unknown;
    const m = stateGraph("t", lan, kindOf, recordedTopology("lan-kernel.json"));
    assert.deepEqual(
      m.clusters.map((c) => [c.label, c.ours, c.drift]),
      [
        ["pnq-h1", true, []],
        ["pnq-h2", true, []],
        ["pnq-h3", true, []],
        ["pnq-hub", true, []],
      ],
    );
    assert.deepEqual(edges(m), [
      "pnq-h1:stack -- pnq-hub:br veth | veth | eth0 10.20.0.1/16 | h1",
      "pnq-h2:stack -- pnq-hub:br veth | veth | eth0 10.20.0.2/16 | h2",
      "pnq-h3:stack -- pnq-hub:br veth | veth | eth0 10.20.0.3/16 | h3",
    ]);
    const drifted = stateGraph("t", lan, kindOf, recordedTopology("lan-kernel-drift.json"));
    assert.deepEqual(
      edges(drifted).filter((e) => e.includes("DRIFT")),
      ["pnq-h2:stack -- pnq-hub:br veth | veth | eth0 10.20.0.2/16 | h2 | DRIFT lost its master br"],
    );
  });

  it("marks drift: a namespace deleted by hand, a port that lost its master", () => {
    const m = stateGraph("t", defaultState, kindOf, recordedTopology("default-kernel-drift.json"));
    assert.deepEqual(
      m.clusters.map((c) => [c.label, c.drift]),
      [
        ["bridge", []],
        ["net0", []],
        ["net1", [MISSING]],
      ],
    );
    assert.deepEqual(edges(m), [
      "bridge:br -- net0:stack veth | veth | bridge-net0 | net0-bridge 10.0.1.1/24 | DRIFT lost its master br",
      `bridge:br -- net1:stack veth | veth | bridge-net1 | net1-bridge 10.0.1.2/24 | DRIFT ${MISSING}`,
    ]);
  });

  it("a look-alike with the state's names is not the stack's object", () => {
    // The mixed host's hub has br0; a state holding a Bridge br0 there finds only a foreign one.
    const state = {
      deployment: {
        resources: [
          {
            type: "pulumi-nodejs:dynamic/netns:Bridge",
            inputs: { name: "br0", namespace: "hub", managedBy: "p/s/Bridge/b" },
          },
        ],
      },
    };
    const m = stateGraph("t", state, kindOf, recordedTopology("mixed-kernel.json"));
    assert.match(m.nodes.find((n) => n.role === "bridge")!.drift.join(), /look-alike/);
  });
});

describe("graph draws a service's process in its namespace's box", () => {
  // The Lan's state with a Service in host pnq-h1, as `pulumi stack export` writes one.
  const service = {
    namespace: "pnq-h1",
    name: "dhcp",
    command: ["dnsmasq", "--keep-in-foreground"],
    managedBy: "star/dev/Service/dhcp",
    stackInstance: "2f71fe7df85ec371",
  };
  const mark = ownerMark(service);
  const lan = JSON.parse(fixture("lan-state.json")) as { deployment: { resources: unknown[] } };
  lan.deployment.resources.push({
    type: "pulumi-nodejs:dynamic/netns:Service",
    inputs: service,
    outputs: { ...service, pid: 4242, startTime: "1", netnsInode: 1, logFile: "/var/log/x" },
  });
  const kernel = (processes: TopologyProcess[]): Topology => ({
    ...recordedTopology("lan-kernel.json"),
    processes,
  });
  const dnsmasq: TopologyProcess = { netns: "pnq-h1", name: "dhcp", mark, program: "dnsmasq", running: true };

  it("from the state: its name and what it runs, from its kind's holdings", () => {
    const m = stateGraph("t", lan, kindOf, undefined);
    assert.deepEqual(
      nodes(m).filter((n) => n.includes(":process:")),
      ["pnq-h1:process:dhcp dnsmasq"],
    );
  });

  it("against the kernel: running when its record's process proves ours, else drift", () => {
    const running = stateGraph("t", lan, kindOf, kernel([dnsmasq]));
    assert.deepEqual(
      nodes(running).filter((n) => n.includes(":process:")),
      ["pnq-h1:process:dhcp dnsmasq running"],
    );
    assert.equal(hasDrift(running), false);
    for (const gone of [[], [{ ...dnsmasq, running: false }], [{ ...dnsmasq, mark: `${mark}x` }]]) {
      const m = stateGraph("t", lan, kindOf, kernel(gone));
      const node = m.nodes.find((n) => n.role === "process")!;
      assert.deepEqual([node.label, node.drift], [["dhcp", "dnsmasq", "not running"], [NOT_RUNNING]]);
    }
    assert.match(renderDot(running), /ns0_p0 \[shape=component, label="dhcp\\ndnsmasq\\nrunning"\];/);
    assert.match(renderMermaid(running), /ns0_p0\{\{"dhcp<br>dnsmasq<br>running"\}\}/);
  });

  it("--live: every service record's process in an existing namespace", () => {
    const m = liveGraph(
      kernel([
        dnsmasq,
        { netns: "pnq-h2", name: "udhcpc", mark: "m", program: undefined, running: false },
        { netns: "pnq-gone", name: "old", mark: "m", program: undefined, running: false },
      ]),
      true,
    );
    assert.deepEqual(
      nodes(m).filter((n) => n.includes(":process:")),
      ["pnq-h1:process:dhcp dnsmasq running", "pnq-h2:process:udhcpc not running"],
    );
  });
});

describe("graph renderers", () => {
  const awkward: LinkFacts[] = [
    {
      namespace: 'n"1',
      name: "a\\b",
      kind: "veth",
      tap: false,
      addresses: ["10.0.0.1/24"],
      mtu: 1500,
      master: undefined,
      lower: { namespace: "n<2>", name: "x|y" },
      tunnel: undefined,
      ours: true,
      drift: [],
    },
    {
      namespace: "n<2>",
      name: "x|y",
      kind: "veth",
      tap: false,
      addresses: [],
      mtu: 1500,
      master: undefined,
      lower: { namespace: 'n"1', name: "a\\b" },
      tunnel: undefined,
      ours: true,
      drift: [],
    },
  ];

  it("escapes names in DOT and Mermaid", () => {
    const m = buildGraph("t", [], awkward);
    const dot = renderDot(m);
    assert.match(dot, /label="n\\"1"/);
    assert.match(dot, /taillabel="a\\\\b\\n10\.0\.0\.1\/24"/);
    const mermaid = renderMermaid(m);
    assert.match(mermaid, /subgraph ns0\["n#34;1"\]/);
    assert.match(mermaid, /subgraph ns1\["n#60;2#62;"\]/);
    assert.match(mermaid, /x#124;y/);
  });

  it("Mermaid: namespaces as subgraphs, cables with both ends, drift in red", () => {
    const m = stateGraph(
      "pulumi-netns / dev",
      defaultState,
      kindOf,
      recordedTopology("default-kernel-drift.json"),
    );
    assert.equal(
      renderMermaid(m),
      [
        "---",
        "title: pulumi-netns / dev",
        "---",
        "flowchart LR",
        '  subgraph ns0["bridge"]',
        '    ns0_n1[["br"]]',
        "  end",
        '  subgraph ns1["net0"]',
        '    ns1_stack((" "))',
        "  end",
        '  subgraph ns2["net1<br>DRIFT: missing from the kernel"]',
        '    ns2_stack((" "))',
        "  end",
        '  ns0_n1 ---|"bridge-net0 ⟷ net0-bridge 10.0.1.1/24<br>veth<br>DRIFT: lost its master br"| ns1_stack',
        '  ns0_n1 ---|"bridge-net1 ⟷ net1-bridge 10.0.1.2/24<br>veth<br>DRIFT: missing from the kernel"| ns2_stack',
        "  classDef drift stroke:#d1242f,stroke-width:3px,color:#d1242f",
        "  class ns2 drift",
        "  linkStyle 0,1 stroke:#d1242f,stroke-width:3px,color:#d1242f",
        "",
      ].join("\n"),
    );
  });

  it("the same facts in any order give the same bytes", () => {
    const a = renderDot(buildGraph("t", [], awkward));
    const b = renderDot(buildGraph("t", [], [...awkward].reverse()));
    assert.equal(a, b);
  });

  it("the README's picture is what graph draws from the default topology's state", async () => {
    const result = await graph(
      options({ format: "svg" }),
      sources(async () => recordedTopology("default-kernel.json")),
    );
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(result.stdout + "\n", readFileSync(path.join(root, "topology.svg"), "utf8"));
  });

  it("html is one page, the SVG inline, nothing fetched", async () => {
    const m = stateGraph("t", defaultState, kindOf, recordedTopology("default-kernel.json"));
    const html = await render(m, "html", { renderSvg: (dot) => graphvizSvg(dot) });
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<svg[\s\S]*<\/svg>/);
    assert.doesNotMatch(html, /<\?xml|<script|<link|<img|src=/);
    assert.deepEqual(html.match(/href="[^"#][^"]*"/g), null);
  });

  it("the format follows --format, else the output's extension, else mermaid", () => {
    assert.equal(chooseFormat(undefined, undefined), "mermaid");
    assert.equal(chooseFormat(undefined, "a/topology.svg"), "svg");
    assert.equal(chooseFormat(undefined, "t.HTML"), "html");
    assert.equal(chooseFormat(undefined, "t.gv"), "dot");
    assert.equal(chooseFormat("dot", "t.svg"), "dot");
    assert.throws(() => chooseFormat("png", undefined), /--format must be one of mermaid, dot, svg, html/);
  });
});

describe("pulumi-netns graph command line", () => {
  const none: Sources = {
    readStates: () => Promise.reject(new Error("not read")),
    takeInventory: () => Promise.reject(new Error("not read")),
  };
  const run = (argv: string[], topology: () => Promise<Topology>) =>
    main(argv, root, { ...none, ...sources(topology) });
  const clean = async () => recordedTopology("default-kernel.json");

  it("--help, and usage errors exit with 2", async () => {
    const help = await run(["graph", "--help"], clean);
    assert.equal(help.exitCode, 0);
    assert.match(help.stdout, /Usage: pulumi-netns graph/);
    assert.match(help.stdout, /Exit status: 0 drawn; .* 3 drawn, and the picture marks drift/s);
    for (const argv of [
      ["graph", "--only-ours"],
      ["graph", "--live", "--stack", "dev"],
      ["graph", "--format", "png"],
      ["graph", "--json"],
      ["graph", "--output", ""],
      ["graph", "extra"],
    ]) {
      const r = await run(argv, clean);
      assert.equal(r.exitCode, 2, `${argv.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /Usage: pulumi-netns graph/);
    }
  });

  it("exits 0 on a clean picture, 3 when it marks drift", async () => {
    const ok = await run(["graph"], clean);
    assert.equal(ok.exitCode, 0, ok.stderr);
    assert.match(ok.stdout, /^---\ntitle: pulumi-netns \/ dev\n---\nflowchart LR/);
    const drift = await run(["graph", "--format", "dot"], async () =>
      recordedTopology("default-kernel-drift.json"),
    );
    assert.equal(drift.exitCode, 3);
    assert.match(drift.stdout, /DRIFT: lost its master br/);
    assert.match(drift.stderr, /marks drift/);
  });

  it("exits 1 when the kernel cannot be read, and still draws the state", async () => {
    const r = await run(["graph"], () => Promise.reject(new Error("ip: permission denied")));
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /kernel could not be read, so drift is not marked: ip: permission denied/);
    assert.match(r.stdout, /bridge-net0/);
  });
});
