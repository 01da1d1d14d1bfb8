/**
 * The unknown sentinel: what Pulumi passes for an input not known yet (during preview). Every
 * schema field may carry it, and every cross-field rule must step around it.
 */
import { z } from "zod";

/** The value Pulumi passes for an input that is not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export type Unknown = typeof UNKNOWN;

export function isUnknown(value: unknown): value is Unknown {
  return value === UNKNOWN;
}

/**
 * Accepts `schema` or the unknown sentinel, which passes through unchanged. Cross-field rules must
 * treat the sentinel as "could be anything" and skip. The input type leaves the sentinel out (users
 * never write it); the output type keeps it, so resolved inputs say honestly what may be unknown.
 */
export function orUnknown<T extends z.ZodType>(schema: T): z.ZodType<z.output<T> | Unknown, z.input<T>> {
  return z.union([schema, z.literal(UNKNOWN)]) as unknown as z.ZodType<z.output<T> | Unknown, z.input<T>>;
}

/**
 * `T` with the unknown sentinel removed everywhere: inputs as `create` and `update` receive them
 * (the engine only calls those once every input is known).
 */
export type Known<T> = T extends Unknown
  ? never
  : T extends readonly (infer E)[]
    ? Known<E>[]
    : T extends object
      ? { [K in keyof T]: Known<T[K]> }
      : T;
