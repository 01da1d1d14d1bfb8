import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validate } from "../../../provider/schema/checkFailures";
import { UNKNOWN } from "../../../provider/schema/unknown";
import {
  diffLan,
  lanHostSpecs,
  lanLinkLocal,
  lanSchema,
  planLan,
  type LanResolved,
} from "../../../provider/schema/lan";
import { type Case, runCases } from "../../helpers/schema";

const managedBy = "proj/dev/Lan/lan";
const base = { namespace: "hub", hosts: { h1: { addresses: ["10.0.0.1/24"] } }, managedBy };
const withHost = (key: string, host: unknown) => ({ ...base, hosts: { ...base.hosts, [key]: host } });

const cases: Case[] = [
  { title: "a minimal Lan", input: base },
  { title: "no hosts", input: { namespace: "hub", managedBy } },
  {
    title: "every host field",
    input: withHost("h2", {
      interface: "e0",
      port: "p2",
      mtu: 9000,
      gateway: "10.0.0.254",
      addresses: ["10.0.0.2/24", "fd00::2/64"],
    }),
  },
  { title: "ip keywords as names", input: { ...base, bridge: "dev", hosts: { up: { interface: "type" } } } },
  { title: "unknown hosts", input: { ...base, hosts: UNKNOWN } },
  { title: "IPv6 link-local asked for", input: { ...base, ipv6LinkLocal: true } },
  { title: "IPv6 link-local unknown", input: { ...base, ipv6LinkLocal: UNKNOWN } },
  {
    title: "IPv6 link-local as a string",
    input: { ...base, ipv6LinkLocal: "yes" },
    property: "ipv6LinkLocal",
    reason: /boolean/u,
  },
  { title: "an unknown host", input: withHost("h2", UNKNOWN) },
  { title: "an unknown port", input: withHost("h2", { port: UNKNOWN }) },
  {
    title: "a host key too long for a port name, without port",
    input: withHost("a-very-long-host-name", {}),
    property: 'hosts["a-very-long-host-name"].port',
    reason: /named after the host unless `port` is set/u,
  },
  { title: "a long host key with its own port", input: withHost("a-very-long-host-name", { port: "p" }) },
  {
    title: "two hosts on one port",
    input: withHost("h2", { port: "h1" }),
    property: "hosts.h2.port",
    reason: /port "h1" .* is also the port of host "h1"/u,
  },
  {
    title: "a port named as the bridge",
    input: withHost("br", {}),
    property: "hosts.br.port",
    reason: /also the bridge/u,
  },
  {
    title: "a host named as the Lan's namespace",
    input: withHost("hub", { port: "p" }),
    property: "hosts.hub",
    reason: /cannot be the Lan's own namespace/u,
  },
  {
    title: "an IPv6 gateway",
    input: withHost("h2", { gateway: "fd00::1" }),
    property: "hosts.h2.gateway",
    reason: /IPv4; for an IPv6 default route declare a netns.Route/u,
  },
  {
    title: "a bad address",
    input: withHost("h2", { addresses: ["10.0.0.300/24"] }),
    property: "hosts.h2.addresses[0]",
  },
  { title: "a bad host key", input: withHost("a/b", { port: "p" }), property: 'hosts["a/b"]' },
  { title: "an unknown field in a host", input: withHost("h2", { vlan: 3 }), property: "hosts.h2.vlan" },
];

describe("lanSchema", () => runCases(lanSchema, cases));

const resolved = (input: unknown) => validate(lanSchema, input).inputs as LanResolved;

describe("lanHostSpecs", () => {
  test("defaults: interface eth0, port the key, MTU the Lan's", () => {
    const [h1, h2] = lanHostSpecs(resolved({ ...withHost("h2", { mtu: 1400 }), mtu: 9000 }));
    assert.deepEqual(h1, {
      key: "h1",
      interface: "eth0",
      port: "h1",
      addresses: ["10.0.0.1/24"],
      mtu: 9000,
      gateway: undefined,
      linkLocal: false,
    });
    assert.equal(h2?.mtu, 1400);
  });
  test("IPv6 link-local: off for an IPv4 Lan, on once a host has an IPv6 address, or as set", () => {
    assert.equal(lanLinkLocal(resolved(base)), false);
    assert.equal(lanLinkLocal(resolved(withHost("h2", { addresses: ["fd00::2/64"] }))), true);
    assert.equal(lanLinkLocal(resolved({ ...base, ipv6LinkLocal: true })), true);
    assert.equal(
      lanLinkLocal(resolved({ ...withHost("h2", { addresses: ["fd00::2/64"] }), ipv6LinkLocal: false })),
      false,
    );
  });
});

