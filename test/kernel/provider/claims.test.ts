// Preview-time rules across resources: duplicates, undeclared namespaces, misplaced masters.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { uniquePrefix } from "../../helpers/names";
import { ip, removeByPrefix } from "../../helpers/readback";
import { isRoot, requireRoot } from "../../helpers/root";
import { driver, managedBy } from "./harness";

const p = uniquePrefix();
const hub = `${p}-hub`;
const host = `${p}-h`;
const check = async (kind: Parameters<typeof driver>[0], inputs: Record<string, unknown>) =>
  (await driver(kind).provider.check({}, inputs)).failures ?? [];

describe("cross-resource checks", { concurrency: false }, () => {
  before(() => {
    if (!isRoot()) return;
    removeByPrefix(p);
    ip(["netns", "add", `${p}-existing`]);
    ip(["-n", `${p}-existing`, "link", "add", "name", "hostbr", "type", "bridge"]);
  });
  after(() => removeByPrefix(p));

  test("two resources cannot declare one namespace or one interface", async (t) => {
    if (!requireRoot(t)) return;
    assert.deepEqual(
      await check("Namespace", { name: hub, managedBy: managedBy(p, "Namespace", "hub") }),
      [],
    );
    assert.deepEqual(await check("Namespace", { name: host, managedBy: managedBy(p, "Namespace", "h") }), []);
    const again = await check("Namespace", { name: hub, managedBy: managedBy(p, "Namespace", "hub2") });
    assert.equal(again[0]?.property, "name");
    assert.match(again[0]?.reason ?? "", /also declared by Namespace hub2|also declared by Namespace hub/);

    const br = { name: "br", namespace: hub, managedBy: managedBy(p, "Bridge", "br") };
    assert.deepEqual(await check("Bridge", br), []);
    assert.deepEqual(await check("Bridge", br), [], "the same resource checked twice is no duplicate");
    const dup = await check("TapDevice", {
      name: "br",
      namespace: hub,
      managedBy: managedBy(p, "TapDevice", "t"),
    });
    assert.equal(dup[0]?.property, "name");
  });

  test("an undeclared, absent namespace is refused; an existing one is fine", async (t) => {
    if (!requireRoot(t)) return;
    const failures = await check("VethPair", {
      a: { name: "x0", namespace: `${p}-nowhere` },
      b: { name: "x1", namespace: `${p}-existing` },
      managedBy: managedBy(p, "VethPair", "x"),
    });
    assert.deepEqual(
      failures.map((f) => f.property),
      ["a.namespace"],
    );
    assert.match(failures[0]?.reason ?? "", /not declared in this stack and does not exist/);
  });

  test("a master must be a bridge in the link's own namespace", async (t) => {
    if (!requireRoot(t)) return;
    const mark = managedBy(p, "VethPair", "m");
    const elsewhere = await check("VethPair", {
      a: { name: "m0", namespace: host, master: "br" },
      b: { name: "m1", namespace: hub, master: "br" },
      managedBy: mark,
    });
    assert.deepEqual(
      elsewhere.map((f) => f.property),
      ["a.master"],
    );
    assert.match(
      elsewhere[0]?.reason ?? "",
      /is in namespace .*hub.*a port and its bridge must share a namespace/,
    );

    const notBridge = await check("TapDevice", {
      name: "tap0",
      namespace: hub,
      master: "m1",
      managedBy: managedBy(p, "TapDevice", "tap0"),
    });
    assert.match(notBridge[0]?.reason ?? "", /master "m1" .* is a veth, not a bridge/);

    const hostBridge = await check("TapDevice", {
      name: "tap1",
      namespace: `${p}-existing`,
      master: "hostbr",
      managedBy: managedBy(p, "TapDevice", "tap1"),
    });
    assert.deepEqual(hostBridge, [], "a bridge that exists in the kernel is a fine master");
  });
});

describe("cross-resource checks: routes, and lookups that fail", { concurrency: false }, () => {
  before(() => {
    if (isRoot()) ip(["netns", "add", `${p}-r`]);
  });
  after(() => removeByPrefix(p));

  test("two resources cannot declare one route key; another metric or table is another route", async (t) => {
    if (!requireRoot(t)) return;
    const route = (name: string, extra: Record<string, unknown> = {}) =>
      check("Route", {
        namespace: `${p}-r`,
        destination: "default",
        via: "10.0.0.1",
        managedBy: managedBy(p, "Route", name),
        ...extra,
      });
    assert.deepEqual(await route("r1"), []);
    assert.deepEqual(await route("r1"), [], "the same resource checked twice is no duplicate");
    const dup = await route("r2", { destination: "0.0.0.0/0" });
    assert.equal(dup[0]?.property, "destination");
    assert.match(dup[0]?.reason ?? "", /is also declared by Route r1/);
    assert.deepEqual(await route("r3", { metric: 100 }), [], "another metric");
    assert.deepEqual(await route("r4", { table: 100 }), [], "another table");
    assert.deepEqual(await route("r5", { via: "fd00::1" }), [], "the IPv6 default route is another key");
  });

  test("a lookup that fails for another reason than absence says so, not 'no bridge'", async (t) => {
    if (!requireRoot(t)) return;
    const path = process.env.PATH;
    process.env.PATH = "/nonexistent";
    try {
      await assert.rejects(
        check("TapDevice", {
          name: "tapx",
          namespace: `${p}-r`,
          master: "nobr",
          managedBy: managedBy(p, "TapDevice", "tapx"),
        }),
        (e: Error) => {
          assert.doesNotMatch(e.message, /no bridge/);
          assert.match(e.message, /ENOENT|not found|ip/);
          return true;
        },
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
