/**
 * The glue that turns zod issues into Pulumi check failures: every failure at once, each with a
 * dotted property path and a reason that reads on its own in `pulumi preview`.
 */
import { z } from "zod";
import { quote } from "./rules";
import { formatPath } from "./propertyPath";
import { UNKNOWN } from "./unknown";

export { formatPath };

/** A Pulumi check failure: `property` is a path such as `a.addresses[1]` or `sysctls["net.x"]`. */
export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

function isUnknownBranch(issues: readonly z.core.$ZodIssue[]): boolean {
  return (
    issues.length === 1 &&
    issues[0].code === "invalid_value" &&
    issues[0].path.length === 0 &&
    issues[0].values.length === 1 &&
    issues[0].values[0] === UNKNOWN
  );
}

function collect(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[], out: CheckFailure[]): void {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case "invalid_union": {
      // orUnknown's union: the sentinel branch says nothing useful, the other one says why.
      const real = issue.errors.filter((branch) => !isUnknownBranch(branch));
      if (real.length === 1 && real.length < issue.errors.length) {
        for (const inner of real[0]) collect(inner, path, out);
        return;
      }
      out.push({ property: formatPath(path), reason: issue.message });
      return;
    }
    case "invalid_key":
      out.push({ property: formatPath(path), reason: issue.issues.map((i) => i.message).join("; ") });
      return;
    case "invalid_element":
      for (const inner of issue.issues) collect(inner, path, out);
      return;
    case "unrecognized_keys":
      for (const key of issue.keys)
        out.push({ property: formatPath([...path, key]), reason: `unknown property ${quote(key)}` });
      return;
    default:
      out.push({ property: formatPath(path), reason: issue.message });
  }
}

/** Every issue of a zod error as check failures, de-duplicated, in the order zod found them. */
export function toCheckFailures(error: z.ZodError | readonly z.core.$ZodIssue[]): CheckFailure[] {
  const issues = error instanceof z.ZodError ? error.issues : error;
  const out: CheckFailure[] = [];
  for (const issue of issues) collect(issue, [], out);
  const seen = new Set<string>();
  return out.filter((f) => {
    const key = `${f.property}\u0000${f.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Messages for zod's built-in issues that read on their own in `pulumi preview`. */
export const checkErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === "invalid_type") {
    if (issue.input === undefined) return "a value is required";
    return `expected ${issue.expected === "array" ? "an array" : issue.expected === "object" ? "an object" : `a ${issue.expected}`}, got ${quote(issue.input)}`;
  }
  return undefined;
};

export interface Validated<T> {
  /** The inputs with defaults applied and the unknown sentinel kept; undefined when there are failures. */
  readonly inputs: T | undefined;
  readonly failures: CheckFailure[];
}

/** The key the dynamic-provider host adds to every input object and re-adds after `check`. */
export const PROVIDER_KEY = "__provider";

/** Validates `news` against `schema`, returning every failure at once. */
export function validate<S extends z.ZodType>(schema: S, news: unknown): Validated<z.output<S>> {
  let input = news;
  if (typeof news === "object" && news !== null && !Array.isArray(news) && PROVIDER_KEY in news) {
    const rest: Record<string, unknown> = { ...news };
    delete rest[PROVIDER_KEY];
    input = rest;
  }
  const result = schema.safeParse(input, { error: checkErrorMap });
  if (result.success) return { inputs: result.data, failures: [] };
  return { inputs: undefined, failures: toCheckFailures(result.error) };
}
