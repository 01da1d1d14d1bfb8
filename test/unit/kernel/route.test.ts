import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KernelCommandError, NotFoundError } from "../../../provider/kernel/errors";
import {
  OWNED_ROUTE_PROTOCOL,
  parseRoute,
  routeAddLine,
  routeApply,
  routeDelete,
  routeDeleteLine,
  routeListOwned,
  parseRouteList,
  routeReplaceLine,
  routeShow,
} from "../../../provider/kernel/route";
import { scriptedIp } from "../../helpers/kernelRunner";

// Recorded from iproute2 6.1 on Linux 6.18 (`ip -d -N -j -n NS -4|-6 route show [table T] exact DEST`).
const rec = {
  defaultV4:
    '[{"type":"1","dst":"default","gateway":"10.0.1.254","dev":"a","protocol":"110","scope":"0","flags":[]}]',
  defaultV6:
    '[{"type":"1","dst":"default","gateway":"fd00:1::253","dev":"a","protocol":"110","scope":"0","metric":100,"flags":[],"pref":"medium"},' +
    '{"type":"1","dst":"default","gateway":"fd00:1::254","dev":"a","protocol":"110","scope":"0","metric":1024,"flags":[],"pref":"medium"}]',
  table100:
    '[{"type":"1","dst":"10.2.0.0/16","gateway":"10.0.1.254","dev":"a","protocol":"110","scope":"0","metric":5,"flags":[]}]',
  devOnly: '[{"type":"1","dst":"10.4.0.0/24","dev":"a","protocol":"110","scope":"253","flags":[]}]',
  staticV4:
    '[{"type":"1","dst":"10.3.0.0/24","gateway":"10.0.1.254","dev":"a","protocol":"4","scope":"0","flags":[]}]',
  blackhole: '[{"type":"6","dst":"10.6.0.0/24","protocol":"3","scope":"0","flags":[]}]',
  multipath:
    '[{"type":"1","dst":"10.7.0.0/24","protocol":"3","scope":"0","flags":[],"nexthops":[{"gateway":"10.0.1.254","dev":"a","weight":1,"flags":[]},{"gateway":"10.0.1.253","dev":"a","weight":1,"flags":[]}]}]',
  tos: '[{"dst":"10.8.0.0/24","tos":"0x10","gateway":"10.0.1.254","dev":"a","flags":[]}]',
  sourceRoute:
    '[{"dst":"fd00:9::/64","from":"fd00:1::/64","gateway":"fd00:1::254","dev":"a","metric":1024,"flags":[],"pref":"medium"}]',
  rfc5549:
    '[{"type":"1","dst":"10.10.0.0/24","via":{"family":"inet6","host":"fe80::1"},"dev":"a","protocol":"3","scope":"0","flags":[]}]',
  hostRoute: '[{"type":"1","dst":"10.9.0.5","dev":"a","protocol":"110","scope":"253","flags":[]}]',
};
const parse = (json: string, destination: string, table = 254, metric?: number) =>
  parseRoute(JSON.parse(json), { destination, table, metric });

