// The conformance suite (DESIGN.md "Kinds are data", issue 22): every kind users declare, through
// its sample (test/conformance/samples.ts), gets the same checks through the real engine and the
// built CLI, knowing the kind only through its descriptor's `holdings`:
//   up; `ls` lists everything the state holds as in state; `gc` finds nothing; preview is a no-op;
//   `graph` draws every held namespace, link and process; each held object swapped for a look-alike is
//   reported gone by refresh, refused by up and left alone by destroy; destroy leaves nothing
//   carrying the stack instance.
// One stack holds every sample, so each engine operation runs once for all kinds: CI time is short.
// Links and routes are swapped in one round (their namespaces intact, so the creates are tried),
// namespaces in a second.
import assert from "node:assert/strict";
import { rmSync, statSync } from "node:fs";
import { after, before, describe, test, type TestContext } from "node:test";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { markOf, RESOURCE_TYPE_PREFIX } from "../../cli/stackView";
import { holdingKey, type HeldObject, type Holding } from "../../provider/holdings";
import { kinds, type ResourceKind } from "../../provider/kinds";
import { samples } from "../conformance/samples";
import { inlineStack, type TestStack } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import { carrying, cli, recordFilesNaming } from "../helpers/netnsCli";
import { ip, ipJson, namespaceNames, removeByPrefix } from "../helpers/readback";
import { failureOf, figure, linkSnapshot } from "../helpers/reliability";
import { isRoot, requireRoot } from "../helpers/root";

const p = uniquePrefix();
const stackName = `${p}-conf`;
const sampled = Object.keys(samples) as ResourceKind[];
/** The test's own namespace per kind (see SampleContext.sandbox). */
const sandboxOf = (kind: ResourceKind) => `${p}-sb-${kind}`;

const program = async () => {
  for (const kind of sampled) samples[kind].declare(kind, { prefix: p, sandbox: sandboxOf(kind) });
};

// ---------------------------------------------------------------------------------------------
// The state, read through the descriptors

interface StateResource {
  readonly urn: string;
  readonly type: string;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
}

const kindOf = (r: StateResource) =>
  r.type.startsWith(RESOURCE_TYPE_PREFIX) ? r.type.slice(RESOURCE_TYPE_PREFIX.length) : undefined;

async function stateResources(s: TestStack): Promise<StateResource[]> {
  const exported = await s.stack.exportStack();
  return (exported.deployment.resources ?? []) as StateResource[];
}

/** What a resource's state holds, as its kind's descriptor says. */
function holdingsOf(r: StateResource): Holding[] {
  const kind = kindOf(r);
  if (kind === undefined || !Object.hasOwn(kinds, kind)) return [];
  const props = { ...r.inputs, ...r.outputs };
  const mark = markOf(props);
  return mark === undefined ? [] : kinds[kind as keyof typeof kinds].holdings(props, mark);
}

/** The resource under test of `kind`: the one its sample declared under the kind's name. */
const subjectOf = (resources: readonly StateResource[], kind: ResourceKind) =>
  resources.find((r) => kindOf(r) === kind && r.urn.endsWith(`::${kind}`));

const subjectHoldings = (resources: readonly StateResource[], kind: ResourceKind) => {
  const r = subjectOf(resources, kind);
  return r ? holdingsOf(r) : [];
};

/** An object's identity, whatever mark it carries. */
const objectKey = (object: HeldObject) => holdingKey({ object, mark: "" }) ?? JSON.stringify(object);

const where = (netns: string | undefined) => (netns === undefined ? "the host namespace" : netns);

function describeHeld(o: HeldObject): string {
  switch (o.type) {
    case "namespace":
      return `namespace ${o.name}`;
    case "link":
      return `link ${o.name} in ${where(o.netns)}`;
    case "route":
      return `route ${o.destination} (table ${o.table}, metric ${o.metric}) in ${where(o.netns)}`;
    case "process":
      return `service ${o.name} in ${o.netns}`;
  }
}

