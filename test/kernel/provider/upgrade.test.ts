// The upgrade path: objects an earlier version made carry the bare `<project>/<stack>/<kind>/<name>`
// mark and their state has no stackInstance. Such state still proves them this stack's (refresh
// reads them, destroy deletes them); the first update after upgrading rewrites the mark to name
// the stack instance, and from then on only the new mark counts.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import type * as pulumi from "@pulumi/pulumi";
import { after, before, describe, test } from "node:test";
import { providers } from "../../../provider";
import { LEGACY_OWNED_LINK_GROUP, linkGroupFor, MARK_PREFIX } from "../../../provider/kernel/ip";
import { NETNS_MARK_DIR, netnsReadMark, netnsWriteMark } from "../../../provider/kernel/netns";
import { ROUTE_RECORD_DIR, routeReadRecord, routeRecordFile } from "../../../provider/kernel/route";
import { uniquePrefix } from "../../helpers/names";
import { ip, ipJson, linkOf, removeByPrefix } from "../../helpers/readback";
import { isRoot, requireRoot } from "../../helpers/root";
import { managedBy, markOf, STACK_INSTANCE, type Kind } from "./harness";

const p = uniquePrefix();
const ns = `${p}-u`;

type Provider = Required<pulumi.dynamic.ResourceProvider>;
const provider = (kind: Kind) => providers[kind] as Provider;

/** `check` without the SDK's stackInstance: the inputs an earlier version sent. */
async function legacyInputs(kind: Kind, inputs: Record<string, unknown>) {
  const checked = await provider(kind).check({}, inputs);
  assert.deepEqual(checked.failures ?? [], []);
  assert.equal(checked.inputs.stackInstance, undefined);
  return checked.inputs;
}

/**
 * One kind through the upgrade: `makeLegacy` builds the kernel objects exactly as an earlier
 * version left them; the state is that version's (no stackInstance). refresh recognises them, the
 * first update rewrites the mark to name the instance, then only the new mark proves them.
 */
async function upgrade(opts: {
  kind: Kind;
  name: string;
  id: string;
  inputs: Record<string, unknown>;
  makeLegacy: (mark: string) => Promise<Record<string, unknown>> | Record<string, unknown>;
  markOn: () => string | undefined;
}): Promise<void> {
  const { kind, name, id } = opts;
  const legacy = managedBy(p, kind, name);
  const extra = await opts.makeLegacy(legacy);
  const olds = { ...(await legacyInputs(kind, { ...opts.inputs, managedBy: legacy })), ...extra };
  assert.equal(opts.markOn(), legacy, `${kind}: an earlier version's mark`);

  const read = await provider(kind).read(id, olds);
  assert.equal(read.id, id, `${kind}: refresh recognises the earlier version's object`);

  const news = (
    await provider(kind).check(olds, { ...opts.inputs, managedBy: legacy, stackInstance: STACK_INSTANCE })
  ).inputs;
  const diff = await provider(kind).diff(id, read.props, news);
  assert.equal(diff.changes, true);
  assert.deepEqual(diff.replaces ?? [], [], `${kind}: upgrading the mark is an update in place`);
  const updated = await provider(kind).update(id, read.props, news);
  assert.equal(opts.markOn(), markOf(p, kind, name), `${kind}: the update rewrote the mark`);

  assert.equal(
    (await provider(kind).read(id, olds)).id,
    undefined,
    `${kind}: the old mark no longer proves it`,
  );
  assert.equal((await provider(kind).read(id, updated.outs)).id, id, `${kind}: the new one does`);
  await provider(kind).delete(id, updated.outs);
}

const aliasOf = (namespace: string, dev: string) => () => {
  const alias = linkOf(namespace, dev).ifalias as string | undefined;
  return alias?.startsWith(MARK_PREFIX) ? alias.slice(MARK_PREFIX.length) : alias;
};

/** An earlier version's link: group 28275 at the add, then its alias. */
function legacyLink(namespace: string, dev: string, add: string[], mark: string): void {
  ip(["-n", namespace, ...add]);
  ip([
    "-n",
    namespace,
    "link",
    "set",
    "dev",
    dev,
    "group",
    String(LEGACY_OWNED_LINK_GROUP),
    "alias",
    MARK_PREFIX + mark,
  ]);
}

