// `pulumi-netns ls` and `gc` against real marked objects: two stack instances' namespaces,
// bridges, veth pairs, taps, routes and records made by the provider handlers, half-made and
// stale ones, and foreign look-alikes. States are recorded (no engine here); the kernel is real.
// gc of one stack removes exactly its orphans and leaves everything else as it was.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, rmSync, utimesSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { gc, type GcOptions } from "../../cli/gc";
import { ls, type Sources } from "../../cli/ls";
import type { ProjectStates } from "../../cli/stacks";
import { RESOURCE_TYPE_PREFIX, stackView } from "../../cli/stackView";
import { takeInventory } from "../../provider/kernel/inventory";
import { linkGroupFor } from "../../provider/kernel/ip";
import { NETNS_MARK_DIR, netnsWriteMark } from "../../provider/kernel/netns";
import { ROUTE_RECORD_DIR } from "../../provider/kernel/route";
import { tapStagingName } from "../../provider/kernel/tuntap";
import { uniquePrefix } from "../helpers/names";
import { ip, ipJson, namespaceNames, removeByPrefix } from "../helpers/readback";
import { isRoot, requireRoot } from "../helpers/root";
import { driver, type Kind } from "./provider/harness";

const p = uniquePrefix();
const scratch = `${p}-s`;
const A = randomBytes(8).toString("hex");
const B = randomBytes(8).toString("hex");
const stackA = `${p}a`;
const stackB = `${p}b`;
const managedBy = (stack: string, kind: Kind, name: string) => `pnt/${stack}/${kind}/${name}`;
// Staging names of taps (see tapStagingName): of A's TapDevice "t" (its mark is known: tp0 carries
// it), and of a "t2" nothing on the host or in a state names.
const staging = tapStagingName(`${A}/${managedBy(stackA, "TapDevice", "t")}`);
const unknownStaging = tapStagingName(`${A}/${managedBy(stackA, "TapDevice", "t2")}`);

/** What one test stack made, and which of it its (recorded) state holds. */
interface Made {
  readonly kind: Kind;
  readonly outputs: Record<string, unknown>;
  readonly inState: boolean;
}

async function make(
  stack: string,
  instance: string,
  kind: Kind,
  name: string,
  inputs: Record<string, unknown>,
  inState: boolean,
): Promise<Made> {
  const { outs } = await driver(kind).create({
    ...inputs,
    managedBy: managedBy(stack, kind, name),
    stackInstance: instance,
  });
  return { kind, outputs: outs as Record<string, unknown>, inState };
}

/** An exported deployment holding the StackInstance and what `made` says is in state. */
function exported(instance: string, made: readonly Made[]) {
  const resource = (kind: string, outputs: Record<string, unknown>) => ({
    type: `${RESOURCE_TYPE_PREFIX}${kind}`,
    custom: true,
    outputs,
  });
  return {
    version: 3,
    deployment: {
      resources: [
        resource("StackInstance", { instance }),
        ...made.filter((m) => m.inState).map((m) => resource(m.kind, m.outputs)),
      ],
    },
  };
}

const links = (netns: string) =>
  ipJson<{ ifname: string }[]>(["-n", netns, "link", "show"]).map((l) => l.ifname);
const routes = (netns: string) =>
  ipJson<{ dst: string }[]>(["-n", netns, "-4", "route", "show", "table", "all", "proto", "110"]).map(
    (r) => r.dst,
  );

/** Removes what this file made: namespaces and host links with the prefix, and its stacks' records. */
function cleanup(): void {
  removeByPrefix(p);
  for (const dir of [NETNS_MARK_DIR, ROUTE_RECORD_DIR]) {
    let files: string[] = [];
    try {
      files = readdirSync(dir);
    } catch {
      // no records at all
    }
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(`${dir}/${file}`, "utf8");
      } catch {
        continue;
      }
      if (text.includes(`/${stackA}/`) || text.includes(`/${stackB}/`) || file.startsWith(p)) {
        rmSync(`${dir}/${file}`, { force: true });
      }
    }
  }
}

