import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { linkGroupFor } from "../../../provider/kernel/ip";
import { netnsReadMark, netnsRemoveMark, netnsWriteMark } from "../../../provider/kernel/netns";
import { hostMark, type LanOutputs } from "../../../provider/lan";
import { uniquePrefix } from "../../helpers/names";
import { addressesOf, ip, ipJson, linkOf, namespaceNames, removeByPrefix } from "../../helpers/readback";
import { requireRoot } from "../../helpers/root";
import { driver, managedBy, markOf } from "./harness";

const p = uniquePrefix();
const lan = driver("Lan");

/** Host I of Lan `name`: `<p><name>I` (claims are per process, so each Lan has hosts of its own). */
const h = (name: string, i: number) => `${p}${name}${i}`;

/** A Lan `name` with hosts {@link h} for each I of `indexes`, at 10.30.0.I/24. */
function lanInputs(name: string, indexes: readonly number[], hosts: Record<string, unknown> = {}) {
  return {
    namespace: `${p}${name}`,
    managedBy: managedBy(p, "Lan", name),
    hosts: {
      ...Object.fromEntries(indexes.map((i) => [h(name, i), { addresses: [`10.30.0.${i}/24`] }])),
      ...hosts,
    },
  };
}

const aliasOf = (ns: string, dev: string) => linkOf(ns, dev).ifalias;
const ifindexOf = (ns: string, dev: string) => linkOf(ns, dev).ifindex as number;
const ping = (from: string, to: string) =>
  execFileSync("ip", ["netns", "exec", from, "ping", "-c", "1", "-W", "2", "-q", to], { stdio: "ignore" });
const ours = () => namespaceNames().filter((n) => n.startsWith(p));
const asOutputs = (o: unknown) => o as LanOutputs;

