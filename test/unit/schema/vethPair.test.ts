import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validate } from "../../../provider/schema/checkFailures";
import { UNKNOWN } from "../../../provider/schema/unknown";
import { effectiveEndMtu, type VethPairResolved, vethPairSchema } from "../../../provider/schema/vethPair";
import { type Case, runCases } from "../../helpers/schema";

const base = {
  a: { name: "veth-a" },
  b: { name: "veth-b", namespace: "blue" },
  managedBy: "proj/dev/VethPair/v",
};
const withA = (a: Record<string, unknown>) => ({ ...base, a: { ...base.a, ...a } });
const withB = (b: Record<string, unknown>) => ({ ...base, b: { ...base.b, ...b } });

const cases: Case[] = [
  { title: "a minimal pair", input: base },
  {
    title: "the same name in two namespaces",
    input: { ...base, a: { name: "eth0", namespace: "red" }, b: { name: "eth0", namespace: "blue" } },
  },
  {
    title: "the same name, host and a namespace",
    input: { ...base, a: { name: "eth0" }, b: { name: "eth0", namespace: "blue" } },
  },
  {
    title: "full link fields",
    input: withA({
      addresses: ["10.0.0.1/24", "fd00::1/64"],
      mtu: 9000,
      macAddress: "02:00:00:00:00:01",
      up: false,
      master: "br0",
    }),
  },
  { title: "a top-level mtu", input: { ...base, mtu: 1400 } },
  { title: "an unknown end", input: { ...base, a: UNKNOWN } },
  { title: "unknown addresses", input: withA({ addresses: UNKNOWN }) },
  { title: "an unknown address element", input: withA({ addresses: ["10.0.0.1/24", UNKNOWN] }) },
  { title: "an unknown mtu", input: withA({ mtu: UNKNOWN }) },
  {
    title: "unknown names (no identity check)",
    input: { ...base, a: { name: UNKNOWN }, b: { name: UNKNOWN } },
  },
  {
    title: "unknown namespace on the same name",
    input: { ...base, a: { name: "x" }, b: { name: "x", namespace: UNKNOWN } },
  },
  {
    title: "both ends identical in the host",
    input: { ...base, a: { name: "x" }, b: { name: "x" } },
    property: "b.name",
    reason: /two ends of a veth pair must differ.*host namespace/u,
  },
  {
    title: "both ends identical in a namespace",
    input: { ...base, a: { name: "x", namespace: "n" }, b: { name: "x", namespace: "n" } },
    property: "b.name",
    reason: /must differ.*namespace "n"/u,
  },
  {
    title: "a missing end",
    input: { a: base.a, managedBy: base.managedBy },
    property: "b",
    reason: /required/u,
  },
  {
    title: "an end without a name",
    input: withA({ name: undefined }),
    property: "a.name",
    reason: /required/u,
  },
  {
    title: "a long end name",
    input: withA({ name: "averyveryverylongname" }),
    property: "a.name",
    reason: /1-15 bytes; "averyveryverylongname" is 21 bytes/u,
  },
  {
    title: "a multibyte end name",
    input: withB({ name: "ééééééééé" }),
    property: "b.name",
    reason: /is 18 bytes/u,
  },
  {
    title: "an address without prefix",
    input: withA({ addresses: ["10.0.0.1/24", "10.0.0.2"] }),
    property: "a.addresses[1]",
    reason: /prefix length/u,
  },
  {
    title: "a duplicated address",
    input: withB({ addresses: ["fd00::1/64", "FD00:0::1/64"] }),
    property: "b.addresses[1]",
    reason: /listed once.*addresses\[0\]/u,
  },
  {
    title: "addresses as a string",
    input: withA({ addresses: "10.0.0.1/24" }),
    property: "a.addresses",
    reason: /expected an array/u,
  },
  { title: "an mtu too small", input: withA({ mtu: 60 }), property: "a.mtu", reason: /68 .* to 65535/u },
  {
    title: "a top-level mtu too large",
    input: { ...base, mtu: 70000 },
    property: "mtu",
    reason: /68 .* to 65535/u,
  },
  {
    title: "a multicast MAC",
    input: withB({ macAddress: "01:00:5e:00:00:01" }),
    property: "b.macAddress",
    reason: /unicast/u,
  },
  {
    title: "a master with a colon",
    input: withA({ master: "br:0" }),
    property: "a.master",
    reason: /cannot contain "\/" or ":"/u,
  },
  {
    title: "an end that is its own master",
    input: withA({ master: "veth-a" }),
    property: "a.master",
    reason: /own master/u,
  },
  {
    title: "a misspelt end property",
    input: withA({ mtuu: 1500 }),
    property: "a.mtuu",
    reason: /unknown property/u,
  },
  {
    title: "an end namespace with a hash",
    input: withB({ namespace: "blue#1" }),
    property: "b.namespace",
    reason: /ip -batch/u,
  },
];

describe("veth pair schema", () => {
  runCases(vethPairSchema, cases);

  test("applies defaults to both ends", () => {
    assert.deepEqual(validate(vethPairSchema, base).inputs, {
      a: { name: "veth-a", addresses: [], up: true },
      b: { name: "veth-b", namespace: "blue", addresses: [], up: true },
      adopt: false,
      managedBy: base.managedBy,
    });
  });

  test("reports every failure together, across both ends", () => {
    const { failures } = validate(vethPairSchema, {
      a: { name: "x", addresses: ["bad", 5], mtu: 1 },
      b: { name: "x", macAddress: "zz" },
      adopt: "no",
      managedBy: base.managedBy,
    });
    assert.deepEqual(
      failures.map((f) => f.property),
      ["a.addresses[0]", "a.addresses[1]", "a.mtu", "b.macAddress", "adopt", "b.name"],
    );
  });

  test("the pair's mtu is the default for ends without their own", () => {
    const pair = validate(vethPairSchema, { ...withA({ mtu: 9000 }), mtu: 1400 }).inputs as VethPairResolved;
    assert.equal(effectiveEndMtu(pair, "a"), 9000);
    assert.equal(effectiveEndMtu(pair, "b"), 1400);
  });
});