/** Every stack instance the test saw: a failed run's records naming them are removed in `after`. */
const instances = new Set<string>();

async function stackInstance(s: TestStack): Promise<string> {
  const instance = (await stateResources(s)).find((r) => kindOf(r) === "StackInstance")?.outputs?.instance;
  assert.equal(typeof instance, "string", "the stack has a StackInstance");
  instances.add(instance as string);
  return instance as string;
}

// ---------------------------------------------------------------------------------------------
// Look-alikes: the same object type under the same name, made by someone else (no mark)

const nsArgs = (netns: string | undefined) => (netns === undefined ? [] : ["-n", netns]);

interface KernelRoute {
  readonly dst: string;
  readonly metric?: number;
}

/** The routes at a route holding's key (its destination, table and metric). */
function routesAt(o: Extract<HeldObject, { type: "route" }>): KernelRoute[] {
  try {
    return ipJson<KernelRoute[]>([
      ...nsArgs(o.netns),
      "-d",
      "route",
      "show",
      "table",
      String(o.table),
      "exact",
      o.destination,
    ]).filter((r) => (r.metric ?? 0) === o.metric);
  } catch {
    return []; // its namespace is gone
  }
}

/** What identifies the object now, and what any change to it would alter; undefined: absent. */
function snapshot(o: HeldObject): unknown {
  switch (o.type) {
    case "namespace": {
      if (!namespaceNames().includes(o.name)) return undefined;
      return { inode: statSync(`/run/netns/${o.name}`).ino, links: linkSnapshot(o.name) };
    }
    case "link":
      try {
        return linkSnapshot(o.netns, o.name);
      } catch {
        return undefined;
      }
    case "route": {
      const routes = routesAt(o);
      return routes.length === 0 ? undefined : routes;
    }
  }
}

const snapshots = (objects: readonly HeldObject[]) => objects.map((o) => [describeHeld(o), snapshot(o)]);

function tryIp(args: string[]): void {
  try {
    ip(args);
  } catch {
    // already gone (a veth end goes with its peer)
  }
}

interface LinkRead {
  readonly ifalias?: string;
  readonly linkinfo?: { readonly info_kind?: string };
}

/** `ip -j -d link show` of a held link; undefined when it (or its namespace) is gone. */
function linkRead(o: Extract<HeldObject, { type: "link" }>): LinkRead | undefined {
  if (o.netns !== undefined && !namespaceNames().includes(o.netns)) return undefined;
  try {
    return ipJson<LinkRead[]>([...nsArgs(o.netns), "-d", "link", "show", "dev", o.name])[0];
  } catch {
    return undefined;
  }
}

/**
 * How a look-alike of a link of kernel kind `kind` is added: of the same kind where it stands alone
 * (so a read that checked the kind but not the mark would still take it), else a bridge (a veth
 * needs a peer, a macvlan a parent, which would tie the look-alike to objects of ours).
 */
function lookAlikeLinkAdd(kind: string | undefined, name: string): string[] {
  switch (kind) {
    case "tun":
      return ["tuntap", "add", "dev", name, "mode", "tap"];
    case "vxlan":
      return ["link", "add", "name", name, "type", "vxlan", "id", "4242", "dstport", "4789"];
    default:
      return ["link", "add", "name", name, "type", "bridge"];
  }
}

/**
 * Removes each object by hand and makes a look-alike of it: a namespace `ip netns add` made, a
 * link of the same name (see lookAlikeLinkAdd), a route at the same key without protocol 110 (on
 * `lo`, which the stack does not own, so destroying the stack's links cannot take it down).
 */
