/**
 * How a field rule is written. Each rule is a plain `xxxProblems(value) => string[]` function
 * (empty = valid) so the kernel layer can reuse it; `ruledString`/`ruledNumber` make a zod field of
 * one. `textProblems` holds what every free-text rule refuses (names go into `ip -batch` lines).
 */
import { z } from "zod";

/** A string field whose value is judged by `problems`; every problem becomes its own issue. */
export function ruledString(problems: (value: string) => string[]) {
  return z.string().superRefine((value, ctx) => {
    for (const message of problems(value)) ctx.addIssue({ code: "custom", message, input: value });
  });
}

/** A number field whose value is judged by `problems`. */
export function ruledNumber(problems: (value: number) => string[]) {
  return z.number().superRefine((value, ctx) => {
    for (const message of problems(value)) ctx.addIssue({ code: "custom", message, input: value });
  });
}

// Character classes of the free-text rules.
const LONE_SURROGATE = /\p{Cs}/u;
export const WHITESPACE = /\s/u;
/** Control characters other than the whitespace ones, which get their own reason. */
const CONTROL_NOT_SPACE = /(?!\s)\p{Cc}/u;
/** Characters `ip -batch` gives meaning to when it re-tokenises a line (quotes, comments, escapes). */
const BATCH_SPECIAL = /["'`#\\]/u;
const BATCH_REASON = `ip -batch re-tokenises each line, so quotes, backticks, "#" and "\\" would split or cut the value`;

export function byteLength(value: string): number {
  return Buffer.byteLength(value, "utf8");
}

/** `U+0020` style name of the first character of `value` matching `re`. */
function firstMatch(value: string, re: RegExp): string {
  const ch = value.match(re)?.[0] ?? "";
  const cp = ch.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** A short, quoted rendering of a value for use inside a reason. */
export function quote(value: unknown): string {
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return String(value);
}

/** Problems shared by every free-text rule: well-formed Unicode, whitespace, control, batch chars. */
export function textProblems(what: string, value: string, batch: boolean): string[] {
  const problems: string[] = [];
  if (LONE_SURROGATE.test(value))
    problems.push(`${what} must be well-formed Unicode; ${quote(value)} has a lone surrogate`);
  if (WHITESPACE.test(value)) {
    problems.push(`${what} cannot contain whitespace; ${quote(value)} has ${firstMatch(value, WHITESPACE)}`);
  }
  if (CONTROL_NOT_SPACE.test(value)) {
    problems.push(
      `${what} cannot contain control characters; ${quote(value)} has ${firstMatch(value, CONTROL_NOT_SPACE)}`,
    );
  }
  if (batch && BATCH_SPECIAL.test(value)) {
    const ch = value.match(BATCH_SPECIAL)?.[0];
    problems.push(`${what} cannot contain ${JSON.stringify(ch)}: ${BATCH_REASON}`);
  }
  return problems;
}
