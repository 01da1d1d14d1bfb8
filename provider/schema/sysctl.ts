/** Network sysctl keys and values, as a namespace's `sysctls` takes them. */
import { z } from "zod";
import { quote, ruledString, textProblems } from "./rules";

const SYSCTL_SEGMENT = /^[A-Za-z0-9_-]+$/u;

/**
 * `net.` followed by dot-separated segments of [A-Za-z0-9_-]. "/" is refused: sysctl(8) reads it
 * as a "." inside an interface name (net.ipv4.conf.eth0/100.forwarding), a translation we do not
 * make, so accepting it would write a different file than the user meant.
 */
export function sysctlKeyProblems(key: string): string[] {
  if (!key.startsWith("net.")) {
    return [`sysctl keys start with "net." (only network sysctls are per namespace); got ${quote(key)}`];
  }
  if (key.includes("/")) {
    return [
      `sysctl keys cannot contain "/" (sysctl(8) would read it as a "." in an interface name); got ${quote(key)}`,
    ];
  }
  const bad = key.split(".").find((segment) => !SYSCTL_SEGMENT.test(segment));
  if (bad !== undefined) {
    return [
      `sysctl keys are "net." and non-empty dot-separated segments of letters, digits, "_" and "-"; ${quote(key)} has segment ${quote(bad)}`,
    ];
  }
  return [];
}

export const sysctlKey = ruledString(sysctlKeyProblems);

export function sysctlValueProblems(value: string | number): string[] {
  if (typeof value === "number") {
    return Number.isSafeInteger(value)
      ? []
      : [`numeric sysctl values must be integers (write other values as strings); got ${quote(value)}`];
  }
  if (value.trim() === "") return [`sysctl values cannot be empty`];
  // Values reach sysctl(8) as one argv element, never an ip -batch line, so multi-number values
  // such as net.ipv4.ip_local_port_range ("32768 60999") keep their blanks; line breaks would
  // split what sysctl writes, and edge blanks would never read back equal.
  const problems = /[\n\r\v\f]/u.test(value)
    ? [`sysctl values are one line; ${quote(value)} has a line break`]
    : textProblems("sysctl values", value.replace(/[ \t]/gu, "_"), false);
  if (value !== value.trim())
    problems.push(`sysctl values cannot start or end with blanks; got ${quote(value)}`);
  return problems;
}

/** A string, or an integer which is turned into its decimal string. */
export const sysctlValue = z
  .union([z.string(), z.number()], {
    error: (iss) => `sysctl values are strings or integers; got ${quote(iss.input)}`,
  })
  .superRefine((value, ctx) => {
    for (const message of sysctlValueProblems(value)) ctx.addIssue({ code: "custom", message, input: value });
  })
  .transform((value) => String(value));