describe("Lan provider against the kernel", { concurrency: false }, () => {
  before(() => removeByPrefix(p));
  after(() => removeByPrefix(p));

  test("create, read, per-host update, delete; delete again is success", async (t) => {
    if (!requireRoot(t)) return;
    const inputs = lanInputs("a", [1, 2, 3], {
      [h("a", 4)]: { addresses: ["10.30.0.4/24"], gateway: "10.30.0.254" },
    });
    const mark = markOf(p, "Lan", "a");
    const hub = `${p}a`;
    const { id, outs } = await lan.create(inputs);
    assert.equal(id, hub);
    assert.deepEqual(ours().sort(), [hub, h("a", 1), h("a", 2), h("a", 3), h("a", 4)].sort());
    assert.equal(aliasOf(hub, "br"), `pulumi-netns:${mark}`, "the bridge carries the Lan's mark");
    assert.equal(aliasOf(hub, "lo"), `pulumi-netns:${mark}`, "so does the Lan's namespace");
    const h1Mark = hostMark(mark, h("a", 1));
    const port = linkOf(hub, h("a", 1));
    assert.equal(port.ifalias, `pulumi-netns:${h1Mark}`, "a port carries its host's mark");
    assert.equal(port.master, "br");
    assert.equal(port.group, String(linkGroupFor(h1Mark)));
    assert.equal(aliasOf(h("a", 1), "eth0"), `pulumi-netns:${h1Mark}`, "so does the host's end");
    assert.equal(aliasOf(h("a", 1), "lo"), `pulumi-netns:${h1Mark}`, "and the host's namespace");
    assert.equal(await netnsReadMark(h("a", 1)), h1Mark);
    assert.deepEqual(addressesOf(h("a", 2), "eth0"), ["10.30.0.2/24"]);
    const [route] = ipJson<{ gateway?: string }[]>(["-n", h("a", 4), "route", "show", "default"]);
    assert.equal(route?.gateway, "10.30.0.254");
    ping(h("a", 1), "10.30.0.3");
    const o = asOutputs(outs);
    assert.deepEqual(Object.keys(o.hosts), [h("a", 1), h("a", 2), h("a", 3), h("a", 4)]);
    assert.equal(o.hosts[h("a", 4)]?.gateway, "10.30.0.254");
    assert.deepEqual(o.hosts[h("a", 2)]?.addresses, ["10.30.0.2/24"]);

    const read = await lan.read(id, outs);
    assert.deepEqual(read.props, outs, "read sees what create made");

    // h1 re-made (new port name), h2 changed in place, h3 removed, h4 unchanged, h5 added.
    const h2Index = ifindexOf(h("a", 2), "eth0");
    const h4Index = ifindexOf(h("a", 4), "eth0");
    const next = {
      ...lanInputs("a", [5], {
        [h("a", 1)]: { addresses: ["10.30.0.1/24"], port: "p1" },
        [h("a", 2)]: { addresses: ["10.30.0.22/24"] },
        [h("a", 4)]: { addresses: ["10.30.0.4/24"], gateway: "10.30.0.254" },
      }),
    };
    const { diff, result } = await lan.update(id, outs, next);
    assert.deepEqual(diff.replaces, [], "no host's change replaces the Lan");
    assert.deepEqual(ours().sort(), [hub, h("a", 1), h("a", 2), h("a", 4), h("a", 5)].sort());
    assert.equal(ifindexOf(h("a", 2), "eth0"), h2Index, "h2 changed in place");
    assert.equal(ifindexOf(h("a", 4), "eth0"), h4Index, "h4 untouched");
    assert.deepEqual(addressesOf(h("a", 2), "eth0"), ["10.30.0.22/24"]);
    assert.equal(linkOf(hub, "p1").master, "br", "h1 re-made on its new port");
    assert.throws(() => linkOf(hub, h("a", 1)), "its old port is gone");
    ping(h("a", 5), "10.30.0.22");
    assert.deepEqual((await lan.read(id, result.outs)).props, result.outs);

    await lan.delete(id, result.outs);
    assert.deepEqual(ours(), [], "nothing left");
    assert.equal(await netnsReadMark(h("a", 2)), undefined, "records dropped");
    await lan.delete(id, result.outs);
    assert.deepEqual(await lan.read(id, result.outs), {}, "read reports it gone");
  });

  test("refresh finds drift per host, and update repairs only those hosts", async (t) => {
    if (!requireRoot(t)) return;
    const inputs = lanInputs("d", [1, 2, 3]);
    const { id, outs } = await lan.create(inputs);
    ip(["netns", "delete", h("d", 1)]);
    ip(["-n", h("d", 2), "address", "flush", "dev", "eth0"]);
    ip(["-n", `${p}d`, "link", "set", "dev", h("d", 3), "nomaster"]);
    const read = asOutputs((await lan.read(id, outs)).props);
    assert.deepEqual(Object.keys(read.hosts), [h("d", 2)], "a host gone or detached is left out");
    assert.deepEqual(read.hosts[h("d", 2)]?.addresses, [], "a flushed address shows");
    const { diff } = await lan.update(id, read as unknown as Record<string, unknown>, inputs);
    assert.deepEqual(diff.replaces, []);
    assert.equal(linkOf(`${p}d`, h("d", 3)).master, "br", "the detached port is back");
    assert.deepEqual(addressesOf(h("d", 2), "eth0"), ["10.30.0.2/24"]);
    ping(h("d", 1), "10.30.0.3");
    await lan.delete(id, outs);
    assert.deepEqual(ours(), []);
  });

  test("hosts get an IPv6 link-local address only when the Lan uses IPv6; changing it re-makes them", async (t) => {
    if (!requireRoot(t)) return;
    const linkLocals = (ns: string) =>
      ipJson<{ addr_info?: { local: string; scope: string }[] }[]>([
        "-n",
        ns,
        "-6",
        "address",
        "show",
        "dev",
        "eth0",
      ])
        .flatMap((l) => l.addr_info ?? [])
        .filter((a) => a.scope === "link")
        .map((a) => a.local);
    const inputs = lanInputs("v", [1, 2]);
    const { id, outs } = await lan.create(inputs);
    const o = asOutputs(outs);
    assert.equal(o.hosts[h("v", 1)]?.ipv6LinkLocal, false, "an IPv4-only Lan: none by default");
    assert.equal(linkOf(h("v", 1), "eth0").inet6_addr_gen_mode, "none");
    assert.deepEqual(linkLocals(h("v", 1)), [], "the kernel made no fe80:: address");
    ping(h("v", 1), "10.30.0.2");
    assert.deepEqual((await lan.read(id, outs)).props, outs, "read agrees");

    const before = linkOf(h("v", 2), "eth0").address;
    const { diff, result } = await lan.update(id, outs, { ...inputs, ipv6LinkLocal: true });
    assert.deepEqual(diff.replaces, [], "the Lan itself stays");
    assert.ok(diff.changes);
    assert.notEqual(linkOf(h("v", 2), "eth0").address, before, "the host was re-made (a new cable)");
    assert.equal(linkLocals(h("v", 2)).length, 1, "now it has its link-local address");
    assert.equal(asOutputs(result.outs).hosts[h("v", 2)]?.ipv6LinkLocal, true);
    ping(h("v", 1), "10.30.0.2");

    // A host with an IPv6 address turns the default on.
    const v6 = lanInputs("w", [1], { [h("w", 2)]: { addresses: ["fd00:30::2/64"] } });
    const made = await lan.create(v6);
    assert.equal(asOutputs(made.outs).hosts[h("w", 1)]?.ipv6LinkLocal, true);
    assert.equal(linkLocals(h("w", 1)).length, 1);
    await lan.delete(made.id, made.outs);
    await lan.delete(id, result.outs);
    assert.deepEqual(ours(), []);
  });

  test("a look-alike is refused at create, left alone on delete, dropped by read", async (t) => {
    if (!requireRoot(t)) return;
    ip(["netns", "add", h("l", 2)]);
    await assert.rejects(lan.create(lanInputs("l", [1, 2])), (e: Error) => {
      assert.match(
        e.message,
        new RegExp(`Network namespace "${h("l", 2)}" \\(a host of the Lan\\) already exists`),
      );
      return true;
    });
    assert.deepEqual(ours(), [h("l", 2)], "nothing made, the look-alike untouched");
    assert.equal(await netnsReadMark(`${p}l`), undefined, "no record left");
    ip(["netns", "delete", h("l", 2)]);

    const { id, outs } = await lan.create(lanInputs("l", [1, 2]));
    ip(["netns", "delete", h("l", 2)]);
    ip(["netns", "add", h("l", 2)]);
    const read = asOutputs((await lan.read(id, outs)).props);
    assert.deepEqual(Object.keys(read.hosts), [h("l", 1)]);
    await lan.delete(id, outs);
    assert.deepEqual(ours(), [h("l", 2)], "the look-alike stays");
    ip(["netns", "delete", h("l", 2)]);
  });

  test("create resumes what a killed create made, and a failed create removes what it made", async (t) => {
    if (!requireRoot(t)) return;
    // What the first batch of a create leaves: records, namespaces, links in their groups, unmarked.
    const inputs = lanInputs("r", [1, 2]);
    const mark = markOf(p, "Lan", "r");
    const h1 = h("r", 1);
    const h2 = h("r", 2);
    await netnsWriteMark(`${p}r`, mark);
    await netnsWriteMark(h1, hostMark(mark, h1));
    // Host 2's `ip netns add` was killed between creating its file and mounting the namespace on it.
    await netnsWriteMark(h2, hostMark(mark, h2));
    writeFileSync(`/run/netns/${h2}`, "");
    const group = String(linkGroupFor(hostMark(mark, h1)));
    ip(["netns", "add", `${p}r`]);
    ip(["netns", "add", h1]);
    ip(["-n", `${p}r`, "link", "add", "name", "br", "group", String(linkGroupFor(mark)), "type", "bridge"]);
    ip([
      "link",
      "add",
      "name",
      "eth0",
      "netns",
      h1,
      "group",
      group,
      "type",
      "veth",
      "peer",
      "name",
      h1,
      "netns",
      `${p}r`,
      "group",
      group,
    ]);
    const index = ifindexOf(h1, "eth0");
    const { id, outs } = await lan.create(inputs);
    assert.equal(ifindexOf(h1, "eth0"), index, "resumed, not re-made");
    assert.equal(aliasOf(h1, "eth0"), `pulumi-netns:${hostMark(mark, h1)}`);
    assert.equal(aliasOf(h2, "eth0"), `pulumi-netns:${hostMark(mark, h2)}`, "the stale file became host 2");
    ping(h1, "10.30.0.1");
    await lan.delete(id, outs);
    assert.deepEqual(ours(), []);

    // The kernel refuses a gateway outside the host's subnet: after the namespaces were made.
    const bad = lanInputs("f", [1], { [h("f", 2)]: { addresses: ["10.30.0.2/24"], gateway: "192.0.2.1" } });
    await assert.rejects(lan.create(bad), (e: Error) => {
      assert.match(e.message, /route replace default via 192\.0\.2\.1/);
      return true;
    });
    assert.deepEqual(ours(), [], "rolled back");
    assert.equal(await netnsReadMark(h("f", 2)), undefined);
    await netnsRemoveMark(`${p}f`);
  });
});

