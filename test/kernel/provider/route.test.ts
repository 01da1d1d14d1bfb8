import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { InputDiff } from "../../../provider/schema/diff";
import { uniquePrefix } from "../../helpers/names";
import { ip, ipJson, removeByPrefix } from "../../helpers/readback";
import { isRoot, requireRoot } from "../../helpers/root";
import { routeClaimRecord } from "../../../provider/kernel/route";
import { driver, markOf, STACK_INSTANCE } from "./harness";

const p = uniquePrefix();
const route = driver("Route");
const n1 = `${p}-1`;
const mark = (name: string) => `pnt/${p}/Route/${name}`;

type Json = Record<string, unknown>;

/** The in-place changes a diff lists (the engine's DiffResult type leaves them out). */
const updatesOf = (diff: unknown): string[] => [...(diff as InputDiff).updates].sort();

/** The routes `ip -j` shows at `dst` in n1 (family from the prefix), in `table`. */
function routesAt(dst: string, table = "main"): Json[] {
  const family = dst.includes(":") ? "-6" : "-4";
  return ipJson<Json[]>(["-n", n1, family, "route", "show", "table", table, "exact", dst]);
}

describe("Route provider against the kernel", { concurrency: false }, () => {
  before(() => {
    if (!isRoot()) return;
    removeByPrefix(p);
    ip(["netns", "add", n1]);
    // Two veth pairs inside n1 give the routes reachable gateways on two interfaces.
    for (const [dev, peer, v4, v6] of [
      ["e0", "e0p", "10.0.1.1/24", "fd00:1::1/64"],
      ["f0", "f0p", "10.0.2.1/24", "fd00:3::1/64"],
    ] as const) {
      ip(["-n", n1, "link", "add", "name", dev, "type", "veth", "peer", "name", peer]);
      ip(["-n", n1, "address", "add", v4, "dev", dev]);
      ip(["-n", n1, "address", "add", v6, "dev", dev, "nodad"]);
      ip(["-n", n1, "link", "set", "dev", dev, "up"]);
      ip(["-n", n1, "link", "set", "dev", peer, "up"]);
    }
  });
  after(() => removeByPrefix(p));

  test("IPv4 default route: create, update via in place, drift, delete twice", async (t) => {
    if (!requireRoot(t)) return;
    const inputs = { namespace: n1, destination: "default", via: "10.0.1.254", managedBy: mark("d4") };
    const { id, outs } = await route.create(inputs);
    assert.deepEqual(routesAt("0.0.0.0/0"), [
      { dst: "default", gateway: "10.0.1.254", dev: "e0", protocol: "110", flags: [] },
    ]);
    assert.deepEqual(
      { ...outs },
      {
        namespace: n1,
        destination: "0.0.0.0/0",
        via: "10.0.1.254",
        dev: "e0",
        metric: 0,
        table: 254,
        adopt: false,
        managedBy: mark("d4"),
        stackInstance: STACK_INSTANCE,
      },
    );

    // The interface the kernel picked is not drift.
    const same = await route.update(id, outs, inputs);
    assert.equal(same.diff.changes, false);

    const moved = { ...inputs, via: "10.0.1.253" };
    const { diff, result } = await route.update(id, outs, moved);
    assert.deepEqual(diff.replaces, []);
    assert.deepEqual(updatesOf(diff), ["via"]);
    assert.equal(routesAt("0.0.0.0/0").length, 1);
    assert.equal(routesAt("0.0.0.0/0")[0]?.gateway, "10.0.1.253");

    // Drift: the gateway changed by hand is reported; update repairs it.
    ip(["-n", n1, "route", "replace", "default", "via", "10.0.1.9", "proto", "110"]);
    const drifted = await route.read(id, result.outs);
    assert.equal(drifted.props?.via, "10.0.1.9");
    const repair = await route.update(id, drifted.props!, moved);
    assert.deepEqual(updatesOf(repair.diff), ["via"]);
    assert.equal(routesAt("0.0.0.0/0")[0]?.gateway, "10.0.1.253");

    await route.delete(id, repair.result.outs);
    assert.deepEqual(routesAt("0.0.0.0/0"), []);
    await route.delete(id, repair.result.outs);
    assert.deepEqual(await route.read(id, repair.result.outs), {});
  });

  test("IPv4 subnet route in table 100 with a metric; deleted by hand, read reports it gone", async (t) => {
    if (!requireRoot(t)) return;
    const { id, outs } = await route.create({
      namespace: n1,
      destination: "10.20.0.0/16",
      via: "10.0.2.254",
      dev: "f0",
      metric: 5,
      table: 100,
      managedBy: mark("s4"),
    });
    assert.deepEqual(routesAt("10.20.0.0/16", "100"), [
      { dst: "10.20.0.0/16", gateway: "10.0.2.254", dev: "f0", protocol: "110", metric: 5, flags: [] },
    ]);
    assert.equal(outs.table, 100);
    ip(["-n", n1, "route", "del", "10.20.0.0/16", "table", "100", "metric", "5"]);
    assert.deepEqual(await route.read(id, outs), {});
    await route.delete(id, outs);
  });

  test("IPv6 default and subnet routes; dev and via change in place; metric change replaces", async (t) => {
    if (!requireRoot(t)) return;
    const d6 = await route.create({
      namespace: n1,
      destination: "default",
      via: "fd00:1::254",
      managedBy: mark("d6"),
    });
    assert.equal(d6.outs.destination, "::/0");
    assert.equal(d6.outs.metric, 1024);
    const [def] = routesAt("::/0");
    assert.deepEqual(
      [def?.gateway, def?.dev, def?.protocol, def?.metric],
      ["fd00:1::254", "e0", "110", 1024],
    );

    const inputs = {
      namespace: n1,
      destination: "fd00:2::/64",
      via: "FD00:1::254",
      dev: "e0",
      metric: 100,
      managedBy: mark("s6"),
    };
    const { id, outs } = await route.create(inputs);
    assert.equal(outs.via, "fd00:1::254", "kept as the kernel prints it");
    assert.equal((await route.update(id, outs, inputs)).diff.changes, false, "case does not matter");

    const moved = { ...inputs, via: "fd00:3::254", dev: "f0" };
    const { diff, result } = await route.update(id, outs, moved);
    assert.deepEqual([diff.replaces, updatesOf(diff)], [[], ["dev", "via"]]);
    const routes = routesAt("fd00:2::/64");
    assert.equal(routes.length, 1);
    assert.deepEqual([routes[0]?.gateway, routes[0]?.dev, routes[0]?.metric], ["fd00:3::254", "f0", 100]);

    const renumbered = await route.checked({ ...moved, metric: 200 });
    const replace = await route.provider.diff(id, result.outs, renumbered);
    assert.deepEqual(replace.replaces, ["metric"]);
    assert.equal(replace.deleteBeforeReplace, false);

    await route.delete(id, result.outs);
    await route.delete(d6.id, d6.outs);
    assert.deepEqual(routesAt("fd00:2::/64"), []);
    assert.deepEqual(routesAt("::/0"), []);
  });

  test("a route someone else made is refused and untouched, then adoptable", async (t) => {
    if (!requireRoot(t)) return;
    ip(["-n", n1, "route", "add", "10.30.0.0/24", "via", "10.0.1.254", "proto", "static"]);
    const before = routesAt("10.30.0.0/24");
    const inputs = { namespace: n1, destination: "10.30.0.0/24", via: "10.0.1.253", managedBy: mark("f") };
    await assert.rejects(
      route.create(inputs),
      /Route 10\.30\.0\.0\/24 .*proto static.* already exists.*adopt: true/s,
    );
    assert.deepEqual(routesAt("10.30.0.0/24"), before, "untouched");

    const { id, outs } = await route.create({ ...inputs, adopt: true });
    const [adopted] = routesAt("10.30.0.0/24");
    assert.deepEqual([adopted?.gateway, adopted?.protocol], ["10.0.1.253", "110"]);
    await route.delete(id, outs);
    assert.deepEqual(routesAt("10.30.0.0/24"), [], "an adopted route goes on delete");
  });

  test("delete leaves a route someone else put at the same key", async (t) => {
    if (!requireRoot(t)) return;
    const { id, outs } = await route.create({
      namespace: n1,
      destination: "10.31.0.0/24",
      dev: "e0",
      managedBy: mark("g"),
    });
    ip(["-n", n1, "route", "replace", "10.31.0.0/24", "via", "10.0.1.7", "proto", "static"]);
    assert.deepEqual(await route.read(id, outs), {}, "ours was replaced: gone");
    await route.delete(id, outs);
    assert.equal(routesAt("10.31.0.0/24")[0]?.protocol, "static");
    ip(["-n", n1, "route", "del", "10.31.0.0/24"]);
  });

  test("create resumes a route its own interrupted run left", async (t) => {
    if (!requireRoot(t)) return;
    // What a crash between claiming the record and `route add` returning leaves.
    await routeClaimRecord(
      n1,
      { destination: "10.32.0.0/24", table: 254, metric: 0 },
      markOf(p, "Route", "h"),
    );
    ip(["-n", n1, "route", "add", "10.32.0.0/24", "via", "10.0.1.254", "proto", "110"]);
    const { id, outs } = await route.create({
      namespace: n1,
      destination: "10.32.0.0/24",
      via: "10.0.2.254",
      managedBy: mark("h"),
    });
    assert.deepEqual([routesAt("10.32.0.0/24").length, outs.via, outs.dev], [1, "10.0.2.254", "f0"]);
    await route.delete(id, outs);
  });

  test("a failed create leaves nothing and says why", async (t) => {
    if (!requireRoot(t)) return;
    await assert.rejects(
      route.create({ namespace: n1, destination: "10.33.0.0/24", via: "192.0.2.1", managedBy: mark("u") }),
      /not reachable/,
    );
    assert.deepEqual(routesAt("10.33.0.0/24"), []);
  });

  test("a namespace that is gone: read reports the route gone, delete succeeds", async (t) => {
    if (!requireRoot(t)) return;
    const props = {
      namespace: `${p}-gone`,
      destination: "0.0.0.0/0",
      via: "10.0.0.1",
      metric: 0,
      table: 254,
      adopt: false,
      managedBy: mark("x"),
    };
    assert.deepEqual(await route.read("x", props), {});
    await route.delete("x", props);
  });
});
