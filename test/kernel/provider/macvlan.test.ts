import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { linkGroupFor } from "../../../provider/kernel/ip";
import { uniquePrefix } from "../../helpers/names";
import { addressesOf, ip, ipJson, linkOf, removeByPrefix } from "../../helpers/readback";
import { isRoot, requireRoot } from "../../helpers/root";
import { driver, managedBy, markOf } from "./harness";

const p = uniquePrefix();
const macvlan = driver("Macvlan");
const [hub, h1, h2] = [`${p}-hub`, `${p}-1`, `${p}-2`];
const info = (ns: string, name: string) =>
  (linkOf(ns, name).linkinfo as { info_kind: string; info_data: Record<string, unknown> }).info_data;
const links = (ns: string, type: string) => ipJson(["-n", ns, "link", "show", "type", type]);
const check = async (inputs: Record<string, unknown>) =>
  (await macvlan.provider.check({}, { stackInstance: "5e1f7e575e1f7e57", ...inputs })).failures ?? [];

describe("Macvlan provider against the kernel", { concurrency: false }, () => {
  before(() => {
    if (!isRoot()) return;
    removeByPrefix(p);
    for (const n of [hub, h1, h2]) ip(["netns", "add", n]);
    // The parent: one end of a veth pair whose both ends are up, so it has a carrier.
    ip(["-n", hub, "link", "add", "name", "up0", "type", "veth", "peer", "name", "up1"]);
    ip(["-n", hub, "link", "set", "dev", "up0", "up"]);
    ip(["-n", hub, "link", "set", "dev", "up1", "up"]);
  });
  after(() => removeByPrefix(p));

  test("made from the parent's namespace into two others, they talk in bridge mode; mode updates, passthru replaces", async (t) => {
    if (!requireRoot(t)) return;
    const inputs = (ns: string, address: string) => ({
      name: "eth0",
      namespace: ns,
      parent: "up0",
      parentNamespace: hub,
      addresses: [address],
      managedBy: managedBy(p, "Macvlan", ns),
    });
    const one = await macvlan.create(inputs(h1, "10.77.0.1/24"));
    const two = await macvlan.create(inputs(h2, "10.77.0.2/24"));
    const shown = linkOf(h1, "eth0");
    assert.equal((shown.linkinfo as { info_kind: string }).info_kind, "macvlan");
    assert.equal(info(h1, "eth0").mode, "bridge");
    assert.equal(shown.group, String(linkGroupFor(markOf(p, "Macvlan", h1))));
    assert.equal(shown.ifalias, `pulumi-netns:${markOf(p, "Macvlan", h1)}`);
    assert.equal(shown.link_index, linkOf(hub, "up0").ifindex, "made on the parent");
    assert.deepEqual(addressesOf(h2, "eth0"), ["10.77.0.2/24"]);
    assert.equal(links(hub, "macvlan").length, 0, "nothing stays in the parent's namespace");
    assert.deepEqual(
      [one.outs.mode, one.outs.parent, one.outs.parentNamespace, one.outs.operstate],
      ["bridge", "up0", hub, "UP"],
    );
    execFileSync("ip", ["netns", "exec", h1, "ping", "-c", "1", "-W", "2", "10.77.0.2"], { stdio: "ignore" });

    const { diff, result } = await macvlan.update(one.id, one.outs, {
      ...inputs(h1, "10.77.0.1/24"),
      mode: "private",
    });
    assert.deepEqual([diff.changes, diff.replaces], [true, []]);
    assert.equal(info(h1, "eth0").mode, "private");
    assert.equal(result.outs.ifindex, one.outs.ifindex, "same device");
    assert.equal(result.outs.mode, "private");

    const passthru = await macvlan.checked({ ...inputs(h1, "10.77.0.1/24"), mode: "passthru" });
    const toPassthru = await macvlan.provider.diff(one.id, result.outs, passthru);
    assert.deepEqual(toPassthru.replaces, ["mode"]);
    assert.equal(toPassthru.deleteBeforeReplace, true);
    // What the kernel says to that in place, which is why it replaces.
    assert.throws(
      () => ip(["-n", h1, "link", "set", "dev", "eth0", "type", "macvlan", "mode", "passthru"]),
      /Invalid argument|Command failed/,
    );

    // Drift: the mode changed by hand is seen and put back.
    ip(["-n", h1, "link", "set", "dev", "eth0", "type", "macvlan", "mode", "vepa"]);
    const read = await macvlan.read(one.id, result.outs);
    assert.equal(read.props?.mode, "vepa");
    await macvlan.update(one.id, read.props!, { ...inputs(h1, "10.77.0.1/24"), mode: "private" });
    assert.equal(info(h1, "eth0").mode, "private");

    await macvlan.delete(one.id, result.outs);
    await macvlan.delete(two.id, two.outs);
    assert.equal(links(h1, "macvlan").length + links(h2, "macvlan").length, 0);
    await macvlan.delete(one.id, result.outs);
  });

  test("in the parent's own namespace: parent read back by name; gone with its parent", async (t) => {
    if (!requireRoot(t)) return;
    ip(["-n", hub, "link", "add", "name", "tmp0", "type", "veth", "peer", "name", "tmp1"]);
    const inputs = {
      name: "type",
      parent: "tmp0",
      namespace: hub,
      mtu: 1400,
      managedBy: managedBy(p, "Macvlan", "t"),
    };
    const { id, outs } = await macvlan.create(inputs);
    assert.equal(linkOf(hub, "type").link, "tmp0");
    assert.equal(linkOf(hub, "type").mtu, 1400);
    assert.equal(outs.parent, "tmp0");
    assert.equal(outs.parentNamespace, undefined);

    ip(["-n", hub, "link", "delete", "dev", "tmp0"]);
    assert.deepEqual(await macvlan.read(id, outs), {}, "the kernel deleted it with its parent");
    await macvlan.delete(id, outs);
  });

  test("a failed configuration after a cross-namespace add is rolled back; a look-alike is left alone", async (t) => {
    if (!requireRoot(t)) return;
    const base = {
      name: "mv9",
      namespace: h1,
      parent: "up0",
      parentNamespace: hub,
      managedBy: managedBy(p, "Macvlan", "mv9"),
    };
    // The parent's MTU is 1500: a macvlan above it is refused by the kernel after the add.
    await assert.rejects(macvlan.create({ ...base, mtu: 9000 }), /Invalid argument|mtu/i);
    assert.equal(links(h1, "macvlan").length, 0, "nothing left");

    ip(["-n", h1, "link", "add", "name", "mv9", "type", "bridge"]);
    await assert.rejects(macvlan.create(base), /already exists|adopt/);
    assert.equal((linkOf(h1, "mv9").linkinfo as { info_kind: string }).info_kind, "bridge", "untouched");
    ip(["-n", h1, "link", "delete", "dev", "mv9"]);
  });

  test("check: the parent must be declared or exist in the parent's namespace", async (t) => {
    if (!requireRoot(t)) return;
    const base = { name: "c0", namespace: h2, managedBy: managedBy(p, "Macvlan", "c0") };
    assert.deepEqual(await check({ ...base, parent: "up1", parentNamespace: hub }), [], "an existing parent");
    const missing = await check({ ...base, parent: "nope", parentNamespace: hub });
    assert.deepEqual(
      missing.map((f) => f.property),
      ["parent"],
    );
    assert.match(missing[0]?.reason ?? "", /no link "nope" is declared in namespace .* or exists there/);
    const nowhere = await check({ ...base, parent: "up0", parentNamespace: `${p}-nowhere` });
    assert.deepEqual(
      nowhere.map((f) => f.property),
      ["parentNamespace"],
    );
    const self = await check({ ...base, name: "c1", parent: "c1" });
    assert.deepEqual(
      self.map((f) => f.property),
      ["parent"],
    );
  });
});