/** What the kernel reads back for `base`'s h1: outputs, with the MTU it chose. */
const h1Out = {
  interface: "eth0",
  port: "h1",
  addresses: ["10.0.0.1/24"],
  mtu: 1500,
  macAddress: "02:00:00:00:00:01",
  ipv6LinkLocal: false,
};
const olds = {
  ...base,
  bridge: "br",
  hosts: { h1: h1Out, h2: { ...h1Out, port: "h2", addresses: ["10.0.0.2/24"] } },
};
const news = (hosts: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  resolved({
    ...base,
    ...extra,
    hosts: { h1: { addresses: ["10.0.0.1/24"] }, h2: { addresses: ["10.0.0.2/24"] }, ...hosts },
  });

describe("planLan: per host", () => {
  test("the same hosts, a kernel-chosen MTU and MAC: nothing", () => {
    assert.deepEqual(planLan(olds, news({})), { add: [], remove: [], remake: [], change: [], paths: [] });
  });
  test("an address changes in place, naming the host and field", () => {
    const plan = planLan(olds, news({ h2: { addresses: ["10.0.0.9/24"] } }));
    assert.deepEqual(plan, {
      add: [],
      remove: [],
      remake: [],
      change: ["h2"],
      paths: ["hosts.h2.addresses"],
    });
  });
  test("a host added and one removed", () => {
    const next = resolved({ ...base, hosts: { h1: { addresses: ["10.0.0.1/24"] }, h3: {} } });
    const plan = planLan(olds, next);
    assert.deepEqual([plan.add, plan.remove, plan.paths], [["h3"], ["h2"], ["hosts.h2", "hosts.h3"]]);
  });
  test("a new interface or port name re-makes only that host", () => {
    assert.deepEqual(planLan(olds, news({ h1: { addresses: ["10.0.0.1/24"], interface: "e1" } })).remake, [
      "h1",
    ]);
    const plan = planLan(olds, news({ h2: { addresses: ["10.0.0.2/24"], port: "p2" } }));
    assert.deepEqual([plan.remake, plan.change, plan.paths], [["h2"], [], ["hosts.h2.port"]]);
  });
  test("turning IPv6 link-local on re-makes every host; state from before the setting says nothing", () => {
    const plan = planLan(olds, news({}, { ipv6LinkLocal: true }));
    assert.deepEqual(plan.remake, ["h1", "h2"]);
    assert.deepEqual(plan.paths, ["hosts.h1.ipv6LinkLocal", "hosts.h2.ipv6LinkLocal"]);
    const older: Partial<typeof h1Out> = { ...h1Out };
    delete older.ipv6LinkLocal;
    assert.deepEqual(
      planLan({ ...olds, hosts: { h1: older } }, news({}, { ipv6LinkLocal: true })).remake,
      [],
    );
  });
  test("the Lan's MTU reaches every host that takes it", () => {
    const plan = planLan(olds, news({ h2: { addresses: ["10.0.0.2/24"], mtu: 1500 } }, { mtu: 9000 }));
    assert.deepEqual(plan.change, ["h1"]);
  });
  test("a gateway set, and one removed", () => {
    assert.deepEqual(
      planLan(olds, news({ h1: { addresses: ["10.0.0.1/24"], gateway: "10.0.0.254" } })).paths,
      ["hosts.h1.gateway"],
    );
    const had = { ...olds, hosts: { ...olds.hosts, h1: { ...h1Out, gateway: "10.0.0.254" } } };
    assert.deepEqual(planLan(had, news({})).change, ["h1"]);
  });
});

describe("diffLan", () => {
  test("a host's change is an update of the Lan, never a replacement", () => {
    const d = diffLan(olds, news({ h2: { addresses: ["10.0.0.2/24"], port: "p2" } }));
    assert.deepEqual([d.changes, d.replaces, d.updates], [true, [], ["hosts.h2.port"]]);
  });
  test("the namespace replaces the Lan, deleting the old one first", () => {
    const d = diffLan(olds, { ...news({}), bridge: "br2" });
    assert.deepEqual([d.replaces, d.deleteBeforeReplace], [["bridge"], true]);
    assert.equal(diffLan(olds, { ...news({}), namespace: "hub2" }).deleteBeforeReplace, false);
  });
  test("unknown hosts may change any host", () => {
    assert.deepEqual(diffLan(olds, { ...news({}), hosts: UNKNOWN }).updates, ["hosts"]);
  });
  test("no change", () => assert.equal(diffLan(olds, news({})).changes, false));
  test("the Lan's MTU: an update of the Lan and of each host taking it", () => {
    const d = diffLan(olds, news({}, { mtu: 9000 }));
    assert.deepEqual([d.replaces, d.updates], [[], ["mtu", "hosts.h1.mtu", "hosts.h2.mtu"]]);
  });
});
