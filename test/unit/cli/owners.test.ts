// The classification from recorded data: exported states of three stacks of project "lab" and a
// kernel inventory holding their objects, another project's, lost and destroyed instances', and
// signs of pulumi-netns without a provable owner.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LEGACY_OWNED_LINK_GROUP, linkGroupFor } from "../../../provider/kernel/ip";
import { tapStagingName } from "../../../provider/kernel/tuntap";
import { orphansOf } from "../../../cli/gc";
import { classify, type Entry } from "../../../cli/owners";
import { describeObject } from "../../../cli/report";
import { stackView } from "../../../cli/stackView";
import { describeMark, parseMark } from "../../../provider/ownership";
import {
  DESTROYED,
  DEV,
  exported,
  instanceRecord,
  inventory,
  link,
  LOST,
  mark,
  netnsRecord,
  NOW,
  ns,
  PROD,
  route,
  routeRecord,
} from "./fixtures";

const dev = (kind: string, name: string) => mark(DEV, "dev", kind, name);
const prod = (kind: string, name: string) => mark(PROD, "prod", kind, name);

const devState = exported("dev", DEV, [
  { kind: "Namespace", name: "hub", outputs: { name: "lab-hub", sysctls: {}, inode: 1 } },
  { kind: "Namespace", name: "h1", outputs: { name: "lab-h1", sysctls: {}, inode: 2 } },
  { kind: "Bridge", name: "br", outputs: { name: "br", namespace: "lab-hub", mtu: 1500 } },
  { kind: "TapDevice", name: "t", outputs: { name: "tap0", namespace: "lab-hub" } },
  {
    kind: "VethPair",
    name: "h1",
    outputs: { a: { name: "eth0", namespace: "lab-h1" }, b: { name: "h1", namespace: "lab-hub" } },
  },
  {
    kind: "Route",
    name: "r",
    outputs: { namespace: "lab-h1", destination: "0.0.0.0/0", via: "10.0.0.1", table: 254, metric: 0 },
  },
]);
const prodState = exported("prod", PROD, [
  { kind: "Namespace", name: "p1", outputs: { name: "lab-p1", sysctls: {}, inode: 3 } },
]);
// A stack deployed before stack instances: no StackInstance, marks without an instance.
const opsState = exported("ops", undefined, [
  { kind: "Namespace", name: "o2", outputs: { name: "lab-o2", sysctls: {}, inode: 4 } },
]);
const views = [
  stackView("dev", "lab", devState),
  stackView("prod", "lab", prodState),
  stackView("ops", "lab", opsState),
];

const defaultRoute = route("lab-h1", "0.0.0.0/0");
const orphanRoute = route("lab-h2", "10.9.0.0/24");
const unrecordedRoute = route("lab-h1", "10.8.0.0/24");
const staleRoute = route("lab-h9", "10.7.0.0/24");
const halfMadeEnd = link("lab-hub", "h2b", undefined, { group: linkGroupFor(dev("VethPair", "h2")) });
const stagingTap = link("lab-hub", tapStagingName(dev("TapDevice", "t")), undefined, {
  kind: "tun",
  group: 0,
});

const host = inventory({
  namespaces: [
    ns("lab-hub", dev("Namespace", "hub")),
    ns("lab-h1", dev("Namespace", "h1")),
    ns("lab-h2", dev("Namespace", "h2")),
    ns("lab-h3", undefined, { pristine: true }),
    ns("lab-h4", undefined, { pristine: true }),
    ns("lab-x", mark(PROD, "prod", "Namespace", "x")),
    ns("lab-p1", prod("Namespace", "p1")),
    ns("lab-p2", prod("Namespace", "p2")),
    ns("lab-l1", mark(LOST, "dev", "Namespace", "l1")),
    ns("lab-d1", mark(DESTROYED, "dev", "Namespace", "d1")),
    ns("lab-o1", undefined),
    ns("lab-o2", undefined),
    ns("lab-legacy-dev", undefined),
    ns("other-1", mark("ffffffffffffffff", "s", "Namespace", "a", "other")),
    ns("plain", undefined),
  ],
  links: [
    link("lab-hub", "br", dev("Bridge", "br"), { kind: "bridge" }),
    link("lab-hub", "tap0", dev("TapDevice", "t"), { kind: "tun" }),
    link("lab-h1", "eth0", dev("VethPair", "h1")),
    link("lab-hub", "h1", dev("VethPair", "h1")),
    link("lab-h2", "eth0", dev("VethPair", "h2")),
    link("lab-hub", "h2", dev("VethPair", "h2")),
    halfMadeEnd,
    stagingTap,
    link(undefined, "x9", undefined, { group: linkGroupFor("nobody/knows/this/mark") }),
    link(undefined, "old0", undefined, { group: LEGACY_OWNED_LINK_GROUP }),
  ],
  routes: [defaultRoute, orphanRoute, unrecordedRoute],
  records: [
    netnsRecord("lab-hub", dev("Namespace", "hub")),
    netnsRecord("lab-h1", dev("Namespace", "h1")),
    netnsRecord("lab-h2", dev("Namespace", "h2")),
    netnsRecord("lab-h3", dev("Namespace", "h3")),
    netnsRecord("lab-h4", dev("Namespace", "h4"), NOW - 5_000),
    netnsRecord("lab-x", dev("Namespace", "x")),
    netnsRecord("lab-gone", dev("Namespace", "gone")),
    netnsRecord("lab-coming", dev("Namespace", "coming"), NOW - 5_000),
    netnsRecord("lab-o1", "lab/ops/Namespace/o1"),
    netnsRecord("lab-o2", "lab/ops/Namespace/o2"),
    netnsRecord("lab-legacy-dev", "lab/dev/Namespace/old"),
    routeRecord(defaultRoute, dev("Route", "r")),
    routeRecord(orphanRoute, dev("Route", "r2")),
    routeRecord(staleRoute, dev("Route", "r3")),
    instanceRecord(DESTROYED, { project: "lab", stack: "dev" }),
  ],
});

