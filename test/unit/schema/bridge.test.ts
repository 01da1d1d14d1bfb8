import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bridgeSchema } from "../../../provider/schema/bridge";
import { validate } from "../../../provider/schema/checkFailures";
import { UNKNOWN } from "../../../provider/schema/unknown";
import { type Case, runCases } from "../../helpers/schema";

const base = { name: "br0", managedBy: "proj/dev/Bridge/br0" };
const cases: Case[] = [
  { title: "a minimal bridge", input: base },
  {
    title: "a bridge in a namespace with addresses",
    input: { ...base, namespace: "blue", addresses: ["10.0.0.1/24"] },
  },
  { title: "stp with forwardDelay 2", input: { ...base, stp: true, forwardDelay: 2 } },
  { title: "stp with forwardDelay 30", input: { ...base, stp: true, forwardDelay: 30 } },
  { title: "no stp with forwardDelay 0", input: { ...base, forwardDelay: 0 } },
  { title: "forwardDelay in centiseconds", input: { ...base, forwardDelay: 15.25 } },
  { title: "ageingTime 0", input: { ...base, ageingTime: 0 } },
  { title: "ageingTime 1000000", input: { ...base, ageingTime: 1_000_000 } },
  { title: "vlanFiltering", input: { ...base, vlanFiltering: true } },
  { title: "unknown stp with a small forwardDelay", input: { ...base, stp: UNKNOWN, forwardDelay: 0 } },
  { title: "stp with an unknown forwardDelay", input: { ...base, stp: true, forwardDelay: UNKNOWN } },
  { title: "the name 'up' (passed after a keyword)", input: { ...base, name: "up" } },
  {
    title: "stp with forwardDelay 1",
    input: { ...base, stp: true, forwardDelay: 1 },
    property: "forwardDelay",
    reason: /with stp on, forwardDelay is 2-30 seconds/u,
  },
  {
    title: "forwardDelay 31",
    input: { ...base, forwardDelay: 31 },
    property: "forwardDelay",
    reason: /0-30 seconds/u,
  },
  {
    title: "forwardDelay below a centisecond",
    input: { ...base, forwardDelay: 2.001 },
    property: "forwardDelay",
    reason: /centisecond/u,
  },
  {
    title: "a negative ageingTime",
    input: { ...base, ageingTime: -1 },
    property: "ageingTime",
    reason: /0-1000000 seconds/u,
  },
  {
    title: "ageingTime above 802.1D's range",
    input: { ...base, ageingTime: 1_000_001 },
    property: "ageingTime",
    reason: /0-1000000 seconds/u,
  },
  { title: "stp as a number", input: { ...base, stp: 1 }, property: "stp", reason: /expected a boolean/u },
  {
    title: "vlanFiltering as a string",
    input: { ...base, vlanFiltering: "true" },
    property: "vlanFiltering",
    reason: /expected a boolean/u,
  },
  {
    title: "a bridge that is its own master",
    input: { ...base, master: "br0" },
    property: "master",
    reason: /own master/u,
  },
  {
    title: "a name with a NUL",
    input: { ...base, name: "br\u00000" },
    property: "name",
    reason: /control characters/u,
  },
  {
    title: "an all-zero MAC",
    input: { ...base, macAddress: "00:00:00:00:00:00" },
    property: "macAddress",
    reason: /non-zero/u,
  },
  { title: "a missing managedBy", input: { name: "br0" }, property: "managedBy", reason: /required/u },
];

describe("bridge schema", () => {
  runCases(bridgeSchema, cases);

  test("applies defaults", () => {
    assert.deepEqual(validate(bridgeSchema, base).inputs, {
      ...base,
      addresses: [],
      up: true,
      stp: false,
      vlanFiltering: false,
      adopt: false,
    });
  });

  test("passes unknown values through unchanged", () => {
    const input = {
      ...base,
      addresses: UNKNOWN,
      mtu: UNKNOWN,
      up: UNKNOWN,
      ageingTime: UNKNOWN,
      stp: UNKNOWN,
    };
    assert.deepEqual(validate(bridgeSchema, input).inputs, { ...input, vlanFiltering: false, adopt: false });
  });
});