describe("parseRoute", () => {
  it("an IPv4 default route (metric 0 is left out)", () => {
    assert.deepEqual(parse(rec.defaultV4, "0.0.0.0/0"), {
      destination: "0.0.0.0/0",
      metric: 0,
      protocol: OWNED_ROUTE_PROTOCOL,
      type: 1,
      via: "10.0.1.254",
      dev: "a",
      multipath: false,
    });
  });

  it("IPv6 default routes: picks by metric, 1024 when none is asked for", () => {
    assert.equal(parse(rec.defaultV6, "::/0", 254, 100)?.via, "fd00:1::253");
    assert.equal(parse(rec.defaultV6, "::/0")?.via, "fd00:1::254");
    assert.equal(parse(rec.defaultV6, "::/0", 254, 0)?.metric, 1024, "IPv6 metric 0 is 1024");
    assert.equal(parse(rec.defaultV6, "::/0", 254, 7), undefined);
  });

  it("another table, a device-only route, a host route", () => {
    assert.equal(parse(rec.table100, "10.2.0.0/16", 100, 5)?.via, "10.0.1.254");
    assert.equal(parse(rec.table100, "10.2.0.0/16", 100), undefined, "metric 0 is another route");
    const dev = parse(rec.devOnly, "10.4.0.0/24");
    assert.equal(dev?.via, undefined);
    assert.equal(dev?.dev, "a");
    assert.equal(parse(rec.hostRoute, "10.9.0.5/32")?.dev, "a");
  });

  it("foreign routes: their protocol, type and nexthops", () => {
    assert.equal(parse(rec.staticV4, "10.3.0.0/24")?.protocol, 4);
    assert.equal(parse(rec.blackhole, "10.6.0.0/24")?.type, 6);
    const mp = parse(rec.multipath, "10.7.0.0/24");
    assert.deepEqual([mp?.multipath, mp?.via, mp?.dev], [true, undefined, undefined]);
    assert.equal(parse(rec.rfc5549, "10.10.0.0/24")?.via, "fe80::1");
  });

  it("skips TOS and source-specific routes, which have other keys", () => {
    assert.equal(parse(rec.tos, "10.8.0.0/24"), undefined);
    assert.equal(parse(rec.sourceRoute, "fd00:9::/64"), undefined);
  });

  it("an empty answer is no route; garbage is an error", () => {
    assert.equal(parse("[]", "0.0.0.0/0"), undefined);
    assert.throws(() => parseRoute({}, { destination: "0.0.0.0/0", table: 254 }));
  });
});

describe("route command lines", () => {
  const spec = { destination: "10.2.0.0/16", via: "10.0.1.254", table: 254, protocol: 110 };

  it("add: every part after its keyword, metric always explicit", () => {
    assert.deepEqual(routeAddLine(spec), [
      ...["route", "add", "10.2.0.0/16", "via", "10.0.1.254", "metric", "0", "table", "254", "proto", "110"],
    ]);
    assert.deepEqual(routeAddLine({ ...spec, destination: "::/0", via: undefined, dev: "via" }), [
      ...["route", "add", "::/0", "dev", "via", "metric", "1024", "table", "254", "proto", "110"],
    ]);
  });

  it("replace and delete", () => {
    assert.deepEqual(routeReplaceLine({ ...spec, dev: "eth0", metric: 7, table: 100 }), [
      ...[
        "route",
        "replace",
        "10.2.0.0/16",
        "via",
        "10.0.1.254",
        "dev",
        "eth0",
        "metric",
        "7",
        "table",
        "100",
      ],
      ...["proto", "110"],
    ]);
    assert.deepEqual(routeDeleteLine({ destination: "FD00::/64", table: 254 }, 110), [
      ...["route", "delete", "fd00::/64", "metric", "1024", "table", "254", "proto", "110"],
    ]);
  });

  it("show asks for the family, the table and the exact prefix", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: rec.defaultV6 }]);
    const state = await routeShow("h1", { destination: "::/0", table: 254, metric: 100 }, ip);
    assert.equal(state?.via, "fd00:1::253");
    assert.deepEqual(scripted.argvs, [
      ["ip", "-j", "-n", "h1", "-d", "-N", "-6", "route", "show", "table", "254", "exact", "::/0"],
    ]);
  });

  it("show: a table that does not exist yet holds no route", async () => {
    const { ip } = scriptedIp([
      { exitCode: 2, stdout: "[", stderr: "Error: ipv6: FIB table does not exist.\nDump terminated\n" },
    ]);
    assert.equal(await routeShow("h1", { destination: "::/0", table: 100 }, ip), undefined);
  });

  it("apply runs one batch line and explains an unreachable gateway", async () => {
    const { ip, scripted } = scriptedIp([
      { exitCode: 2, stderr: "Error: Nexthop has invalid gateway.\nCommand failed -:1\n" },
    ]);
    const err = await routeApply("h1", routeAddLine(spec), ip).catch((e: unknown) => e);
    assert.ok(err instanceof KernelCommandError);
    assert.match(err.message, /not reachable.*depend on the link/s);
    assert.equal(err.batchLine?.number, 1);
    assert.deepEqual(scripted.calls[0], {
      argv: ["ip", "-n", "h1", "-batch", "-"],
      input: "route add 10.2.0.0/16 via 10.0.1.254 metric 0 table 254 proto 110\n",
    });
  });

  it("apply refuses a device name ip -batch would split, before running anything", async () => {
    const { ip, scripted } = scriptedIp();
    await assert.rejects(routeApply("h1", routeAddLine({ ...spec, dev: "a b" }), ip), /ip -batch/);
    assert.equal(scripted.calls.length, 0);
  });

  it("delete is idempotent: no such route, table or namespace is success", async () => {
    for (const stderr of [
      "RTNETLINK answers: No such process\n",
      "Error: FIB table does not exist.\n",
      'Cannot open network namespace "h1": No such file or directory\n',
    ]) {
      const { ip, scripted } = scriptedIp([{ exitCode: 2, stderr }]);
      await routeDelete("h1", { destination: "10.2.0.0/16", table: 254 }, 110, ip);
      assert.deepEqual(scripted.argvs[0], [
        ...[
          "ip",
          "-n",
          "h1",
          "route",
          "delete",
          "10.2.0.0/16",
          "metric",
          "0",
          "table",
          "254",
          "proto",
          "110",
        ],
      ]);
    }
  });

  it("delete reports other failures", async () => {
    const { ip } = scriptedIp([{ exitCode: 2, stderr: "RTNETLINK answers: Operation not permitted\n" }]);
    await assert.rejects(
      routeDelete(undefined, { destination: "0.0.0.0/0", table: 254 }, 110, ip),
      KernelCommandError,
    );
    const missingDev = scriptedIp([{ exitCode: 1, stderr: 'Cannot find device "eth9"\n' }]);
    await assert.rejects(
      routeApply(undefined, routeAddLine({ ...spec, dev: "eth9" }), missingDev.ip),
      NotFoundError,
    );
  });
});