function swap(objects: readonly HeldObject[]): void {
  // Read before any delete: deleting a veth end takes its peer.
  const kindOfLink = new Map(
    objects.map((o) => [o, o.type === "link" ? linkRead(o)?.linkinfo?.info_kind : undefined]),
  );
  for (const o of objects) {
    if (o.type === "namespace") tryIp(["netns", "delete", o.name]);
    if (o.type === "link") tryIp([...nsArgs(o.netns), "link", "delete", "dev", o.name]);
    if (o.type === "route") {
      const key = ["table", String(o.table), "metric", String(o.metric)];
      tryIp([...nsArgs(o.netns), "route", "delete", o.destination, ...key]);
    }
  }
  for (const o of objects) {
    if (o.type === "namespace") ip(["netns", "add", o.name]);
    if (o.type === "link") ip([...nsArgs(o.netns), ...lookAlikeLinkAdd(kindOfLink.get(o), o.name)]);
    if (o.type === "route") {
      const key = ["table", String(o.table), "metric", String(o.metric)];
      ip([...nsArgs(o.netns), "route", "add", o.destination, "dev", "lo", ...key]);
    }
  }
}

/** Removes the look-alikes the test made (a link only while it carries no mark, a route on `lo`). */
function removeLookAlikes(objects: readonly HeldObject[]): void {
  for (const o of objects) {
    if (o.type === "namespace") tryIp(["netns", "delete", o.name]);
    if (o.type === "link") {
      if (linkRead(o)?.ifalias === undefined) tryIp([...nsArgs(o.netns), "link", "delete", "dev", o.name]);
    }
    if (o.type === "route") {
      tryIp([...nsArgs(o.netns), "route", "delete", o.destination, "dev", "lo", "table", String(o.table)]);
    }
  }
}

/** The words an error naming `o` must contain. */
function namedBy(o: HeldObject): string[] {
  switch (o.type) {
    case "namespace":
      return [`"${o.name}"`];
    case "link":
      return [`"${o.name}"`, o.netns === undefined ? "host namespace" : `"${o.netns}"`];
    case "route":
      return [o.destination, o.netns === undefined ? "host namespace" : `"${o.netns}"`];
    case "process":
      return [`"${o.name}"`, `"${o.netns}"`];
  }
}

// ---------------------------------------------------------------------------------------------
// The picture

/**
 * What a DOT picture of `pulumi-netns graph` draws: its namespaces (clusters, by their label), its
 * links, each by its namespace and name (the first line of a node's label, or of an edge's tail or
 * head label, in the cluster of that end's node), and its processes (`shape=component` nodes) by
 * namespace and the lines of their label.
 */
function drawnObjects(dot: string): {
  namespaces: Set<string>;
  links: Set<string>;
  processes: Map<string, string[]>;
} {
  const firstLine = (attrs: string, key: string) => new RegExp(`\\b${key}="([^"\\\\]*)`).exec(attrs)?.[1];
  const namespaces = new Set<string>();
  const links = new Set<string>();
  const processes = new Map<string, string[]>();
  const clusterOf = new Map<string, string>();
  let cluster: string | undefined;
  for (const line of dot.split("\n").map((l) => l.trim())) {
    if (line.startsWith("subgraph ")) cluster = "";
    else if (line === "}") cluster = undefined;
    else if (cluster === "" && line.startsWith("graph [")) {
      cluster = firstLine(line, "label") ?? "";
      namespaces.add(cluster);
    } else {
      const edge = /^(\S+) -- (\S+) \[(.*)\];$/.exec(line);
      const node = /^(\S+) \[(.*)\];$/.exec(line);
      if (edge) {
        const [, tail, head, attrs] = edge as unknown as [string, string, string, string];
        for (const [end, key] of [
          [tail, "taillabel"],
          [head, "headlabel"],
        ] as const) {
          const name = firstLine(attrs, key);
          if (name !== undefined) links.add(`${clusterOf.get(end) ?? ""}\n${name}`);
        }
      } else if (node && cluster !== undefined) {
        const [, id, attrs] = node as unknown as [string, string, string];
        clusterOf.set(id, cluster);
        const name = firstLine(attrs, "label");
        if (name !== undefined && /\bshape=component\b/.test(attrs)) {
          const label = /\blabel="((?:[^"\\]|\\.)*)"/.exec(attrs)?.[1] ?? "";
          processes.set(`${cluster}\n${name}`, label.split("\\n"));
        } else if (name !== undefined) links.add(`${cluster}\n${name}`);
      }
    }
  }
  return { namespaces, links, processes };
}