describe("pulumi-netns ls and gc against the kernel", { concurrency: false }, () => {
  const made: { a: Made[]; b: Made[] } = { a: [], b: [] };
  let states: ProjectStates;
  const sources: Sources = {
    readStates: async () => states,
    takeInventory: () => takeInventory(),
  };
  const gcOptions = (stack: string): GcOptions => ({
    stack,
    instances: [],
    dryRun: false,
    json: true,
    cwd: "/",
  });

  before(async () => {
    if (!isRoot()) return;
    cleanup();
    // A namespace nobody owns, holding links of both instances and of nobody.
    ip(["netns", "add", scratch]);
    ip(["-n", scratch, "link", "add", "name", "e0", "type", "veth", "peer", "name", "e0p"]);
    ip(["-n", scratch, "address", "add", "10.0.1.1/24", "dev", "e0"]);
    for (const dev of ["e0", "e0p"]) ip(["-n", scratch, "link", "set", "dev", dev, "up"]);

    const a = (kind: Kind, name: string, inputs: Record<string, unknown>, inState: boolean) =>
      make(stackA, A, kind, name, inputs, inState).then((m) => made.a.push(m));
    const b = (kind: Kind, name: string, inputs: Record<string, unknown>, inState: boolean) =>
      make(stackB, B, kind, name, inputs, inState).then((m) => made.b.push(m));
    await a("Namespace", "kept", { name: `${p}-a1` }, true);
    await a("Namespace", "lost", { name: `${p}-a2` }, false);
    await a("Bridge", "br", { name: "br", namespace: scratch }, true);
    await a("Bridge", "bx", { name: "bx", namespace: scratch }, false);
    await a(
      "VethPair",
      "v",
      { a: { name: "va0", namespace: scratch }, b: { name: "vb0", namespace: `${p}-a1` } },
      false,
    );
    await a("TapDevice", "t", { name: "tp0", namespace: scratch }, false);
    await a("Route", "kept", { namespace: scratch, destination: "10.50.0.0/24", via: "10.0.1.254" }, true);
    await a("Route", "lost", { namespace: scratch, destination: "10.51.0.0/24", via: "10.0.1.254" }, false);
    await b("Namespace", "kept", { name: `${p}-b1` }, true);
    await b("Bridge", "bb", { name: "bb", namespace: scratch }, false);
    await b("Route", "lost", { namespace: scratch, destination: "10.52.0.0/24", via: "10.0.1.254" }, false);

    // Half made by A: a bridge in the device group of A's VethPair "v" that got no alias.
    const vMark = `${A}/${managedBy(stackA, "VethPair", "v")}`;
    ip(["-n", scratch, "link", "add", "name", "hm0", "group", String(linkGroupFor(vMark)), "type", "bridge"]);
    // Taps left under staging names by creates killed before they got their group.
    ip(["-n", scratch, "tuntap", "add", "dev", staging, "mode", "tap"]);
    ip(["-n", scratch, "tuntap", "add", "dev", unknownStaging, "mode", "tap"]);
    // A's stale namespace record (its namespace is gone), and a fresh one: a create in progress
    // while A's state has a pending operation, a killed run's claim now that it has none.
    await netnsWriteMark(`${p}-gone`, `${A}/${managedBy(stackA, "Namespace", "gone")}`);
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(`${NETNS_MARK_DIR}/${p}-gone`, old, old);
    await netnsWriteMark(`${p}-fresh`, `${A}/${managedBy(stackA, "Namespace", "fresh")}`);
    const soon = new Date(Date.now() + 600_000); // stays fresh however slow the tests run
    utimesSync(`${NETNS_MARK_DIR}/${p}-fresh`, soon, soon);
    // Look-alikes: unmarked, or in our device group for a mark nobody knows, or protocol 110
    // without a record. None may be touched.
    ip(["netns", "add", `${p}-f`]);
    ip(["-n", scratch, "link", "add", "name", "fbr", "type", "bridge"]);
    ip([
      "-n",
      scratch,
      "link",
      "add",
      "name",
      "fgr",
      "group",
      String(linkGroupFor("x/y/z/w")),
      "type",
      "bridge",
    ]);
    ip(["-n", scratch, "route", "add", "10.53.0.0/24", "via", "10.0.1.254", "proto", "110"]);

    states = {
      project: "pnt",
      dir: "/",
      error: undefined,
      stacks: [
        { name: stackA, view: stackView(stackA, "pnt", exported(A, made.a)), error: undefined },
        { name: stackB, view: stackView(stackB, "pnt", exported(B, made.b)), error: undefined },
      ],
    };
  });
  after(() => {
    if (isRoot()) cleanup();
  });

  /** What ls says about this file's objects: `status description` per object of a group. */
  async function listed(): Promise<Map<string, string[]>> {
    const result = await ls({ stack: undefined, json: true, cwd: "/" }, sources);
    assert.equal(result.exitCode, 0);
    const report = JSON.parse(result.stdout) as {
      groups: { title: string; objects: { status: string; description: string }[] }[];
    };
    const ours = new Map<string, string[]>();
    for (const g of report.groups) {
      const objects = g.objects
        .filter((o) => o.description.includes(p))
        .map((o) => `${o.status} ${o.description}`)
        .sort();
      if (objects.length > 0) ours.set(g.title, objects);
    }
    return ours;
  }

  test("ls groups both instances' objects, flags the orphans, and lists unprovable signs apart", async (t) => {
    if (!requireRoot(t)) return;
    const groups = await listed();
    assert.deepEqual(groups.get(`pnt/${stackA}, stack instance ${A}`), [
      `in state bridge br in namespace ${scratch}`,
      `in state namespace ${p}-a1`,
      `in state route 10.50.0.0/24 via 10.0.1.254 (table 254, metric 0) in namespace ${scratch}`,
      `orphan bridge bx in namespace ${scratch}`,
      `orphan bridge hm0 in namespace ${scratch}`,
      `orphan namespace ${p}-a2`,
      `orphan record /run/pulumi-netns/netns/${p}-fresh (namespace ${p}-fresh is gone)`,
      `orphan record /run/pulumi-netns/netns/${p}-gone (namespace ${p}-gone is gone)`,
      `orphan route 10.51.0.0/24 via 10.0.1.254 (table 254, metric 0) in namespace ${scratch}`,
      `orphan tun ${staging} in namespace ${scratch}`,
      `orphan tun tp0 in namespace ${scratch}`,
      `orphan veth va0 in namespace ${scratch}`,
      `orphan veth vb0 in namespace ${p}-a1`,
    ]);
    assert.deepEqual(groups.get(`pnt/${stackB}, stack instance ${B}`), [
      `in state namespace ${p}-b1`,
      `orphan bridge bb in namespace ${scratch}`,
      `orphan route 10.52.0.0/24 via 10.0.1.254 (table 254, metric 0) in namespace ${scratch}`,
    ]);
    assert.deepEqual(groups.get("owner unknown"), [
      `owner unknown bridge fgr in namespace ${scratch}`,
      `owner unknown route 10.53.0.0/24 via 10.0.1.254 (table 254, metric 0) in namespace ${scratch}`,
      `owner unknown tun ${unknownStaging} in namespace ${scratch}`,
    ]);
    assert.equal(groups.size, 3, "nothing else of this file is listed (fbr, the plain namespaces)");
  });

  test("gc of stack A removes exactly A's orphans; B's, the state's and the look-alikes stay", async (t) => {
    if (!requireRoot(t)) return;
    const result = await gc(gcOptions(stackA), sources);
    const report = JSON.parse(result.stdout) as {
      found: number;
      removed: number;
      objects: { outcome: string; description: string; reason: string | null }[];
    };
    assert.equal(result.exitCode, 0, result.stdout);
    // Deleting one veth end takes its peer: whichever gc reaches second is already gone.
    const outcomes = report.objects.map(
      (o) => `${o.outcome === "gone" ? "removed" : o.outcome} ${o.description}`,
    );
    assert.deepEqual(outcomes.sort(), [
      `removed bridge bx in namespace ${scratch}`,
      `removed bridge hm0 in namespace ${scratch}`,
      `removed namespace ${p}-a2`,
      `removed record /run/pulumi-netns/netns/${p}-fresh (namespace ${p}-fresh is gone)`,
      `removed record /run/pulumi-netns/netns/${p}-gone (namespace ${p}-gone is gone)`,
      `removed route 10.51.0.0/24 via 10.0.1.254 (table 254, metric 0) in namespace ${scratch}`,
      `removed tun ${staging} in namespace ${scratch}`,
      `removed tun tp0 in namespace ${scratch}`,
      `removed veth va0 in namespace ${scratch}`,
      `removed veth vb0 in namespace ${p}-a1`,
    ]);
    assert.deepEqual(
      report.objects.filter((o) => o.outcome === "gone").map((o) => o.reason),
      ["it went with its veth peer or its namespace"],
    );
    const phase = (description: string) =>
      ["route", "namespace", "record"].indexOf(description.split(" ")[0]!) + 1 || 1.5;
    const phases = report.objects.map((o) => phase(o.description));
    assert.deepEqual(phases, [...phases].sort(), "routes, then links, then namespaces, then records");
    console.log(
      `figure: kernel gc of one instance: orphans found ${report.found}, removed ${report.removed}`,
    );

    assert.deepEqual(
      links(scratch).sort(),
      ["bb", "br", "e0", "e0p", "fbr", "fgr", "lo", unknownStaging].sort(),
    );
    assert.deepEqual(routes(scratch).sort(), ["10.50.0.0/24", "10.52.0.0/24", "10.53.0.0/24"]);
    assert.deepEqual(
      namespaceNames()
        .filter((n) => n.startsWith(p))
        .sort(),
      [`${p}-a1`, `${p}-b1`, `${p}-f`, scratch],
    );
    assert.deepEqual(links(`${p}-a1`), ["lo"], "the orphan veth end in a kept namespace went with its pair");
    const records = readdirSync(NETNS_MARK_DIR)
      .filter((f) => f.startsWith(p))
      .sort();
    assert.deepEqual(records, [`${p}-a1`, `${p}-b1`]);

    const again = await gc(gcOptions(stackA), sources);
    assert.equal(again.exitCode, 0);
    assert.equal((JSON.parse(again.stdout) as { found: number }).found, 0, "nothing left to remove");
  });

  test("gc of stack B then removes B's orphans only", async (t) => {
    if (!requireRoot(t)) return;
    const result = await gc({ ...gcOptions(stackB), json: false }, sources);
    assert.equal(result.exitCode, 0, result.stdout);
    assert.match(result.stdout, /removed\s+bridge bb/);
    assert.match(result.stdout, /2 orphans found, 2 removed\./);
    assert.deepEqual(links(scratch).sort(), ["br", "e0", "e0p", "fbr", "fgr", "lo", unknownStaging].sort());
    assert.deepEqual(routes(scratch).sort(), ["10.50.0.0/24", "10.53.0.0/24"]);
    assert.ok(namespaceNames().includes(`${p}-b1`));
  });

  test("gc proves each mark again right before removing: what changed hands since ls is kept", async (t) => {
    if (!requireRoot(t)) return;
    made.a.push(await make(stackA, A, "Bridge", "rc", { name: "rc0", namespace: scratch }, false));
    made.a.push(await make(stackA, A, "Namespace", "re", { name: `${p}-a4` }, false));
    const racing: Sources = {
      ...sources,
      async takeInventory() {
        const inventory = await takeInventory();
        // Between the listing and the removals: B takes the bridge over, and someone deletes
        // the namespace and makes an unmarked one under its name.
        ip([
          "-n",
          scratch,
          "link",
          "set",
          "dev",
          "rc0",
          "alias",
          `pulumi-netns:${B}/${managedBy(stackB, "Bridge", "rc")}`,
        ]);
        ip(["netns", "delete", `${p}-a4`]);
        ip(["netns", "add", `${p}-a4`]);
        return inventory;
      },
    };
    const result = await gc(gcOptions(stackA), racing);
    const report = JSON.parse(result.stdout) as {
      objects: { outcome: string; description: string; reason: string }[];
    };
    assert.deepEqual(
      report.objects.map((o) => `${o.outcome} ${o.description}: ${o.reason}`),
      [
        `kept bridge rc0 in namespace ${scratch}: it no longer carries this mark`,
        `kept namespace ${p}-a4: another namespace took its name since it was listed`,
      ],
    );
    assert.equal(result.exitCode, 1);
    assert.ok(links(scratch).includes("rc0"));
    assert.ok(namespaceNames().includes(`${p}-a4`));
    ip(["-n", scratch, "link", "delete", "dev", "rc0"]);
    ip(["netns", "delete", `${p}-a4`]);
  });

  test("gc refuses to delete an orphan namespace that holds someone else's link, and says so", async (t) => {
    if (!requireRoot(t)) return;
    const ns = `${p}-a3`;
    made.a.push(await make(stackA, A, "Namespace", "holder", { name: ns }, false));
    ip(["-n", ns, "link", "add", "name", "theirs", "type", "bridge"]);
    const result = await gc(gcOptions(stackA), sources);
    assert.equal(result.exitCode, 1, "an orphan that could not go is a failure");
    const report = JSON.parse(result.stdout) as {
      objects: { description: string; outcome: string; reason: string }[];
    };
    // (The record of the namespace the previous test re-made goes now: A runs nothing.)
    assert.deepEqual(
      report.objects.filter((o) => o.description.includes(ns)).map((o) => `${o.outcome}: ${o.reason}`),
      ["kept: it holds links that are not orphans of this stack: theirs"],
    );
    assert.ok(namespaceNames().includes(ns));
    assert.deepEqual(links(ns).sort(), ["lo", "theirs"]);
  });
});
