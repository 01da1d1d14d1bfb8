import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validate } from "../../../provider/schema/checkFailures";
import { UNKNOWN } from "../../../provider/schema/unknown";
import { tapDeviceSchema } from "../../../provider/schema/tapDevice";
import { type Case, runCases } from "../../helpers/schema";

const base = { name: "tap0", managedBy: "proj/dev/TapDevice/tap0" };
const cases: Case[] = [
  { title: "a minimal tap", input: base },
  { title: "owner and group 0", input: { ...base, owner: 0, group: 0 } },
  { title: "the largest ids", input: { ...base, owner: 2 ** 32 - 2, group: 2 ** 32 - 2 } },
  { title: "flags", input: { ...base, multiQueue: true, vnetHdr: true } },
  { title: "a master bridge", input: { ...base, master: "br0", namespace: "blue" } },
  { title: "unknown owner", input: { ...base, owner: UNKNOWN } },
  {
    title: "owner 2^32-1 (means none)",
    input: { ...base, owner: 2 ** 32 - 1 },
    property: "owner",
    reason: /uid: an integer from 0 to 4294967294/u,
  },
  { title: "a negative group", input: { ...base, group: -1 }, property: "group", reason: /gid: an integer/u },
  { title: "a fractional owner", input: { ...base, owner: 1.5 }, property: "owner", reason: /integer/u },
  {
    title: "owner as a string",
    input: { ...base, owner: "1000" },
    property: "owner",
    reason: /expected a number/u,
  },
  {
    title: "multiQueue as a string",
    input: { ...base, multiQueue: "yes" },
    property: "multiQueue",
    reason: /expected a boolean/u,
  },
  {
    title: "an IPv6 prefix of 129",
    input: { ...base, addresses: ["fd00::1/129"] },
    property: "addresses[0]",
    reason: /0-128/u,
  },
  {
    title: "a broadcast MAC",
    input: { ...base, macAddress: "FF:FF:FF:FF:FF:FF" },
    property: "macAddress",
    reason: /broadcast/u,
  },
  { title: "an mtu of 1500.5", input: { ...base, mtu: 1500.5 }, property: "mtu", reason: /integer/u },
  {
    title: "an mtu above the tun driver's max_mtu (65521)",
    input: { ...base, mtu: 65522 },
    property: "mtu",
    reason: /at most 65521/u,
  },
  {
    title: "a name the kernel would rewrite as a template",
    input: { ...base, name: "tap%d" },
    property: "name",
    reason: /template/u,
  },
  {
    title: "a name with 0xA0 in its UTF-8",
    input: { ...base, name: "tapà" },
    property: "name",
    reason: /0xA0/u,
  },
];

describe("tap device schema", () => {
  runCases(tapDeviceSchema, cases);

  test("applies defaults", () => {
    assert.deepEqual(validate(tapDeviceSchema, base).inputs, {
      ...base,
      addresses: [],
      up: true,
      multiQueue: false,
      vnetHdr: false,
      adopt: false,
    });
  });

  test("reports every failure together", () => {
    const { failures } = validate(tapDeviceSchema, {
      name: "",
      owner: -1,
      group: "g",
      vnetHdr: 0,
      macAddress: "x",
    });
    assert.deepEqual(
      failures.map((f) => f.property),
      ["name", "macAddress", "owner", "group", "vnetHdr", "managedBy"],
    );
  });

  test("keeps an all-unknown object intact", () => {
    const input = {
      name: UNKNOWN,
      namespace: UNKNOWN,
      addresses: [UNKNOWN],
      owner: UNKNOWN,
      multiQueue: UNKNOWN,
      managedBy: UNKNOWN,
    };
    assert.deepEqual(validate(tapDeviceSchema, input).inputs, {
      ...input,
      up: true,
      vnetHdr: false,
      adopt: false,
    });
  });
});