// ---------------------------------------------------------------------------------------------
// The suite

let s: TestStack | undefined;

/** Per kind, so a failure names the kind. */
async function perKind(t: TestContext, check: (kind: ResourceKind) => void | Promise<void>) {
  for (const kind of sampled) await t.test(kind, () => check(kind));
}

interface LsEntry {
  readonly object: { readonly type: string; readonly name?: string; readonly netns?: string };
  readonly description: string;
  readonly status: string;
  readonly mark: string | null;
  readonly owner: { readonly instance: string | null; readonly kind: string } | null;
}

const startsWithPrefix = (e: LsEntry) =>
  [e.object.name, e.object.netns].some((n) => n?.startsWith(p) === true);

/** The look-alikes of a round: what each kind's subject holds that the round swaps. */
interface Swapped {
  readonly byKind: ReadonlyMap<ResourceKind, readonly HeldObject[]>;
  readonly all: readonly HeldObject[];
  /** Each look-alike's snapshot, right after it was made, in the order of {@link all}. */
  readonly foreign: readonly unknown[];
}

/** Swaps, in the kernel, what `pick` chooses among each subject's holdings in the current state. */
async function swapSubjects(
  t: TestContext,
  pick: (held: readonly HeldObject[]) => HeldObject[],
): Promise<Swapped> {
  const resources = await stateResources(s!);
  const byKind = new Map(
    // A process has no look-alike by name: someone else's process at its pid is what proves it
    // foreign, and test/kernel/provider/service.test.ts makes that one.
    sampled.map((kind) => [
      kind,
      pick(subjectHoldings(resources, kind).map((h) => h.object)).filter((o) => o.type !== "process"),
    ]),
  );
  const all = [...byKind.values()].flat();
  assert.ok(all.length > 0, "the round swaps something");
  t.diagnostic(`swapped: ${all.map(describeHeld).join("; ")}`);
  swap(all);
  const foreign = snapshots(all);
  for (const [what, snap] of foreign) assert.notEqual(snap, undefined, `the look-alike of ${what} exists`);
  return { byKind, all, foreign };
}

/** Each kind's look-alikes are as they were made. */
async function untouched(t: TestContext, step: string, { byKind, all, foreign }: Swapped): Promise<void> {
  await t.test(`${step} leaves each look-alike untouched`, (t) =>
    perKind(t, (kind) => {
      for (const o of byKind.get(kind)!) {
        assert.deepEqual(
          [describeHeld(o), snapshot(o)],
          foreign[all.indexOf(o)],
          `${step} touched ${describeHeld(o)}`,
        );
      }
    }),
  );
}

/** gc, listing what it would remove: never a look-alike. */
async function gcTakesNoLookAlike(t: TestContext, { all }: Swapped): Promise<void> {
  await t.test("gc takes no look-alike", async () => {
    const dry = await cli(s!, ["gc", "--stack", stackName, "--dry-run", "--json"]);
    assert.equal(dry.exitCode, 0, `${dry.stdout}\n${dry.stderr}`);
    const lookAlikes = new Set(all.map(objectKey));
    const taken = (JSON.parse(dry.stdout) as GcReport).objects.filter(
      (o) => o.object.type !== "record" && lookAlikes.has(objectKey(o.object as HeldObject)),
    );
    assert.deepEqual(
      taken.map((o) => `${o.description}: ${o.proof}`),
      [],
      "gc would remove look-alikes",
    );
  });
}

