import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { uniquePrefix } from "../../helpers/names";
import { addressesOf, ip, ipJson, linkOf, removeByPrefix } from "../../helpers/readback";
import { isRoot, requireRoot } from "../../helpers/root";
import type { InputDiff } from "../../../provider/schema/diff";
import { driver, managedBy, markOf } from "./harness";

const p = uniquePrefix();
const vxlan = driver("Vxlan");
// Two "sites" joined by an underlay veth (u0 in n1, u1 in n2), and a second underlay w0 in n1.
const n1 = `${p}-1`;
const n2 = `${p}-2`;

const info = (ns: string, name: string) =>
  (linkOf(ns, name).linkinfo as { info_data: Record<string, unknown> }).info_data;
const vxlansIn = (ns: string) => ipJson(["-n", ns, "link", "show", "type", "vxlan"]);
const updatesOf = (diff: unknown) => [...(diff as InputDiff).updates].sort();
const check = async (inputs: Record<string, unknown>) =>
  (await vxlan.provider.check({}, inputs)).failures ?? [];

describe("Vxlan provider against the kernel", { concurrency: false }, () => {
  before(() => {
    if (!isRoot()) return;
    removeByPrefix(p);
    ip(["netns", "add", n1]);
    ip(["netns", "add", n2]);
    ip(["-n", n1, "link", "add", "name", "u0", "type", "veth", "peer", "name", "u1", "netns", n2]);
    ip(["-n", n1, "link", "add", "name", "w0", "type", "veth", "peer", "name", "w1"]);
    ip(["-n", n1, "link", "add", "name", "br", "type", "bridge"]);
    for (const [ns, dev, cidr] of [
      [n1, "u0", "10.97.0.1/24"],
      [n2, "u1", "10.97.0.2/24"],
      [n1, "w0", "10.98.0.1/24"],
    ] as const) {
      ip(["-n", ns, "address", "add", cidr, "dev", dev]);
      ip(["-n", ns, "link", "set", "dev", dev, "up"]);
    }
    ip(["-n", n1, "address", "add", "fd97::1/64", "dev", "u0", "nodad"]);
    ip(["-n", n2, "address", "add", "fd97::2/64", "dev", "u1", "nodad"]);
  });
  after(() => removeByPrefix(p));

  test("create marked, update in place keeping the ifindex, drift, delete", async (t) => {
    if (!requireRoot(t)) return;
    const inputs = {
      name: "vx0",
      namespace: n1,
      vni: 42,
      remote: "10.97.0.2",
      local: "10.97.0.1",
      dev: "u0",
      ttl: 16,
      srcPortRange: [40000, 40100],
      mtu: 1400,
      master: "br",
      managedBy: managedBy(p, "Vxlan", "vx0"),
    };
    const { id, outs } = await vxlan.create(inputs);
    const link = linkOf(n1, "vx0");
    assert.equal(link.ifalias, `pulumi-netns:${markOf(p, "Vxlan", "vx0")}`);
    assert.equal(link.master, "br");
    assert.equal(link.mtu, 1400);
    assert.deepEqual(
      { ...info(n1, "vx0"), df: undefined, ageing: undefined },
      {
        ...info(n1, "vx0"),
        id: 42,
        remote: "10.97.0.2",
        local: "10.97.0.1",
        link: "u0",
        port: 4789,
        port_range: { low: 40000, high: 40100 },
        ttl: 16,
        learning: true,
        df: undefined,
        ageing: undefined,
      },
    );
    assert.deepEqual(
      [outs.vni, outs.remote, outs.dev, outs.dstPort, outs.ttl, outs.srcPortRange, outs.learning],
      [42, "10.97.0.2", "u0", 4789, 16, [40000, 40100], true],
    );

    const changed = {
      ...inputs,
      remote: "10.97.0.9",
      local: "10.98.0.1",
      dev: "w0",
      ttl: "auto",
      learning: false,
      mtu: 1300,
    };
    const { diff, result } = await vxlan.update(id, outs, changed);
    assert.deepEqual(diff.replaces, []);
    assert.deepEqual(updatesOf(diff), ["dev", "learning", "local", "mtu", "remote", "ttl"]);
    assert.equal(result.outs.ifindex, outs.ifindex, "the same device");
    const now = info(n1, "vx0");
    assert.deepEqual(
      [now.remote, now.local, now.link, now.ttl, now.learning, linkOf(n1, "vx0").mtu],
      ["10.97.0.9", "10.98.0.1", "w0", 0, false, 1300],
    );
    assert.deepEqual((await vxlan.update(id, result.outs, changed)).diff.changes, false, "converged");

    const vniDiff = (await vxlan.provider.diff(
      id,
      result.outs,
      await vxlan.checked({ ...changed, vni: 43, dstPort: 4790 }),
    )) as InputDiff;
    assert.deepEqual([[...vniDiff.replaces].sort(), vniDiff.deleteBeforeReplace], [["dstPort", "vni"], true]);

    ip([
      "-n",
      n1,
      "link",
      "set",
      "dev",
      "vx0",
      "type",
      "vxlan",
      "ttl",
      "99",
      "learning",
      "remote",
      "10.97.0.7",
    ]);
    const read = await vxlan.read(id, result.outs);
    assert.deepEqual([read.props?.ttl, read.props?.learning, read.props?.remote], [99, true, "10.97.0.7"]);
    const repaired = await vxlan.update(id, read.props!, changed);
    assert.deepEqual(updatesOf(repaired.diff), ["learning", "remote", "ttl"]);
    assert.deepEqual(
      [info(n1, "vx0").ttl, info(n1, "vx0").learning, info(n1, "vx0").remote],
      [0, false, "10.97.0.9"],
    );

    await vxlan.delete(id, repaired.result.outs);
    assert.equal(vxlansIn(n1).length, 0);
    await vxlan.delete(id, repaired.result.outs);
  });

  test("a multicast group on a dev, then a unicast remote in place", async (t) => {
    if (!requireRoot(t)) return;
    const inputs = {
      name: "vxm",
      namespace: n1,
      vni: 50,
      group: "239.1.1.1",
      dev: "u0",
      managedBy: managedBy(p, "Vxlan", "m"),
    };
    const { id, outs } = await vxlan.create(inputs);
    assert.deepEqual([info(n1, "vxm").group, info(n1, "vxm").link], ["239.1.1.1", "u0"]);
    const regroup = await vxlan.update(id, outs, { ...inputs, group: "239.1.1.2" });
    assert.equal(info(n1, "vxm").group, "239.1.1.2");
    const { diff, result } = await vxlan.update(id, regroup.result.outs, {
      ...inputs,
      group: undefined,
      remote: "10.97.0.2",
    });
    assert.deepEqual(diff.replaces, []);
    assert.deepEqual(
      [info(n1, "vxm").remote, info(n1, "vxm").group, result.outs.ifindex],
      ["10.97.0.2", undefined, outs.ifindex],
    );
    await vxlan.delete(id, result.outs);
  });

  test("two sites over an IPv6 underlay carry traffic", async (t) => {
    if (!requireRoot(t)) return;
    const made = [];
    for (const [ns, dev, local, remote, cidr] of [
      [n1, "u0", "fd97::1", "fd97::2", "10.99.0.1/24"],
      [n2, "u1", "fd97::2", "fd97::1", "10.99.0.2/24"],
    ] as const) {
      const inputs = {
        name: "vx6",
        namespace: ns,
        vni: 60,
        local,
        remote,
        dev,
        addresses: [cidr],
        managedBy: managedBy(p, "Vxlan", `v6-${ns}`),
      };
      made.push({ inputs, ...(await vxlan.create(inputs)) });
    }
    assert.equal(made[0]?.outs.mtu, 1430, "the kernel's default: the underlay's MTU less the IPv6 header");
    assert.equal(info(n1, "vx6").remote6, "fd97::2");
    execFileSync("ip", ["netns", "exec", n1, "ping", "-n", "-c", "2", "-w", "10", "-i", "0.2", "10.99.0.2"]);
    for (const m of made) await vxlan.delete(m.id, m.outs);
  });

  test("the kernel's refusal of a VNI taken names the device that has it; nothing is left", async (t) => {
    if (!requireRoot(t)) return;
    ip(["-n", n1, "link", "add", "name", "theirs", "type", "vxlan", "id", "77", "dstport", "4789"]);
    await assert.rejects(
      vxlan.create({
        name: "vx7",
        namespace: n1,
        vni: 77,
        remote: "10.97.0.2",
        managedBy: managedBy(p, "Vxlan", "x"),
      }),
      (e: Error) => {
        assert.match(
          e.message,
          /VNI 77 on UDP port 4789 \(IPv4\) .* already used by VXLAN device "theirs" \(no pulumi-netns mark\)/,
        );
        assert.match(e.message, /choose another vni or dstPort/);
        assert.match(
          e.message,
          /A VXLAN device with the specified VNI already exists/,
          "the kernel's own words",
        );
        return true;
      },
    );
    assert.deepEqual(
      vxlansIn(n1).map((l) => l.ifname),
      ["theirs"],
    );
    // Another port, or the other address family, is another key to the kernel.
    const v6 = await vxlan.create({
      name: "vx7",
      namespace: n1,
      vni: 77,
      remote: "fd97::2",
      managedBy: managedBy(p, "Vxlan", "x"),
    });
    await vxlan.delete(v6.id, v6.outs);
    ip(["-n", n1, "link", "delete", "dev", "theirs"]);
  });

  test("a look-alike is refused, adopted only as it is: the kernel cannot change its VNI", async (t) => {
    if (!requireRoot(t)) return;
    ip([
      "-n",
      n1,
      "link",
      "add",
      "name",
      "found",
      "type",
      "vxlan",
      "id",
      "80",
      "dstport",
      "4789",
      "remote",
      "10.97.0.2",
    ]);
    const inputs = {
      name: "found",
      namespace: n1,
      vni: 81,
      remote: "10.97.0.3",
      managedBy: managedBy(p, "Vxlan", "f"),
    };
    await assert.rejects(vxlan.create(inputs), /already exists and this stack did not create it/);
    await assert.rejects(
      vxlan.create({ ...inputs, adopt: true }),
      /has VNI 80, not 81; the kernel cannot change that in place/,
    );
    assert.equal(info(n1, "found").remote, "10.97.0.2", "unchanged");
    assert.equal(linkOf(n1, "found").ifalias, undefined, "not marked");
    const { id, outs } = await vxlan.create({ ...inputs, vni: 80, adopt: true });
    assert.deepEqual([info(n1, "found").remote, outs.vni], ["10.97.0.3", 80]);
    assert.match(String(linkOf(n1, "found").ifalias), /pulumi-netns:/);
    await vxlan.delete(id, outs);
    assert.equal(vxlansIn(n1).length, 0);
  });

  test("deleting the underlay takes the device with it: read reports it gone", async (t) => {
    if (!requireRoot(t)) return;
    ip(["-n", n1, "link", "add", "name", "tmp0", "type", "veth", "peer", "name", "tmp1"]);
    const { id, outs } = await vxlan.create({
      name: "vxt",
      namespace: n1,
      vni: 90,
      dev: "tmp0",
      managedBy: managedBy(p, "Vxlan", "t"),
    });
    ip(["-n", n1, "link", "delete", "dev", "tmp0"]);
    assert.deepEqual(await vxlan.read(id, outs), {});
    await vxlan.delete(id, outs);
  });

  test("preview-time claims: one (VNI, port, family) per namespace, an underlay that is there", async (t) => {
    if (!requireRoot(t)) return;
    const a = { name: "ca", namespace: n2, vni: 100, dev: "u1", managedBy: managedBy(p, "Vxlan", "ca") };
    assert.deepEqual(await check(a), []);
    assert.deepEqual(await check(a), [], "the same resource checked twice is no duplicate");
    const dup = await check({ ...a, name: "cb", managedBy: managedBy(p, "Vxlan", "cb") });
    assert.deepEqual(
      dup.map((f) => f.property),
      ["vni"],
    );
    assert.match(
      dup[0]?.reason ?? "",
      /VNI 100 on UDP port 4789 \(IPv4\) .* also declared by Vxlan ca \(device "ca"\)/,
    );
    for (const other of [{ dstPort: 4790 }, { remote: "fd97::1" }, { namespace: n1, dev: "u0" }]) {
      assert.deepEqual(
        await check({ ...a, ...other, name: "cc", managedBy: managedBy(p, "Vxlan", "cc") }),
        [],
      );
    }

    const missing = await check({
      ...a,
      name: "cd",
      vni: 101,
      dev: "nowhere",
      managedBy: managedBy(p, "Vxlan", "cd"),
    });
    assert.deepEqual(
      missing.map((f) => f.property),
      ["dev"],
    );
    assert.match(
      missing[0]?.reason ?? "",
      /no interface "nowhere" is declared in namespace .* or exists there/,
    );

    // An underlay declared by the stack counts before it exists; one declared elsewhere does not.
    const under = { a: { name: "ul0", namespace: n2 }, b: { name: "ul1", namespace: n1 } };
    assert.deepEqual(
      await driver("VethPair")
        .provider.check({}, { ...under, managedBy: managedBy(p, "VethPair", "ul") })
        .then((r) => r.failures ?? []),
      [],
    );
    assert.deepEqual(
      await check({ ...a, name: "ce", vni: 102, dev: "ul0", managedBy: managedBy(p, "Vxlan", "ce") }),
      [],
    );
    const wrongSide = await check({
      ...a,
      name: "cf",
      vni: 103,
      dev: "ul1",
      managedBy: managedBy(p, "Vxlan", "cf"),
    });
    assert.match(
      wrongSide[0]?.reason ?? "",
      /declared in namespace .*-1", not in namespace .*-2": a VXLAN device and its underlay must share/,
    );
    assert.ok(addressesOf(n2, "u1").length > 0);
  });
});
