import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validate } from "../../../provider/schema/checkFailures";
import { UNKNOWN } from "../../../provider/schema/unknown";
import { macvtapSchema } from "../../../provider/schema/macvtap";
import { type Case, runCases } from "../../helpers/schema";

const base = { name: "mt0", parent: "eth0", managedBy: "proj/dev/Macvtap/mt0" };
const cases: Case[] = [
  { title: "a minimal macvtap", input: base },
  {
    title: "passthru, from the parent's namespace",
    input: { ...base, mode: "passthru", namespace: "vm", parentNamespace: "hub" },
  },
  {
    title: "a bridge port",
    input: { ...base, master: "br0" },
    property: "master",
    reason: /cannot be a bridge port.*EBUSY/u,
  },
  { title: "an unknown master (checked again once known)", input: { ...base, master: UNKNOWN } },
  {
    title: "its own parent",
    input: { ...base, parent: "mt0" },
    property: "parent",
    reason: /its own parent/u,
  },
  {
    title: "a mode the kernel lacks",
    input: { ...base, mode: "vlan" },
    property: "mode",
    reason: /passthru/u,
  },
  {
    title: "an owner (the node's owner decides, not the kernel)",
    input: { ...base, owner: 1000 },
    property: "owner",
    reason: /unknown property/u,
  },
];

describe("macvtap schema", () => {
  runCases(macvtapSchema, cases);

  test("applies defaults: bridge mode, up", () => {
    assert.deepEqual(validate(macvtapSchema, base).inputs, {
      ...base,
      addresses: [],
      up: true,
      mode: "bridge",
      adopt: false,
    });
  });
});