describe("Lan: a delete killed inside `ip netns delete`", { concurrency: false }, () => {
  before(() => removeByPrefix(p));
  after(() => removeByPrefix(p));

  /** What `ip netns delete` killed between its unmount and its unlink leaves: an empty file. */
  const halfDelete = (name: string) => {
    execFileSync("umount", ["--lazy", `/run/netns/${name}`]);
    assert.ok(namespaceNames().includes(name), "the empty file still lists as a namespace");
  };

  test("read drops the half-deleted host and finishes it; a second delete leaves nothing", async (t) => {
    if (!requireRoot(t)) return;
    const { id, outs } = await lan.create(lanInputs("d", [1, 2, 3]));
    halfDelete(h("d", 2));
    const read = asOutputs((await lan.read(id, outs)).props);
    assert.deepEqual(Object.keys(read.hosts), [h("d", 1), h("d", 3)], "host 2 is gone from the state");
    assert.ok(!namespaceNames().includes(h("d", 2)), "its empty file was removed");
    assert.equal(await netnsReadMark(h("d", 2)), undefined, "and so was its record");
    // The same window hit again, and delete run straight on the state that still names the host.
    halfDelete(h("d", 3));
    await lan.delete(id, outs);
    assert.deepEqual(ours(), []);
    for (const name of [`${p}d`, h("d", 1), h("d", 2), h("d", 3)]) {
      assert.equal(await netnsReadMark(name), undefined, `no record of ${name}`);
    }
  });

  test("a half-deleted hub: read drops the Lan and removes the file; a foreign empty file stays", async (t) => {
    if (!requireRoot(t)) return;
    const hub = `${p}e`;
    const { id, outs } = await lan.create(lanInputs("e", [1]));
    halfDelete(hub);
    assert.deepEqual(await lan.read(id, outs), {}, "the Lan is gone from the state");
    assert.ok(!namespaceNames().includes(hub), "the hub's empty file was removed");
    assert.equal(await netnsReadMark(hub), undefined, "and so was its record");
    await lan.delete(id, outs);
    assert.deepEqual(ours(), [], "delete on the old state still takes the host");
    // An empty file nobody recorded is not ours: create refuses it, delete leaves it.
    writeFileSync(`/run/netns/${hub}`, "");
    await assert.rejects(lan.create(lanInputs("e", [1])), /already exists/);
    await lan.delete(id, outs);
    assert.deepEqual(ours(), [hub], "the foreign file stays");
    execFileSync("rm", ["-f", `/run/netns/${hub}`]);
  });
});
