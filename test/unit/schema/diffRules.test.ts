// Diff rules are keyed by the schema's own keys: a schema field nobody gives a rule would never be
// compared, so it must not compile. The `@ts-expect-error` lines below are the test: if a rule
// stops being required (or a rule for a field the schema lacks stops being refused), the
// directive is unused and `tsc` fails the build.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bridgeSchema } from "../../../provider/schema/bridge";
import { diffBy, type DiffRules, ownershipRules, replace, update } from "../../../provider/schema/diff";
import { LINK_IDENTITY, linkEndSchema, linkRules } from "../../../provider/schema/link";

const bridgeRules = {
  ...linkRules,
  stp: update,
  vlanFiltering: update,
  forwardDelay: update,
  ageingTime: update,
  ...ownershipRules,
};

describe("diff rules cover every schema field, at compile time", () => {
  test("a table without a rule for one field does not compile", () => {
    const withoutAgeingTime = {
      ...linkRules,
      stp: update,
      vlanFiltering: update,
      forwardDelay: update,
      ...ownershipRules,
    };
    const diff = diffBy({
      schema: bridgeSchema,
      // @ts-expect-error the schema's `ageingTime` has no rule
      fields: withoutAgeingTime,
      identity: LINK_IDENTITY,
    });
    // What that table would do: a changed ageingTime would go unnoticed.
    const base = { name: "br0", managedBy: "p/s/Bridge/b", ageingTime: 30 };
    assert.equal(diff(base, { ...base, ageingTime: 60 }).changes, false);
  });

  test("a rule for a field the schema does not have does not compile", () => {
    const rules: DiffRules<typeof linkEndSchema> = {
      ...linkRules,
      // @ts-expect-error link ends have no `vlan`
      vlan: replace,
    };
    assert.equal(rules.name, replace);
  });

  test("the full table compiles and compares that field", () => {
    const diff = diffBy({ schema: bridgeSchema, fields: bridgeRules, identity: LINK_IDENTITY });
    const base = { name: "br0", managedBy: "p/s/Bridge/b", ageingTime: 30 };
    assert.deepEqual(diff(base, { ...base, ageingTime: 60 }).updates, ["ageingTime"]);
  });
});