const line = (e: Entry) => `${e.status} ${e.stack ?? "-"}: ${describeObject(e.object)}`;
const find = (entries: Entry[], text: string) => {
  const found = entries.filter((e) => describeObject(e.object).startsWith(text));
  assert.equal(found.length, 1, `one entry for ${text}: ${found.map(line).join(" | ")}`);
  return found[0]!;
};

describe("classify: whose each object is, and whether its stack's state knows it", () => {
  const entries = classify(host, views, { now: NOW });

  it("objects the states hold are in state, each under its own stack", () => {
    for (const text of [
      "namespace lab-hub",
      "namespace lab-h1",
      "bridge br in namespace lab-hub",
      "tun tap0 in namespace lab-hub",
      "veth eth0 in namespace lab-h1",
      "veth h1 in namespace lab-hub",
      "route 0.0.0.0/0",
    ]) {
      assert.equal(line(find(entries, text)), `in state dev: ${describeObject(find(entries, text).object)}`);
    }
    assert.equal(find(entries, "namespace lab-p1").status, "in state");
    assert.equal(find(entries, "namespace lab-p1").stack, "prod");
    assert.equal(find(entries, "namespace lab-o2").stack, "ops", "a legacy stack's object, by its record");
  });

  it("the orphans of dev are exactly its instance's objects its state does not hold, in removal order", () => {
    assert.deepEqual(orphansOf(entries, "dev").map(line), [
      "orphan dev: route 10.9.0.0/24 via 10.0.0.1 (table 254, metric 0) in namespace lab-h2",
      "orphan dev: veth eth0 in namespace lab-h2",
      "orphan dev: veth h2 in namespace lab-hub",
      "orphan dev: veth h2b in namespace lab-hub",
      `orphan dev: tun ${stagingTap.name} in namespace lab-hub`,
      "orphan dev: namespace lab-h2",
      "orphan dev: namespace lab-h3",
      "orphan dev: namespace lab-d1",
      "orphan dev: record /run/pulumi-netns/netns/lab-x (namespace lab-x does not carry its mark)",
      "orphan dev: record /run/pulumi-netns/netns/lab-gone (namespace lab-gone is gone)",
      `orphan dev: record /run/pulumi-netns/route/${routeRecord(staleRoute, "").file} (route 10.7.0.0/24 (table 254, metric 0) in namespace lab-h9 is gone)`,
      `orphan dev: record /run/pulumi-netns/instance/${DESTROYED} (stack instance ${DESTROYED} was destroyed)`,
    ]);
  });

  it("half-made objects are told by their record, device group or staging name", () => {
    assert.match(
      find(entries, "namespace lab-h3").proof,
      /untouched since its create added it \(half made\)/,
    );
    assert.match(find(entries, "veth h2b").proof, /device group/);
    assert.equal(find(entries, "veth h2b").mark, dev("VethPair", "h2"));
    assert.match(find(entries, `tun ${stagingTap.name}`).proof, /staging name/);
  });

  it("a claim younger than a minute is a create in progress, not an orphan", () => {
    assert.equal(find(entries, "namespace lab-h4").status, "in progress");
    assert.equal(find(entries, "record /run/pulumi-netns/netns/lab-coming").status, "in progress");
  });

  it("a fresh claim of a stack known to run nothing (no pending operation) is a killed run's orphan", () => {
    const settled = classify(host, views, { now: NOW, settled: ["dev"] });
    assert.equal(find(settled, "namespace lab-h4").status, "orphan");
    assert.equal(find(settled, "record /run/pulumi-netns/netns/lab-coming").status, "orphan");
    const other = classify(host, views, { now: NOW, settled: ["prod"] });
    assert.equal(find(other, "namespace lab-h4").status, "in progress", "only the settled stack's claims");
  });

  it("other stacks' orphans stay theirs; other instances and projects are state unknown", () => {
    assert.deepEqual(orphansOf(entries, "prod").map(line), [
      "orphan prod: namespace lab-x",
      "orphan prod: namespace lab-p2",
    ]);
    assert.equal(find(entries, "namespace lab-l1").status, "state unknown", "a lost state's instance");
    assert.equal(find(entries, "namespace other-1").status, "state unknown");
    assert.equal(
      find(entries, "namespace lab-legacy-dev").status,
      "state unknown",
      "dev has an instance now",
    );
    assert.deepEqual(orphansOf(entries, "ops").map(line), ["orphan ops: namespace lab-o1"]);
  });

  it("signs without a provable owner are listed as owner unknown and are nobody's orphan", () => {
    for (const text of ["veth x9", "veth old0", "route 10.8.0.0/24"]) {
      assert.equal(find(entries, text).status, "owner unknown", text);
      assert.equal(find(entries, text).stack, undefined);
    }
    assert.equal(entries.filter((e) => describeObject(e.object).includes("plain")).length, 0);
  });

  it("an instance named with --instance counts as the stack's", () => {
    const claimed = classify(host, views, { now: NOW, claimed: new Map([[LOST, "dev"]]) });
    assert.equal(line(find(claimed, "namespace lab-l1")), "orphan dev: namespace lab-l1");
    // Only for objects naming that stack: the claim does not make prod's objects dev's.
    const wrong = classify(host, views, { now: NOW, claimed: new Map([[LOST, "prod"]]) });
    assert.equal(find(wrong, "namespace lab-l1").status, "state unknown");
  });

  it("objects of a resource with a pending operation are pending, not orphans", () => {
    const pendingDev = exported(
      "dev",
      DEV,
      [],
      [{ kind: "Namespace", name: "h2", inputs: { name: "lab-h2" } }],
    );
    const withPending = classify(host, [stackView("dev", "lab", pendingDev)], { now: NOW });
    assert.equal(find(withPending, "namespace lab-h2").status, "pending");
    assert.equal(find(withPending, "namespace lab-hub").status, "orphan");
  });

  it("a destroyed instance's record names no stack here: state unknown", () => {
    const entriesWithoutDev = classify(host, views.slice(1), { now: NOW });
    assert.equal(find(entriesWithoutDev, "namespace lab-d1").status, "state unknown");
    assert.equal(find(entriesWithoutDev, "namespace lab-d1").note, "its stack instance was destroyed");
  });
});

