import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validate } from "../../../provider/schema/checkFailures";
import { UNKNOWN } from "../../../provider/schema/unknown";
import { vxlanFamily, vxlanSchema } from "../../../provider/schema/vxlan";
import { type Case, failuresOf, runCases } from "../../helpers/schema";

const base = { name: "vx0", vni: 42, managedBy: "proj/dev/Vxlan/vx0" };
const cases: Case[] = [
  { title: "a minimal device", input: base },
  {
    title: "a unicast remote with local and dev",
    input: { ...base, remote: "10.0.0.2", local: "10.0.0.1", dev: "u0" },
  },
  { title: "IPv6 underlay addresses", input: { ...base, remote: "fd00::2", local: "fd00::1" } },
  { title: "a multicast group on a dev", input: { ...base, group: "239.1.1.1", dev: "eth0" } },
  { title: "an IPv6 multicast group", input: { ...base, group: "ff05::1", dev: "eth0" } },
  { title: "a link-local IPv6 tunnel", input: { ...base, remote: "fe80::2", local: "fe80::1", dev: "u0" } },
  { title: "the largest VNI", input: { ...base, vni: 16_777_215 } },
  {
    title: "every option",
    input: { ...base, dstPort: 8472, learning: false, ttl: 64, srcPortRange: [1000, 2000] },
  },
  { title: "ttl auto", input: { ...base, ttl: "auto" } },
  { title: "a one-port source range", input: { ...base, srcPortRange: [5, 5] } },
  {
    title: "a master bridge and the names ip reads as keywords",
    input: { ...base, name: "dev", dev: "type", master: "group" },
  },
  { title: "an unknown vni and remote", input: { ...base, vni: UNKNOWN, remote: UNKNOWN } },
  { title: "VNI 0", input: { ...base, vni: 0 }, property: "vni", reason: /1 to 16777215/u },
  { title: "VNI 2^24", input: { ...base, vni: 16_777_216 }, property: "vni", reason: /1 to 16777215/u },
  {
    title: "no vni",
    input: { name: "vx0", managedBy: base.managedBy },
    property: "vni",
    reason: /required/u,
  },
  {
    title: "dstPort 0 (the kernel's 8472)",
    input: { ...base, dstPort: 0 },
    property: "dstPort",
    reason: /1 to 65535/u,
  },
  { title: "dstPort 65536", input: { ...base, dstPort: 65_536 }, property: "dstPort", reason: /UDP port/u },
  { title: "ttl 256", input: { ...base, ttl: 256 }, property: "ttl", reason: /0 to 255/u },
  { title: "ttl inherit", input: { ...base, ttl: "inherit" }, property: "ttl", reason: /"auto"/u },
  {
    title: "a reversed source range",
    input: { ...base, srcPortRange: [2000, 1000] },
    property: "srcPortRange",
    reason: /low <= high/u,
  },
  {
    title: "a source port above 65535",
    input: { ...base, srcPortRange: [1, 70_000] },
    property: "srcPortRange[1]",
  },
  {
    title: "a multicast remote",
    input: { ...base, remote: "239.1.1.1" },
    property: "remote",
    reason: /multicast.*group/u,
  },
  {
    title: "a unicast group",
    input: { ...base, group: "10.1.1.1", dev: "u0" },
    property: "group",
    reason: /multicast/u,
  },
  {
    title: "remote 0.0.0.0",
    input: { ...base, remote: "0.0.0.0" },
    property: "remote",
    reason: /omit remote/u,
  },
  {
    title: "a remote with a prefix",
    input: { ...base, remote: "10.0.0.2/24" },
    property: "remote",
    reason: /prefix/u,
  },
  {
    title: "a remote that is no address",
    input: { ...base, remote: "peer" },
    property: "remote",
    reason: /not an IPv4/u,
  },
  {
    title: "a multicast local",
    input: { ...base, local: "239.1.1.1" },
    property: "local",
    reason: /unicast/u,
  },
  {
    title: "a group without dev",
    input: { ...base, group: "239.1.1.1" },
    property: "dev",
    reason: /needs `dev`/u,
  },
  {
    title: "both remote and group",
    input: { ...base, remote: "10.0.0.2", group: "239.1.1.1", dev: "u0" },
    property: "group",
    reason: /not both/u,
  },
  {
    title: "local and remote of two families",
    input: { ...base, remote: "10.0.0.2", local: "fd00::1" },
    property: "local",
    reason: /one address family/u,
  },
  {
    title: "a link-local remote from a global local",
    input: { ...base, remote: "fe80::2", dev: "u0" },
    property: "remote",
    reason: /link-local local/u,
  },
  {
    title: "a link-local local without dev",
    input: { ...base, remote: "fe80::2", local: "fe80::1" },
    property: "dev",
    reason: /needs `dev`/u,
  },
  { title: "a bad dev name", input: { ...base, dev: "a/b" }, property: "dev", reason: /"\/"/u },
  { title: "an unknown field", input: { ...base, id: 42 }, property: "id", reason: /unknown property/u },
];

describe("vxlan schema", () => {
  runCases(vxlanSchema, cases);

  test("applies defaults", () => {
    assert.deepEqual(validate(vxlanSchema, base).inputs, {
      ...base,
      addresses: [],
      up: true,
      dstPort: 4789,
      learning: true,
      ttl: 0,
      adopt: false,
    });
  });

  test("one spelling per value: addresses as ip prints them, ttl auto is 0, [0, 0] is no range", () => {
    const { inputs } = validate(vxlanSchema, {
      ...base,
      remote: "FD00:0:0::2",
      local: "fd00:0000::1",
      ttl: "auto",
      srcPortRange: [0, 0],
    });
    assert.equal(inputs?.remote, "fd00::2");
    assert.equal(inputs?.local, "fd00::1");
    assert.equal(inputs?.ttl, 0);
    assert.equal(inputs?.srcPortRange, undefined);
  });

  test("every failure at once", () => {
    const failures = failuresOf(vxlanSchema, { ...base, vni: 0, dstPort: 0, ttl: -1 });
    assert.deepEqual(
      failures.map((f) => f.property),
      ["vni", "dstPort", "ttl"],
    );
  });

  test("the device's address family", () => {
    assert.equal(vxlanFamily({}), 4);
    assert.equal(vxlanFamily({ local: "fd00::1" }), 6);
    assert.equal(vxlanFamily({ group: "ff05::1", local: undefined }), 6);
    assert.equal(vxlanFamily({ remote: UNKNOWN }), undefined);
  });
});