/**
 * Swaps what the subjects hold of `types`, then: refresh must drop each from the state, up must
 * refuse each (naming it), and gc must not take it, each judged per kind, none touching a
 * look-alike. Then the look-alikes go and up must make everything again.
 */
async function refusalRound(t: TestContext, types: readonly HeldObject["type"][]): Promise<void> {
  const stack = s!;
  const swapped = await swapSubjects(t, (held) => held.filter((o) => types.includes(o.type)));
  const { byKind, all } = swapped;

  await stack.stack.refresh({ onOutput: () => undefined });
  const refreshed = await stateResources(stack);
  await t.test("refresh reports each swapped object gone", (t) =>
    perKind(t, (kind) => {
      const claimed = new Set(subjectHoldings(refreshed, kind).map((h) => objectKey(h.object)));
      for (const o of byKind.get(kind)!) {
        assert.ok(!claimed.has(objectKey(o)), `the state still claims ${describeHeld(o)}`);
      }
    }),
  );
  await untouched(t, "refresh", swapped);

  const errors = new Map<string, string>();
  const onEvent = (e: EngineEvent) => {
    const d = e.diagnosticEvent;
    if (d?.urn && d.severity === "error") errors.set(d.urn, `${errors.get(d.urn) ?? ""}${d.message}`);
  };
  const failure = await failureOf(
    stack.stack.up({ onOutput: () => undefined, onEvent, continueOnError: true }),
  );
  assert.ok(failure, "up fails: it meets look-alikes");
  await t.test("up refuses each look-alike, naming it", (t) =>
    perKind(t, (kind) => {
      const said = [...errors]
        .filter(([urn]) => urn.endsWith(`::${kind}`))
        .map(([, m]) => m)
        .join("\n");
      // A create stops at its first conflict (a veth pair names the end it met first): each type
      // of object swapped must be named, by one of its look-alikes at least.
      for (const type of types) {
        const objects = byKind.get(kind)!.filter((o) => o.type === type);
        if (objects.length === 0) continue;
        assert.ok(
          objects.some((o) => namedBy(o).every((word) => said.includes(word))),
          `up's error for ${kind} names one of ${objects.map(describeHeld).join(", ")}: ${said}`,
        );
      }
    }),
  );
  await untouched(t, "up", swapped);
  await gcTakesNoLookAlike(t, swapped);
  await untouched(t, "gc", swapped);

  removeLookAlikes(all);
  await stack.stack.up({ onOutput: () => undefined });
}

/**
 * Swaps, for each subject, what it holds that holds nothing else of it (its links and routes; its
 * namespaces when it holds nothing inside them), so every resource is still in the state when
 * destroy meets them. Destroy must leave each look-alike alone (one inside a namespace the stack
 * held goes with it: that namespace was ours) and leave nothing of the stack: no object carrying
 * its instance, no record naming it, nothing gc would remove.
 */