describe("objects of earlier versions (marks without a stack instance)", { concurrency: false }, () => {
  before(() => {
    if (!isRoot()) return;
    removeByPrefix(p);
    ip(["netns", "add", ns]);
  });
  after(() => removeByPrefix(p));

  test("a namespace: its record and the inode in state prove it; update marks its loopback", async (t) => {
    if (!requireRoot(t)) return;
    const name = `${p}-n`;
    await upgrade({
      kind: "Namespace",
      name: "n",
      id: name,
      inputs: { name },
      makeLegacy: async (mark) => {
        await netnsWriteMark(name, mark);
        ip(["netns", "add", name]);
        ip(["-n", name, "link", "set", "dev", "lo", "up"]);
        return { inode: statSync(`/run/netns/${name}`).ino };
      },
      markOn: () => {
        const [lo] = ipJson<{ ifalias?: string }[]>(["-n", name, "link", "show", "dev", "lo"]);
        return lo?.ifalias ? lo.ifalias.slice(MARK_PREFIX.length) : netnsRecordSync(name);
      },
    });
    assert.deepEqual(
      ipJson<{ name: string }[]>(["netns", "list"]).filter((n) => n.name === name),
      [],
      "deleted",
    );
    assert.equal(await netnsReadMark(name), undefined, "with its record");
  });

  test("a bridge, a tap and a veth pair: their alias; update rewrites alias and group", async (t) => {
    if (!requireRoot(t)) return;
    await upgrade({
      kind: "Bridge",
      name: "br",
      id: `${ns}/br`,
      inputs: { name: "br", namespace: ns },
      makeLegacy: (mark) => (legacyLink(ns, "br", ["link", "add", "name", "br", "type", "bridge"], mark), {}),
      markOn: aliasOf(ns, "br"),
    });
    await upgrade({
      kind: "TapDevice",
      name: "tap",
      id: `${ns}/tap0`,
      inputs: { name: "tap0", namespace: ns },
      makeLegacy: (mark) => (
        legacyLink(ns, "tap0", ["tuntap", "add", "dev", "tap0", "mode", "tap"], mark),
        {}
      ),
      markOn: aliasOf(ns, "tap0"),
    });
    await upgrade({
      kind: "VethPair",
      name: "v",
      id: `${ns}/va`,
      inputs: { a: { name: "va", namespace: ns }, b: { name: "vb", namespace: ns } },
      makeLegacy: (mark) => {
        legacyLink(ns, "va", ["link", "add", "name", "va", "type", "veth", "peer", "name", "vb"], mark);
        ip([
          "-n",
          ns,
          "link",
          "set",
          "dev",
          "vb",
          "group",
          String(LEGACY_OWNED_LINK_GROUP),
          "alias",
          MARK_PREFIX + mark,
        ]);
        return {};
      },
      markOn: aliasOf(ns, "vb"),
    });
    assert.equal(linkGroupFor(markOf(p, "VethPair", "v")) > LEGACY_OWNED_LINK_GROUP, true);
    assert.deepEqual(ipJson(["-n", ns, "link", "show", "type", "veth"]), [], "the pair is gone");
    assert.deepEqual(ipJson(["-n", ns, "link", "show", "type", "bridge"]), [], "the bridge is gone");
  });

  test("a route: protocol 110 while no record names another; update records the instance mark", async (t) => {
    if (!requireRoot(t)) return;
    ip(["-n", ns, "link", "add", "name", "e0", "type", "veth", "peer", "name", "e1"]);
    ip(["-n", ns, "address", "add", "10.99.9.1/24", "dev", "e0"]);
    ip(["-n", ns, "link", "set", "dev", "e0", "up"]);
    ip(["-n", ns, "link", "set", "dev", "e1", "up"]);
    const key = { destination: "10.99.10.0/24", table: 254, metric: 0 };
    await upgrade({
      kind: "Route",
      name: "r",
      id: `${ns}/254/0/${key.destination}`,
      inputs: { namespace: ns, destination: key.destination, via: "10.99.9.2" },
      makeLegacy: () => (
        ip(["-n", ns, "route", "add", key.destination, "via", "10.99.9.2", "proto", "110"]),
        {}
      ),
      markOn: () => {
        const routes = ipJson<{ protocol?: string }[]>(["-n", ns, "route", "show", key.destination]);
        if (routes[0]?.protocol !== "110") return undefined;
        return routeRecordSync(ns, key) ?? managedBy(p, "Route", "r");
      },
    });
    assert.deepEqual(ipJson(["-n", ns, "route", "show", key.destination]), [], "deleted");
    assert.equal(await routeReadRecord(ns, key), undefined, "with its record");
  });
});

function netnsRecordSync(name: string): string | undefined {
  try {
    return readFileSync(`${NETNS_MARK_DIR}/${name}`, "utf8").split("\n")[0];
  } catch {
    return undefined;
  }
}

function routeRecordSync(namespace: string, key: { destination: string; table: number; metric: number }) {
  try {
    return readFileSync(`${ROUTE_RECORD_DIR}/${routeRecordFile(namespace, key)}`, "utf8").split("\n")[0];
  } catch {
    return undefined;
  }
}
