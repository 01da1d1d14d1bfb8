import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validate } from "../../../provider/schema/checkFailures";
import { UNKNOWN } from "../../../provider/schema/unknown";
import { namespaceSchema } from "../../../provider/schema/namespace";
import { type Case, runCases } from "../../helpers/schema";

const base = { name: "blue", managedBy: "proj/dev/Namespace/blue" };
const cases: Case[] = [
  { title: "a minimal namespace", input: base },
  {
    title: "sysctls with string and integer values",
    input: { ...base, sysctls: { "net.ipv4.ip_forward": 1, "net.ipv6.conf.all.forwarding": "1" } },
  },
  { title: "adopt", input: { ...base, adopt: true } },
  { title: "an unknown name", input: { ...base, name: UNKNOWN } },
  { title: "unknown sysctls", input: { ...base, sysctls: UNKNOWN } },
  { title: "an unknown sysctl value", input: { ...base, sysctls: { "net.ipv4.ip_forward": UNKNOWN } } },
  { title: "a missing name", input: { managedBy: base.managedBy }, property: "name", reason: /required/u },
  {
    title: "a name with a slash",
    input: { ...base, name: "a/b" },
    property: "name",
    reason: /cannot contain "\/"/u,
  },
  { title: "a name with a space", input: { ...base, name: "a b" }, property: "name", reason: /whitespace/u },
  { title: "a name with a quote", input: { ...base, name: "a'b" }, property: "name", reason: /ip -batch/u },
  {
    title: "a name of 256 bytes",
    input: { ...base, name: "n".repeat(256) },
    property: "name",
    reason: /1-255 bytes/u,
  },
  { title: "a name of ..", input: { ...base, name: ".." }, property: "name", reason: /"\." or "\.\."/u },
  {
    title: "a non-net sysctl",
    input: { ...base, sysctls: { "kernel.pid_max": "1" } },
    property: 'sysctls["kernel.pid_max"]',
    reason: /start with "net\."/u,
  },
  {
    title: "a sysctl value with a line break",
    input: { ...base, sysctls: { "net.ipv4.ip_local_port_range": "1\n2" } },
    property: 'sysctls["net.ipv4.ip_local_port_range"]',
    reason: /line break/u,
  },
  {
    title: "a boolean sysctl value",
    input: { ...base, sysctls: { "net.ipv4.ip_forward": true } },
    property: 'sysctls["net.ipv4.ip_forward"]',
    reason: /strings or integers/u,
  },
  {
    title: "sysctls as an array",
    input: { ...base, sysctls: ["net.ipv4.ip_forward"] },
    property: "sysctls",
    reason: /expected a record|expected an object/u,
  },
  {
    title: "adopt as a string",
    input: { ...base, adopt: "yes" },
    property: "adopt",
    reason: /expected a boolean/u,
  },
  {
    title: "a misspelt property",
    input: { ...base, sysctl: {} },
    property: "sysctl",
    reason: /unknown property "sysctl"/u,
  },
  {
    title: "a managedBy with a space",
    input: { ...base, managedBy: "p/s/Namespace/a b" },
    property: "managedBy",
    reason: /whitespace/u,
  },
];

describe("namespace schema", () => {
  runCases(namespaceSchema, cases);

  test("applies defaults and turns integers into strings", () => {
    assert.deepEqual(validate(namespaceSchema, { ...base, sysctls: { "net.ipv4.ip_forward": 1 } }).inputs, {
      ...base,
      sysctls: { "net.ipv4.ip_forward": "1" },
      adopt: false,
    });
    assert.deepEqual(validate(namespaceSchema, base).inputs, { ...base, sysctls: {}, adopt: false });
  });

  test("reports every failure together", () => {
    const { failures } = validate(namespaceSchema, {
      name: "a b",
      sysctls: { "kernel.x": "1", "net.ok": "a\nb" },
      adopt: 1,
      bogus: 1,
    });
    assert.deepEqual(
      failures.map((f) => f.property),
      ["name", 'sysctls["kernel.x"]', 'sysctls["net.ok"]', "adopt", "managedBy", "bogus"],
    );
  });
});
