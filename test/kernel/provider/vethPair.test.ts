import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { uniquePrefix } from "../../helpers/names";
import { addressesOf, ip, ipJson, linkOf, removeByPrefix } from "../../helpers/readback";
import { isRoot, requireRoot } from "../../helpers/root";
import { linkGroupFor } from "../../../provider/kernel/ip";
import { driver, managedBy, markOf } from "./harness";

const p = uniquePrefix();
const veth = driver("VethPair");
const bridge = driver("Bridge");
const n1 = `${p}-1`;
const n2 = `${p}-2`;

describe("VethPair provider against the kernel", { concurrency: false }, () => {
  before(() => {
    if (!isRoot()) return;
    removeByPrefix(p);
    ip(["netns", "add", n1]);
    ip(["netns", "add", n2]);
  });
  after(() => removeByPrefix(p));

  test("ends in two namespaces with keyword names: create, update in place, drift, delete", async (t) => {
    if (!requireRoot(t)) return;
    const br = await bridge.create({ name: "br", namespace: n2, managedBy: managedBy(p, "Bridge", "br") });
    const inputs = {
      a: { name: "up", namespace: n1, addresses: ["10.99.0.1/24", "fd00:99::1/64"] },
      b: { name: "dev", namespace: n2, master: "br" },
      mtu: 1400,
      managedBy: managedBy(p, "VethPair", "v"),
    };
    const mark = markOf(p, "VethPair", "v");
    const { id, outs } = await veth.create(inputs);
    const a = linkOf(n1, "up");
    const b = linkOf(n2, "dev");
    assert.equal(a.mtu, 1400);
    assert.equal(b.master, "br");
    assert.deepEqual(addressesOf(n1, "up").sort(), ["10.99.0.1/24", "fd00:99::1/64"]);
    assert.ok((a.flags as string[]).includes("UP") && (b.flags as string[]).includes("UP"));
    assert.equal(a.ifalias, `pulumi-netns:${mark}`);
    assert.equal(outs.a.ifindex, a.ifindex);

    // In place: MTU and an address; the same ifindex afterwards.
    const changed = { ...inputs, a: { ...inputs.a, addresses: ["10.99.0.9/24"] }, mtu: 1300 };
    const { diff, result } = await veth.update(id, outs, changed);
    assert.deepEqual(diff.replaces, []);
    assert.equal(linkOf(n1, "up").ifindex, a.ifindex);
    assert.equal(linkOf(n1, "up").mtu, 1300);
    assert.deepEqual(addressesOf(n1, "up"), ["10.99.0.9/24"]);

    // Drift: an address flushed and the port detached by hand; read tells, update repairs.
    ip(["-n", n1, "addr", "flush", "dev", "up"]);
    ip(["-n", n2, "link", "set", "dev", "dev", "nomaster"]);
    const read = await veth.read(id, result.outs);
    assert.deepEqual(read.props?.a.addresses, []);
    assert.equal(read.props?.b.master, undefined);
    const repair = await veth.update(id, read.props!, changed);
    assert.equal(repair.diff.changes, true);
    assert.deepEqual(addressesOf(n1, "up"), ["10.99.0.9/24"]);
    assert.equal(linkOf(n2, "dev").master, "br");

    // A rename is a replace, and with the old names free no delete-before-replace is needed.
    const renamed = await veth.checked({ ...changed, a: { ...changed.a, name: "type" } });
    const renameDiff = await veth.provider.diff(id, repair.result.outs, renamed);
    assert.deepEqual(renameDiff.replaces, ["a.name"]);

    await veth.delete(id, repair.result.outs);
    assert.equal(ipJson(["-n", n1, "link", "show", "type", "veth"]).length, 0);
    assert.equal(ipJson(["-n", n2, "link", "show", "type", "veth"]).length, 0);
    await veth.delete(id, repair.result.outs);
    assert.deepEqual(await veth.read(id, repair.result.outs), {});
    await bridge.delete(br.id, br.outs);
  });

  test("both ends in one namespace", async (t) => {
    if (!requireRoot(t)) return;
    const { id, outs } = await veth.create({
      a: { name: "x0", namespace: n1 },
      b: { name: "x1", namespace: n1 },
      managedBy: managedBy(p, "VethPair", "same"),
    });
    assert.equal(linkOf(n1, "x0").link, "x1", "x0's peer is x1, in the same namespace");
    await veth.delete(id, outs);
  });

  test("create resumes a half-made pair whose ends share a namespace", async (t) => {
    if (!requireRoot(t)) return;
    ip([
      "-n",
      n1,
      "link",
      "add",
      "name",
      "s0",
      "group",
      String(linkGroupFor(markOf(p, "VethPair", "s"))),
      "type",
      "veth",
      "peer",
      "name",
      "s1",
      "group",
      String(linkGroupFor(markOf(p, "VethPair", "s"))),
    ]);
    const { id, outs } = await veth.create({
      a: { name: "s0", namespace: n1 },
      b: { name: "s1", namespace: n1 },
      managedBy: managedBy(p, "VethPair", "s"),
    });
    assert.equal(outs.b.ifindex, linkOf(n1, "s1").ifindex, "resumed, not re-created");
    await veth.delete(id, outs);
  });

  test("a failed create rolls back: a master that does not exist leaves no veth", async (t) => {
    if (!requireRoot(t)) return;
    // check refuses such a master at preview; create must still be safe when called without it.
    const inputs = {
      a: { name: "rb0", namespace: n1 },
      b: { name: "rb1", namespace: n2, master: "nosuchbr" },
      managedBy: managedBy(p, "VethPair", "rb"),
    };
    const checked = await veth.provider.check({}, inputs);
    assert.match(checked.failures?.[0]?.reason ?? "", /no bridge "nosuchbr"/);
    const resolved = {
      a: { ...inputs.a, addresses: [], up: true },
      b: { ...inputs.b, addresses: [], up: true },
      adopt: false,
      managedBy: inputs.managedBy,
    };
    await assert.rejects(veth.provider.create(resolved), /nosuchbr/);
    assert.equal(ipJson(["-n", n1, "link", "show", "type", "veth"]).length, 0);
  });

  test("a device someone else made is refused and untouched, then adoptable", async (t) => {
    if (!requireRoot(t)) return;
    ip(["link", "add", "name", "f0", "netns", n1, "type", "veth", "peer", "name", "f1", "netns", n2]);
    const before = linkOf(n1, "f0");
    const inputs = {
      a: { name: "f0", namespace: n1, addresses: ["10.98.0.1/24"] },
      b: { name: "f1", namespace: n2 },
      managedBy: managedBy(p, "VethPair", "f"),
    };
    await assert.rejects(veth.create(inputs), /Interface "f0" in namespace .* already exists.*adopt: true/s);
    assert.deepEqual(linkOf(n1, "f0"), before, "untouched");
    const { id, outs } = await veth.create({ ...inputs, adopt: true });
    assert.equal(outs.a.ifindex, before.ifindex, "adopted, not re-created");
    assert.deepEqual(addressesOf(n1, "f0"), ["10.98.0.1/24"]);
    await veth.delete(id, outs);
    assert.equal(ipJson(["-n", n1, "link", "show", "type", "veth"]).length, 0);
  });

  test("create resumes a pair its own interrupted run left half made", async (t) => {
    if (!requireRoot(t)) return;
    // What a crash between `ip link add` and the batch that marks and configures leaves.
    ip([
      "link",
      "add",
      "name",
      "h0",
      "netns",
      n1,
      "group",
      String(linkGroupFor(markOf(p, "VethPair", "h"))),
      "type",
      "veth",
      "peer",
      "name",
      "h1",
      "netns",
      n2,
      "group",
      String(linkGroupFor(markOf(p, "VethPair", "h"))),
    ]);
    const ifindex = linkOf(n1, "h0").ifindex;
    const { id, outs } = await veth.create({
      a: { name: "h0", namespace: n1, addresses: ["10.97.0.1/24"] },
      b: { name: "h1", namespace: n2 },
      managedBy: managedBy(p, "VethPair", "h"),
    });
    assert.equal(outs.a.ifindex, ifindex);
    assert.deepEqual(addressesOf(n1, "h0"), ["10.97.0.1/24"]);
    await veth.delete(id, outs);
  });

  test("an end in the host namespace, either end: one batch adds from the host side", async (t) => {
    if (!requireRoot(t)) return;
    type End = { name: string; namespace?: string; addresses: string[] };
    const pairs: [End, End][] = [
      [
        { name: `${p}ha`, addresses: ["10.96.0.1/24"] },
        { name: "hb", namespace: n1, addresses: ["10.96.0.2/24"] },
      ],
      [
        { name: "hc", namespace: n1, addresses: ["10.96.1.1/24"] },
        { name: `${p}hd`, addresses: ["10.96.1.2/24"] },
      ],
    ];
    for (const [a, b] of pairs) {
      const { id, outs } = await veth.create({
        a,
        b,
        mtu: 1450,
        managedBy: managedBy(p, "VethPair", a.name),
      });
      for (const [end, out] of [
        [a, outs.a],
        [b, outs.b],
      ] as const) {
        const link = linkOf(end.namespace, end.name);
        assert.equal(link.mtu, 1450);
        assert.equal(link.group, String(linkGroupFor(markOf(p, "VethPair", a.name))));
        assert.ok((link.flags as string[]).includes("UP"));
        assert.equal(out.ifindex, link.ifindex);
        assert.deepEqual(out.addresses, [...end.addresses]);
        assert.equal(out.namespace, end.namespace);
      }
      await veth.delete(id, outs);
      assert.deepEqual(await veth.read(id, outs), {});
    }
  });

  test("a taken peer name: nothing added, the collision is reported, the other name stays free", async (t) => {
    if (!requireRoot(t)) return;
    ip(["-n", n2, "link", "add", "name", "tk1", "type", "bridge"]);
    const inputs = {
      a: { name: "tk0", namespace: n1 },
      b: { name: "tk1", namespace: n2 },
      managedBy: managedBy(p, "VethPair", "tk"),
    };
    await assert.rejects(veth.create(inputs), /Interface "tk1" in namespace .* already exists/s);
    assert.equal(ipJson(["-n", n1, "link", "show", "type", "veth"]).length, 0);
    assert.equal(linkOf(n2, "tk1").ifalias, undefined, "the foreign device is untouched");
    ip(["-n", n2, "link", "delete", "dev", "tk1"]);
  });

  test("a failed create rolls back when the first batch fails after the add (ends share a namespace)", async (t) => {
    if (!requireRoot(t)) return;
    const resolved = {
      a: { name: "rs0", namespace: n1, addresses: [], up: true, master: "nosuchbr" },
      b: { name: "rs1", namespace: n1, addresses: [], up: true },
      adopt: false,
      managedBy: managedBy(p, "VethPair", "rs"),
    };
    await assert.rejects(veth.provider.create(resolved), /nosuchbr/);
    assert.equal(ipJson(["-n", n1, "link", "show", "type", "veth"]).length, 0);
  });
});
