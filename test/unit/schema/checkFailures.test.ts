import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { z } from "zod";
import { formatPath, toCheckFailures, validate } from "../../../provider/schema/checkFailures";

describe("formatPath", () => {
  test("uses Pulumi's property-path syntax", () => {
    assert.equal(formatPath(["a", "addresses", 1]), "a.addresses[1]");
    assert.equal(formatPath(["sysctls", "net.ipv4.ip_forward"]), 'sysctls["net.ipv4.ip_forward"]');
    assert.equal(formatPath(["name"]), "name");
    assert.equal(formatPath([]), "");
  });
});

describe("validate and toCheckFailures", () => {
  const schema = z.strictObject({ n: z.number(), s: z.string() });
  test("report every failure with a readable reason", () => {
    const { inputs, failures } = validate(schema, { n: "1", extra: true });
    assert.equal(inputs, undefined);
    assert.deepEqual(failures, [
      { property: "n", reason: 'expected a number, got "1"' },
      { property: "s", reason: "a value is required" },
      { property: "extra", reason: 'unknown property "extra"' },
    ]);
  });
  test("ignore the dynamic provider's __provider key", () => {
    assert.deepEqual(validate(schema, { n: 1, s: "x", __provider: "serialized" }), {
      inputs: { n: 1, s: "x" },
      failures: [],
    });
  });
  test("toCheckFailures accepts a ZodError", () => {
    const result = schema.safeParse({ n: 1, s: 2 });
    assert.equal(result.success, false);
    assert.deepEqual(
      toCheckFailures(result.error!).map((f) => f.property),
      ["s"],
    );
  });
});
