import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validate } from "../../../provider/schema/checkFailures";
import { UNKNOWN } from "../../../provider/schema/unknown";
import { canonicalDestination, diffRoute, routeSchema } from "../../../provider/schema/route";
import { type Case, failuresOf, runCases } from "../../helpers/schema";

const managedBy = "proj/dev/Route/r";
const v4 = { namespace: "h1", destination: "default", via: "10.0.1.254", managedBy };
const v6 = {
  namespace: "h1",
  destination: "fd00:2::/64",
  via: "fd00:1::254",
  dev: "eth0",
  metric: 100,
  managedBy,
};

const cases: Case[] = [
  { title: "an IPv4 default route", input: v4 },
  { title: "an IPv6 subnet route with dev and metric", input: v6 },
  { title: "an IPv6 default route", input: { ...v4, destination: "default", via: "fd00:1::254" } },
  { title: "0.0.0.0/0", input: { ...v4, destination: "0.0.0.0/0" } },
  { title: "::/0 through a device only", input: { destination: "::/0", dev: "eth0", managedBy } },
  {
    title: "default through a device only (IPv4)",
    input: { destination: "default", dev: "eth0", managedBy },
  },
  { title: "a host route", input: { ...v4, destination: "10.9.0.5/32" } },
  {
    title: "an uppercase IPv6 network",
    input: { ...v6, destination: "FD00:2:0:0::/64", via: "FD00:1::254" },
  },
  {
    title: "a link-local gateway with dev",
    input: { destination: "::/0", via: "fe80::1", dev: "eth0", managedBy },
  },
  { title: "the host namespace", input: { destination: "10.0.0.0/8", via: "192.0.2.1", managedBy } },
  { title: "metric 0 and the u32 maximum", input: { ...v4, metric: 4294967295 } },
  { title: "table main by name", input: { ...v4, table: "main" } },
  { title: "table 100", input: { ...v4, table: 100 } },
  { title: "table 4294967295", input: { ...v4, table: 4294967295 } },
  { title: "a device named 'via' (passed after a keyword)", input: { ...v4, dev: "via" } },
  { title: "an unknown via with a CIDR destination", input: { ...v6, via: UNKNOWN } },
  { title: "an unknown destination with a via", input: { ...v6, destination: UNKNOWN } },
  { title: "an unknown dev and no via", input: { destination: "::/0", dev: UNKNOWN, managedBy } },
  {
    title: "host bits in an IPv4 destination",
    input: { ...v4, destination: "10.0.0.1/24" },
    property: "destination",
    reason: /host bits.*did you mean 10\.0\.0\.0\/24\?/u,
  },
  {
    title: "host bits in an IPv6 destination",
    input: { ...v6, destination: "fd00:2::1/64" },
    property: "destination",
    reason: /did you mean fd00:2::\/64\?/u,
  },
  {
    title: "a destination without a prefix",
    input: { ...v4, destination: "10.0.0.0" },
    property: "destination",
    reason: /no prefix length/u,
  },
  {
    title: "a prefix too long",
    input: { ...v4, destination: "10.0.0.0/33" },
    property: "destination",
    reason: /0-32/u,
  },
  {
    title: "a destination that is no address",
    input: { ...v4, destination: "default6" },
    property: "destination",
    reason: /no prefix length/u,
  },
  {
    title: "an IPv4 gateway for an IPv6 destination",
    input: { ...v6, via: "10.0.1.254" },
    property: "via",
    reason: /destination's family.*IPv4.*IPv6/u,
  },
  {
    title: "an IPv6 gateway for an IPv4 destination",
    input: { ...v4, destination: "10.2.0.0/16", via: "fd00::1" },
    property: "via",
    reason: /destination's family/u,
  },
  {
    title: "a gateway with a prefix",
    input: { ...v4, via: "10.0.1.254/24" },
    property: "via",
    reason: /without a prefix/u,
  },
  {
    title: "a gateway that is no address",
    input: { ...v4, via: "gw" },
    property: "via",
    reason: /not an IPv4/u,
  },
  { title: "a multicast gateway", input: { ...v4, via: "224.0.0.1" }, property: "via", reason: /unicast/u },
  { title: "the unspecified gateway", input: { ...v6, via: "::" }, property: "via", reason: /unspecified/u },
  { title: "a gateway with a zone", input: { ...v6, via: "fe80::1%eth0" }, property: "via", reason: /zone/u },
  {
    title: "neither via nor dev",
    input: { destination: "10.0.0.0/8", managedBy },
    property: "via",
    reason: /via.*dev.*neither/u,
  },
  {
    title: "a link-local gateway without dev",
    input: { destination: "::/0", via: "fe80::1", managedBy },
    property: "dev",
    reason: /link-local.*dev is required/u,
  },
  { title: "a bad interface name", input: { ...v4, dev: "eth:0" }, property: "dev", reason: /":"/u },
  {
    title: "a negative metric",
    input: { ...v4, metric: -1 },
    property: "metric",
    reason: /0 to 4294967295/u,
  },
  { title: "a fractional metric", input: { ...v4, metric: 1.5 }, property: "metric", reason: /integer/u },
  { title: "metric 2^32", input: { ...v4, metric: 4294967296 }, property: "metric", reason: /u32/u },
  { title: "table 0", input: { ...v4, table: 0 }, property: "table", reason: /RT_TABLE_UNSPEC/u },
  {
    title: "an unknown table name",
    input: { ...v4, table: "vpn" },
    property: "table",
    reason: /use the number/u,
  },
  {
    title: "a table as a boolean",
    input: { ...v4, table: true },
    property: "table",
    reason: /number or "main"/u,
  },
  {
    title: "an unknown property",
    input: { ...v4, gateway: "10.0.0.1" },
    property: "gateway",
    reason: /unknown/u,
  },
  { title: "a missing managedBy", input: { destination: "default", via: "10.0.0.1" }, property: "managedBy" },
];