describe("stackView", () => {
  it("reads the instance, the objects each resource holds, and pending operations", () => {
    const v = views[0]!;
    assert.deepEqual(v.instances, [DEV]);
    assert.equal(v.stack, "dev");
    assert.equal(v.holdings.size, 7, "2 namespaces, bridge, tap, 2 veth ends, route");
    assert.equal(v.pendingOperations, 0);
    assert.equal(stackView("org/lab/dev", "lab", devState.deployment).stack, "dev", "a bare deployment");
  });

  it("state of earlier versions has marks without an instance", () => {
    const v = views[2]!;
    assert.deepEqual(v.instances, []);
    assert.deepEqual(v.marks, ["lab/ops/Namespace/o2"]);
  });
});

describe("parseMark", () => {
  it("reads marks with and without a stack instance, decoding each part", () => {
    assert.deepEqual(parseMark("0a1b2c3d4e5f6071/my%20lab/dev/VethPair/h%2F1"), {
      instance: "0a1b2c3d4e5f6071",
      project: "my lab",
      stack: "dev",
      kind: "VethPair",
      name: "h/1",
    });
    assert.deepEqual(parseMark("lab/dev/Namespace/a"), {
      instance: undefined,
      project: "lab",
      stack: "dev",
      kind: "Namespace",
      name: "a",
    });
    assert.equal(parseMark("lab/dev"), undefined);
    assert.match(
      describeMark("0a1b2c3d4e5f6071/lab/dev/Bridge/br"),
      /Bridge "br" of stack lab\/dev \(stack instance 0a1b/,
    );
  });
});