async function destroyRound(t: TestContext): Promise<void> {
  const stack = s!;
  const instance = await stackInstance(stack);
  const swapped = await swapSubjects(t, (held) =>
    held.filter(
      (o) =>
        o.type !== "namespace" || !held.some((inner) => inner.type !== "namespace" && inner.netns === o.name),
    ),
  );
  const { byKind, all, foreign } = swapped;
  const ours = new Set(
    (await stateResources(stack))
      .flatMap(holdingsOf)
      .flatMap((h) => (h.object.type === "namespace" ? [h.object.name] : [])),
  );
  await stack.stack.destroy({ onOutput: () => undefined });
  await t.test("destroy leaves each look-alike alone", (t) =>
    perKind(t, (kind) => {
      for (const o of byKind.get(kind)!) {
        const now = snapshot(o);
        if (now === undefined && o.type !== "namespace" && o.netns !== undefined && ours.has(o.netns))
          continue;
        assert.deepEqual(
          [describeHeld(o), now],
          foreign[all.indexOf(o)],
          `destroy touched ${describeHeld(o)}`,
        );
      }
    }),
  );
  await gcTakesNoLookAlike(t, swapped);
  await t.test("destroy leaves nothing of the stack", async () => {
    assert.deepEqual(await stateResources(stack), [], "the state holds nothing");
    assert.deepEqual(await carrying(instance), [], "nothing on the host carries the stack instance");
    assert.deepEqual(recordFilesNaming(instance), [], "no record names the stack instance");
    const lookAlikes = new Set(all.map(objectKey));
    const sandboxes = sampled.map(sandboxOf);
    const namespacesLeft = namespaceNames().filter(
      (n) =>
        n.startsWith(p) &&
        !sandboxes.includes(n) &&
        !lookAlikes.has(objectKey({ type: "namespace", name: n })),
    );
    assert.deepEqual(namespacesLeft, [], "no namespace but the test's sandboxes and look-alikes");
    const linksLeft = [undefined, ...sandboxes].flatMap((netns) =>
      ipJson<{ ifname: string }[]>([...nsArgs(netns), "link", "show"])
        .map((l) => l.ifname)
        .filter((name) => (netns === undefined ? name.startsWith(p) : name !== "lo"))
        .filter((name) => !lookAlikes.has(objectKey({ type: "link", netns, name })))
        .map((name) => `${name} in ${where(netns)}`),
    );
    assert.deepEqual(linksLeft, [], "no link but the look-alikes");
  });
  removeLookAlikes(all);
}

interface GcReport {
  readonly found: number;
  readonly objects: {
    readonly object: { readonly type: string };
    readonly description: string;
    readonly proof: string;
    readonly owner: { readonly kind: string; readonly name: string } | null;
  }[];
}

