import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validate } from "../../../provider/schema/checkFailures";
import { UNKNOWN } from "../../../provider/schema/unknown";
import { macvlanSchema } from "../../../provider/schema/macvlan";
import { type Case, runCases } from "../../helpers/schema";

const base = { name: "mv0", parent: "eth0", managedBy: "proj/dev/Macvlan/mv0" };
const cases: Case[] = [
  { title: "a minimal macvlan", input: base },
  { title: "every mode", input: { ...base, mode: "source" } },
  { title: "a parent in another namespace", input: { ...base, namespace: "h1", parentNamespace: "hub" } },
  {
    title: "the parent's name in another namespace",
    input: { ...base, name: "eth0", namespace: "h1", parentNamespace: "hub" },
  },
  { title: "names that are ip keywords", input: { ...base, name: "type", parent: "dev" } },
  { title: "an unknown parent", input: { ...base, parent: UNKNOWN } },
  { title: "on a bridge, as its port", input: { ...base, namespace: "n", master: "br0" } },
  {
    title: "no parent",
    input: { name: "mv0", managedBy: base.managedBy },
    property: "parent",
    reason: /a value is required/u,
  },
  {
    title: "a mode the kernel lacks",
    input: { ...base, mode: "vlan" },
    property: "mode",
    reason: /bridge.*source/u,
  },
  {
    title: "its own parent",
    input: { ...base, parent: "mv0" },
    property: "parent",
    reason: /its own parent/u,
  },
  {
    title: "its own parent, in its namespace named twice",
    input: { ...base, parent: "mv0", namespace: "n", parentNamespace: "n" },
    property: "parent",
    reason: /its own parent/u,
  },
  {
    title: "in the host namespace with a parent in a namespace",
    input: { ...base, parentNamespace: "hub" },
    property: "parentNamespace",
    reason: /host namespace takes its parent from the host namespace/u,
  },
  {
    title: "a parent name too long",
    input: { ...base, parent: "a23456789012345x" },
    property: "parent",
    reason: /15/u,
  },
  { title: "an extra field", input: { ...base, vlan: 3 }, property: "vlan", reason: /unknown property/u },
];

describe("macvlan schema", () => {
  runCases(macvlanSchema, cases);

  test("applies defaults: bridge mode, up", () => {
    assert.deepEqual(validate(macvlanSchema, base).inputs, {
      ...base,
      addresses: [],
      up: true,
      mode: "bridge",
      adopt: false,
    });
  });
});