describe("route schema", () => {
  runCases(routeSchema, cases);

  test("reports every failure at once, each at its field", () => {
    const failures = failuresOf(routeSchema, {
      destination: "10.0.0.1/24",
      via: "fd00::1",
      dev: "a b",
      metric: -1,
      managedBy,
    });
    assert.deepEqual(failures.map((f) => f.property).sort(), ["destination", "dev", "metric"]);
  });

  test("applies defaults and keeps what users wrote", () => {
    assert.deepEqual(validate(routeSchema, v4).inputs, { ...v4, adopt: false });
  });

  test("canonical destinations", () => {
    assert.equal(canonicalDestination("default", "10.0.0.1"), "0.0.0.0/0");
    assert.equal(canonicalDestination("default", "fd00::1"), "::/0");
    assert.equal(canonicalDestination("default", undefined), "0.0.0.0/0");
    assert.equal(canonicalDestination("FD00:0:0:0::/64", undefined), "fd00::/64");
    assert.equal(canonicalDestination("default", UNKNOWN), "default");
    assert.equal(canonicalDestination(UNKNOWN, "10.0.0.1"), UNKNOWN);
  });
});

describe("route diff", () => {
  const decide = (olds: Record<string, unknown>, news: Record<string, unknown>) => diffRoute(olds, news);

  test("no change", () => {
    assert.equal(decide(v4, v4).changes, false);
    assert.equal(decide(v6, v6).changes, false);
  });

  const replaces: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ["namespace", v4, { ...v4, namespace: "h2" }],
    ["destination", v4, { ...v4, destination: "10.2.0.0/16" }],
    ["metric", v6, { ...v6, metric: 200 }],
    ["table", v4, { ...v4, table: 100 }],
    ["destination", v4, { ...v4, via: "fd00::1" }], // default of another family
  ];
  for (const [path, olds, news] of replaces) {
    test(`a new ${path} replaces (${JSON.stringify(news[path] ?? news.via)})`, () => {
      const d = decide(olds, news);
      assert.ok(d.replaces.includes(path), JSON.stringify(d));
      assert.equal(d.deleteBeforeReplace, false, "a new key never collides with the old one");
    });
  }

  const updates: [string, Record<string, unknown>][] = [
    ["via", { ...v4, via: "10.0.1.253" }],
    ["dev", { ...v6, dev: "eth1" }],
    ["adopt", { ...v4, adopt: true }],
  ];
  for (const [path, news] of updates) {
    test(`a new ${path} updates in place`, () => {
      const olds = path === "dev" ? v6 : v4;
      assert.deepEqual(decide(olds, news), {
        changes: true,
        replaces: [],
        updates: [path],
        deleteBeforeReplace: false,
      });
    });
  }

  test("state in canonical form equals what users wrote", () => {
    const state = {
      namespace: "h1",
      destination: "0.0.0.0/0",
      via: "10.0.1.254",
      metric: 0,
      table: 254,
      adopt: false,
      managedBy,
    };
    assert.equal(decide(state, v4).changes, false);
    const state6 = { ...v6, destination: "fd00:2::/64", metric: 100, table: 254, adopt: false };
    assert.equal(
      decide(state6, { ...v6, destination: "FD00:2::0/64", via: "FD00:1::254", table: "main" }).changes,
      false,
    );
    const default6 = {
      destination: "::/0",
      via: "fd00::1",
      metric: 1024,
      table: 254,
      adopt: false,
      managedBy,
    };
    assert.equal(decide(default6, { destination: "default", via: "fd00::1", managedBy }).changes, false);
    assert.equal(
      decide(default6, { destination: "default", via: "fd00::1", metric: 0, managedBy }).changes,
      false,
    );
  });

  test("unknown key parts in preview: a replace that may collide", () => {
    const d = decide(v4, { ...v4, namespace: UNKNOWN });
    assert.deepEqual(d.replaces, ["namespace"]);
    assert.equal(d.deleteBeforeReplace, true);
    const viaUnknown = decide(v4, { ...v4, via: UNKNOWN });
    assert.ok(viaUnknown.updates.includes("via"));
    assert.ok(viaUnknown.replaces.includes("destination"), "the family of default is unknown");
  });
});
