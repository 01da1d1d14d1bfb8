import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { z } from "zod";
import { type CheckFailure, validate } from "../../provider/schema/checkFailures";

/** A good case (`property` omitted) or a bad one with exactly one failure at `property`. */
export interface Case {
  readonly title: string;
  readonly input: Record<string, unknown>;
  readonly property?: string;
  /** Must match the reason: it names the rule that was broken. */
  readonly reason?: RegExp;
}

export function failuresOf(schema: z.ZodType, input: unknown): CheckFailure[] {
  return validate(schema, input).failures;
}

/** Registers one test per case. */
export function runCases(schema: z.ZodType, cases: readonly Case[]): void {
  for (const c of cases) {
    test(c.property === undefined ? `accepts ${c.title}` : `refuses ${c.title} at ${c.property}`, () => {
      const { inputs, failures } = validate(schema, c.input);
      if (c.property === undefined) {
        assert.deepEqual(failures, []);
        assert.notEqual(inputs, undefined);
        return;
      }
      assert.equal(inputs, undefined);
      assert.equal(failures.length, 1, JSON.stringify(failures));
      assert.equal(failures[0].property, c.property);
      assert.match(failures[0].reason, c.reason ?? /./);
    });
  }
}

/** [value, expected rule (regexp) or null for valid]. */
export type RuleCase<T> = readonly [T, RegExp | null];

/** One test per case of a plain `xxxProblems` rule: valid, or refused with a matching reason. */
export function ruleTable<T>(
  name: string,
  problems: (v: T) => string[],
  cases: readonly RuleCase<T>[],
): void {
  describe(name, () => {
    for (const [value, rule] of cases) {
      test(`${JSON.stringify(value)} ${rule === null ? "is valid" : "is refused"}`, () => {
        const found = problems(value);
        if (rule === null) assert.deepEqual(found, []);
        else {
          assert.ok(found.length > 0, "expected a problem");
          assert.ok(
            found.some((p) => rule.test(p)),
            `${JSON.stringify(found)} !~ ${rule}`,
          );
        }
      });
    }
  });
}

/** Expands an IPv6 address (any textual form) to eight lowercase 4-digit groups, independently of node:net. */
export function expandIPv6(address: string): string {
  let text = address.toLowerCase();
  const v4 = text.match(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/u);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].map((g) => g.padStart(4, "0")).join(":");
}
