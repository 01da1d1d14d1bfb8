// Glue between the zod schemas and Pulumi's dynamic provider contract.
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { validate } from "./schema/checkFailures";

/**
 * `check` for a kind: every failure, each naming its field; inputs with defaults applied. Once the
 * inputs are valid on their own, `crossCheck` applies the rules that involve other resources.
 */
export function checkWith<S extends z.ZodType>(
  schema: S,
  crossCheck?: (
    inputs: z.output<S>,
  ) => Promise<pulumi.dynamic.CheckFailure[]> | pulumi.dynamic.CheckFailure[],
) {
  return async (_olds: unknown, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> => {
    const { inputs, failures } = validate(schema, news);
    if (failures.length > 0 || inputs === undefined) return { inputs: news, failures };
    const related = crossCheck ? await crossCheck(inputs) : [];
    return related.length > 0
      ? { inputs: news, failures: related }
      : { inputs: inputs as Record<string, unknown> };
  };
}

/** Where a link or namespace lives, for messages: `namespace "x"` or `the host namespace`. */
export function describeNamespace(namespace: string | undefined): string {
  return namespace === undefined ? "the host namespace" : `namespace ${JSON.stringify(namespace)}`;
}

/**
 * State records what the kernel has, including values it chose itself (an MTU, a random MAC)
 * where the inputs left them unset. Those are not drift: this drops them from `olds` before
 * diffing, for each key that `news` leaves unset.
 */
export function withoutKernelChoices(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  keys: readonly string[],
): Record<string, unknown> {
  const view = { ...olds };
  for (const key of keys) if (news[key] === undefined) delete view[key];
  return view;
}