describe("conformance: every kind's sample through the engine and the CLI", { concurrency: false }, () => {
  const started = Date.now();
  before(async () => {
    if (!isRoot()) return;
    removeByPrefix(p);
    for (const kind of sampled) {
      ip(["netns", "add", sandboxOf(kind)]);
      ip(["-n", sandboxOf(kind), "link", "set", "dev", "lo", "up"]);
    }
    s = await inlineStack({ stackName, program });
  });
  after(async () => {
    try {
      await s?.dispose();
    } finally {
      if (isRoot()) {
        removeByPrefix(p);
        for (const file of [...instances].flatMap(recordFilesNaming)) rmSync(file, { force: true });
      }
      figure(`conformance: ${sampled.length} kinds in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  });

  test("every kind users declare has a sample, and only those", () => {
    const declared = Object.values(kinds)
      .filter((d) => d.declaredBy === "user")
      .map((d) => d.kind)
      .sort();
    assert.deepEqual([...sampled].sort(), declared);
  });

  test("up makes every sample, and each one's state holds something", async (t) => {
    if (!requireRoot(t)) return;
    await s!.stack.up({ onOutput: () => undefined });
    await stackInstance(s!);
    const resources = await stateResources(s!);
    await perKind(t, (kind) => {
      assert.ok(subjectOf(resources, kind), `the sample declared a ${kind} named ${kind}`);
      assert.notDeepEqual(subjectHoldings(resources, kind), [], "its descriptor's holdings name its objects");
    });
  });

  test("ls lists every held object in state, and nothing of the stack otherwise", async (t) => {
    if (!requireRoot(t)) return;
    const resources = await stateResources(s!);
    const instance = await stackInstance(s!);
    const ls = await cli(s!, ["ls", "--stack", stackName, "--json"]);
    assert.equal(ls.exitCode, 0, ls.stderr);
    const entries = (JSON.parse(ls.stdout) as { groups: { objects: LsEntry[] }[] }).groups.flatMap(
      (g) => g.objects,
    );
    const listed = new Map(
      entries.flatMap((e) => {
        const key =
          e.mark === null || e.object.type === "record"
            ? undefined
            : holdingKey({ object: e.object as HeldObject, mark: e.mark });
        return key === undefined ? [] : [[key, e] as const];
      }),
    );
    await t.test("the stack as a whole", () => {
      const notInState = entries.filter((e) => e.owner?.instance === instance && e.status !== "in state");
      assert.deepEqual(
        notInState.map((e) => `${e.description}: ${e.status}`),
        [],
      );
      const unknown = entries.filter((e) => e.status === "owner unknown" && startsWithPrefix(e));
      assert.deepEqual(
        unknown.map((e) => e.description),
        [],
        "no object of the test without a provable owner",
      );
    });
    await perKind(t, (kind) => {
      const ofKind = entries.filter((e) => e.owner?.instance === instance && e.owner.kind === kind);
      assert.deepEqual(
        ofKind.filter((e) => e.status !== "in state").map((e) => `${e.description}: ${e.status}`),
        [],
        `every object of a ${kind} is in state`,
      );
      for (const h of resources.filter((r) => kindOf(r) === kind).flatMap(holdingsOf)) {
        const e = listed.get(holdingKey(h)!);
        assert.equal(e?.status, "in state", `ls lists ${describeHeld(h.object)} (mark ${h.mark}) in state`);
      }
    });
  });

  test("gc finds nothing to remove, and preview after it is a no-op", async (t) => {
    if (!requireRoot(t)) return;
    const gc = await cli(s!, ["gc", "--stack", stackName, "--json"]);
    const report = JSON.parse(gc.stdout) as GcReport;
    await perKind(t, (kind) => {
      const taken = report.objects.filter((o) => o.owner?.kind === kind).map((o) => o.description);
      assert.deepEqual(taken, [], `gc took objects of the ${kind}`);
    });
    assert.equal(report.found, 0, gc.stdout);
    assert.equal(gc.exitCode, 0, `${gc.stdout}\n${gc.stderr}`);
    await s!.stack.preview({ expectNoChanges: true, onOutput: () => undefined });
  });

  test("graph draws every held namespace, link and process", async (t) => {
    if (!requireRoot(t)) return;
    const resources = await stateResources(s!);
    const graph = await cli(s!, ["graph", "--stack", stackName, "--format", "dot"]);
    assert.equal(graph.exitCode, 0, graph.stderr);
    const drawn = drawnObjects(graph.stdout);
    await perKind(t, (kind) => {
      for (const { object: o } of resources.filter((r) => kindOf(r) === kind).flatMap(holdingsOf)) {
        const netns = o.type === "namespace" ? o.name : o.netns;
        if (o.type === "process") {
          // In its namespace's box: its name, what it runs, and that it runs.
          const label = drawn.processes.get(`${netns}\n${o.name}`);
          assert.ok(label, `graph draws ${describeHeld(o)}`);
          assert.equal(label.at(-1), "running", `graph says ${describeHeld(o)} runs: ${label.join(" / ")}`);
          if (o.program !== undefined && o.program !== o.name) assert.ok(label.includes(o.program));
          continue;
        }
        if (netns !== undefined) assert.ok(drawn.namespaces.has(netns), `graph draws namespace ${netns}`);
        if (o.type === "link") {
          assert.ok(drawn.links.has(`${netns ?? ""}\n${o.name}`), `graph draws ${describeHeld(o)}`);
        }
      }
    });
  });

  test("look-alikes of links and routes: refresh drops them, up and gc refuse them", async (t) => {
    if (!requireRoot(t)) return;
    await refusalRound(t, ["link", "route"]);
  });

  test("look-alikes of namespaces: refresh drops them, up and gc refuse them", async (t) => {
    if (!requireRoot(t)) return;
    await refusalRound(t, ["namespace"]);
  });

  test("destroy leaves look-alikes alone, and nothing of the stack", async (t) => {
    if (!requireRoot(t)) return;
    await destroyRound(t);
  });
});
