import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { uniquePrefix } from "../../helpers/names";
import { ip, linkOf, removeByPrefix } from "../../helpers/readback";
import { isRoot, requireRoot } from "../../helpers/root";
import { driver, managedBy } from "./harness";

const p = uniquePrefix();
const veth = driver("VethPair");
const tap = driver("TapDevice");
const vxlan = driver("Vxlan");
const macvlan = driver("Macvlan");
const n1 = `${p}-1`;
const n2 = `${p}-2`;

interface Qdisc {
  kind: string;
  root?: boolean;
  options: { rate?: number; burst?: number; limit?: number };
}

/** The device's root qdisc as `tc -j -raw qdisc show` prints it, read independently of the provider. */
function rootQdisc(namespace: string, dev: string): Qdisc | undefined {
  const out = execFileSync("tc", ["-j", "-raw", "-n", namespace, "qdisc", "show", "dev", dev], {
    encoding: "utf8",
  }).trim();
  return (JSON.parse(out === "" ? "[]" : out) as Qdisc[]).find((q) => q.root === true);
}

const tc = (args: readonly string[]) => execFileSync("tc", args, { stdio: ["ignore", "ignore", "pipe"] });

const MBIT = 1_000_000;

/** The paths a diff changes in place (our diff reports them beside the engine's fields). */
const updatesOf = (diff: object) => [...((diff as { updates?: string[] }).updates ?? [])].sort();