describe("routeListOwned", () => {
  // Recorded: `ip -j -d -N -n NS -4|-6 route show table all proto 110` (the filter drops "protocol").
  const v4 =
    '[{"type":"1","dst":"10.10.0.0/24","gateway":"10.9.0.2","dev":"lo","table":"100","scope":"0","metric":5,"flags":[]},' +
    '{"type":"1","dst":"default","gateway":"10.9.0.2","dev":"lo","table":"254","scope":"0","flags":[]},' +
    '{"type":"1","dst":"10.9.0.5","dev":"lo","table":"254","scope":"253","flags":[]}]';
  const v6 =
    '[{"type":"1","dst":"2001:db8::/64","dev":"lo","table":"254","scope":"0","metric":1024,"flags":[],"pref":"medium"}]';

  it("lists both families in every table, with canonical keys", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: v4 }, { stdout: v6 }]);
    const routes = await routeListOwned("h1", OWNED_ROUTE_PROTOCOL, ip);
    assert.deepEqual(scripted.argvs, [
      ["ip", "-j", "-n", "h1", "-d", "-N", "-4", "route", "show", "table", "all", "proto", "110"],
      ["ip", "-j", "-n", "h1", "-d", "-N", "-6", "route", "show", "table", "all", "proto", "110"],
    ]);
    assert.deepEqual(
      routes.map((r) => [r.destination, r.table, r.metric, r.via ?? "-", r.dev]),
      [
        ["10.10.0.0/24", 100, 5, "10.9.0.2", "lo"],
        ["0.0.0.0/0", 254, 0, "10.9.0.2", "lo"],
        ["10.9.0.5/32", 254, 0, "-", "lo"],
        ["2001:db8::/64", 254, 1024, "-", "lo"],
      ],
    );
  });

  it("an IPv6 default route is ::/0", () => {
    const [r] = parseRouteList(
      JSON.parse('[{"dst":"default","gateway":"fd00::1","table":"254","metric":1024}]'),
      6,
    );
    assert.equal(r?.destination, "::/0");
  });
});