describe("rate limits on links against the kernel", { concurrency: false }, () => {
  before(() => {
    if (!isRoot()) return;
    removeByPrefix(p);
    ip(["netns", "add", n1]);
    ip(["netns", "add", n2]);
  });
  after(() => removeByPrefix(p));

  test("a veth end: apply, read back, change in place, drift repaired, symmetric, remove", async (t) => {
    if (!requireRoot(t)) return;
    const inputs = {
      a: { name: "up", namespace: n1, addresses: ["10.98.0.1/24"], rate: { bitsPerSecond: 10 * MBIT } },
      b: { name: "dev", namespace: n2, addresses: ["10.98.0.2/24"] },
      managedBy: managedBy(p, "VethPair", "shaped"),
    };
    const { id, outs } = await veth.create(inputs);
    const ifindex = linkOf(n1, "up").ifindex;
    // Defaults: 10 ms of the rate but at least 15140 bytes of bucket; 50 ms of queue on top of it.
    assert.deepEqual(rootQdisc(n1, "up"), {
      ...rootQdisc(n1, "up"),
      kind: "tbf",
      options: { ...rootQdisc(n1, "up")?.options, rate: 1_250_000, burst: 15140, limit: 62500 + 15140 },
    });
    assert.deepEqual(outs.a.rate, { bitsPerSecond: 10 * MBIT, burstBytes: 15140, limitBytes: 77640 });
    assert.equal(outs.b.rate, undefined);
    assert.equal(rootQdisc(n2, "dev")?.kind, "noqueue", "the other end keeps the kernel's default");

    // Read back after create: the same, and no diff against the same inputs.
    const read = await veth.read(id, outs);
    assert.deepEqual(read.props?.a.rate, outs.a.rate);
    const same = await veth.provider.diff(id, read.props!, await veth.checked(inputs));
    assert.equal(same.changes, false, JSON.stringify(same));

    // 50 Mbit/s with a burst the kernel rounds (62503 reads back as 62500): an update in place,
    // the same ifindex, and no permanent diff afterwards.
    const faster = {
      ...inputs,
      a: { ...inputs.a, rate: { bitsPerSecond: 50 * MBIT, burstBytes: 62503, limitBytes: 200000 } },
    };
    const changed = await veth.update(id, read.props!, faster);
    assert.deepEqual(changed.diff.replaces, []);
    assert.deepEqual(updatesOf(changed.diff), ["a.rate"]);
    assert.equal(linkOf(n1, "up").ifindex, ifindex);
    const q = rootQdisc(n1, "up");
    assert.equal(q?.options.rate, 6_250_000);
    assert.equal(q?.options.limit, 200000);
    assert.ok(Math.abs((q?.options.burst ?? 0) - 62503) <= 15, `burst ${q?.options.burst}`);
    const settled = await veth.provider.diff(id, changed.result.outs, await veth.checked(faster));
    assert.equal(settled.changes, false, "a rounded burst is no change");

    // Drift: the qdisc deleted by hand shows on refresh, and the update puts it back.
    tc(["-n", n1, "qdisc", "del", "dev", "up", "root"]);
    const drifted = await veth.read(id, changed.result.outs);
    assert.equal(drifted.props?.a.rate, undefined);
    const repair = await veth.update(id, drifted.props!, faster);
    assert.deepEqual(updatesOf(repair.diff), ["a.rate"]);
    assert.equal(rootQdisc(n1, "up")?.options.rate, 6_250_000);

    // Changed by hand to another kind: drift too.
    tc(["-n", n1, "qdisc", "replace", "dev", "up", "root", "htb"]);
    const htb = await veth.read(id, repair.result.outs);
    assert.equal(htb.props?.a.rate, undefined);

    // Symmetric: both ends limited; the new end only gets a qdisc, its peer's is unchanged.
    const both = { ...faster, b: { ...faster.b, rate: faster.a.rate } };
    const symmetric = await veth.update(id, htb.props!, both);
    assert.deepEqual(updatesOf(symmetric.diff), ["a.rate", "b.rate"]);
    assert.equal(rootQdisc(n1, "up")?.kind, "tbf");
    assert.equal(rootQdisc(n2, "dev")?.options.rate, 6_250_000);

    // Removed: the kernel's default qdisc again, still the same link.
    const plain = { ...inputs, a: { ...inputs.a, rate: undefined } };
    const removed = await veth.update(id, symmetric.result.outs, plain);
    assert.deepEqual(updatesOf(removed.diff), ["a.rate", "b.rate"]);
    assert.equal(rootQdisc(n1, "up")?.kind, "noqueue");
    assert.equal(rootQdisc(n2, "dev")?.kind, "noqueue");
    assert.equal(removed.result.outs.a.rate, undefined);
    assert.equal(linkOf(n1, "up").ifindex, ifindex);

    await veth.delete(id, removed.result.outs);
  });

  test("a tap: rate applied with the link, read back, deleted with it", async (t) => {
    if (!requireRoot(t)) return;
    const inputs = {
      name: "tap0",
      namespace: n1,
      rate: { bitsPerSecond: 100 * MBIT, latencyMs: 20 },
      managedBy: managedBy(p, "TapDevice", "tap0"),
    };
    const { id, outs } = await tap.create(inputs);
    assert.equal(rootQdisc(n1, "tap0")?.options.rate, 12_500_000);
    // latency 20 ms at 12.5 MB/s is 250000 bytes of queue, plus the default burst (125000).
    assert.deepEqual(outs.rate, { bitsPerSecond: 100 * MBIT, burstBytes: 125000, limitBytes: 375000 });
    const read = await tap.read(id, outs);
    assert.deepEqual(read.props?.rate, outs.rate);
    await tap.delete(id, outs);
    assert.throws(() => linkOf(n1, "tap0"));
  });

  test("a VXLAN device and a macvlan made from another namespace: the rate on the link, in its own namespace", async (t) => {
    if (!requireRoot(t)) return;
    // The macvlan's parent (a veth end in n2) and the VXLAN's underlay (its peer in n1).
    ip(["-n", n2, "link", "add", "name", "par", "type", "veth", "peer", "name", "under", "netns", n1]);
    ip(["-n", n2, "link", "set", "dev", "par", "up"]);
    ip(["-n", n1, "link", "set", "dev", "under", "up"]);
    const vx = {
      name: "vx0",
      namespace: n1,
      vni: 77,
      remote: "192.0.2.7",
      dev: "under",
      rate: { bitsPerSecond: 20 * MBIT },
      managedBy: managedBy(p, "Vxlan", "vx0"),
    };
    const v = await vxlan.create(vx);
    assert.equal(rootQdisc(n1, "vx0")?.options.rate, 2_500_000);
    assert.deepEqual((await vxlan.read(v.id, v.outs)).props?.rate, v.outs.rate);
    const mv = {
      name: "mv0",
      namespace: n1,
      parent: "par",
      parentNamespace: n2,
      rate: { bitsPerSecond: 40 * MBIT },
      managedBy: managedBy(p, "Macvlan", "mv0"),
    };
    const m = await macvlan.create(mv);
    assert.equal(
      rootQdisc(n1, "mv0")?.options.rate,
      5_000_000,
      "shaped where the link ended up, not in the parent's namespace",
    );
    // Drift on the macvlan: its qdisc deleted by hand is seen by read; update puts it back in place.
    tc(["-n", n1, "qdisc", "del", "dev", "mv0", "root"]);
    const drifted = await macvlan.read(m.id, m.outs);
    assert.equal(drifted.props?.rate, undefined);
    const ifindex = linkOf(n1, "mv0").ifindex;
    await macvlan.update(m.id, drifted.props!, mv);
    assert.equal(rootQdisc(n1, "mv0")?.options.rate, 5_000_000);
    assert.equal(linkOf(n1, "mv0").ifindex, ifindex);
    await macvlan.delete(m.id, m.outs);
    await vxlan.delete(v.id, v.outs);
    ip(["-n", n2, "link", "delete", "dev", "par"]);
  });

  test("a qdisc on a look-alike is never touched; a create that fails at tc is rolled back", async (t) => {
    if (!requireRoot(t)) return;
    // A veth someone made by hand under the names of ours, with a qdisc of its own.
    ip(["-n", n1, "link", "add", "name", "la", "type", "veth", "peer", "name", "lb"]);
    tc([
      "-n",
      n1,
      "qdisc",
      "replace",
      "dev",
      "la",
      "root",
      "tbf",
      "rate",
      "1mbit",
      "burst",
      "20000",
      "limit",
      "40000",
    ]);
    const before = rootQdisc(n1, "la");
    const inputs = {
      a: { name: "la", namespace: n1, rate: { bitsPerSecond: 10 * MBIT } },
      b: { name: "lb", namespace: n1 },
      managedBy: managedBy(p, "VethPair", "lookalike"),
    };
    await assert.rejects(veth.create(inputs), /already exists/);
    const outs = {
      a: {
        name: "la",
        namespace: n1,
        rate: { bitsPerSecond: 10 * MBIT, burstBytes: 15140, limitBytes: 77640 },
      },
      b: { name: "lb", namespace: n1 },
      managedBy: inputs.managedBy,
      stackInstance: "5e1f7e575e1f7e57",
      adopt: false,
    };
    assert.deepEqual(await veth.read("x", outs), {}, "a look-alike is not ours");
    await assert.rejects(
      veth.provider.update("x", outs, await veth.checked({ ...inputs, a: { ...inputs.a, rate: undefined } })),
    );
    await veth.delete("x", outs);
    assert.deepEqual(rootQdisc(n1, "la"), before, "its qdisc is as it was");
    ip(["-n", n1, "link", "delete", "dev", "la"]);

    // tc refuses a rate of 0 bit/s (check would have): the pair it had just made goes again.
    const checked = await veth.checked({
      a: { name: "ra", namespace: n1, rate: { bitsPerSecond: MBIT } },
      b: { name: "rb", namespace: n2 },
      managedBy: managedBy(p, "VethPair", "refused"),
    });
    const refused = {
      ...checked,
      a: { ...(checked.a as object), rate: { bitsPerSecond: 0, burstBytes: 1, limitBytes: 1 } },
    };
    await assert.rejects(veth.provider.create(refused), /tc .*qdisc replace dev ra root tbf rate 0bit/);
    assert.throws(() => linkOf(n1, "ra"), "the half-made pair was rolled back");
    assert.throws(() => linkOf(n2, "rb"));
  });
});
