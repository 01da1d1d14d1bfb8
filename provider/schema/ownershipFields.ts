/**
 * The fields every user kind carries so its objects can be marked as its own: `managedBy` and
 * `stackInstance` make the mark (provider/ownership.ts), `adopt` lets a resource take over an
 * object that exists.
 */
import { z } from "zod";
import { byteLength, quote, ruledString, textProblems } from "./rules";
import { orUnknown } from "./unknown";

export const MANAGED_BY_MAX_BYTES = 200;

/**
 * `<project>/<stack>/<kind>/<name>`; the name may itself contain "/". It is written into an
 * interface alias (IFALIASZ 256, after the "pulumi-netns:" prefix) and an ip -batch line.
 */
export function managedByProblems(value: string): string[] {
  const problems: string[] = [];
  const bytes = byteLength(value);
  if (bytes < 1 || bytes > MANAGED_BY_MAX_BYTES) {
    problems.push(`managedBy is 1-${MANAGED_BY_MAX_BYTES} bytes; ${quote(value)} is ${bytes} bytes`);
  }
  const segments = value.split("/");
  if (
    segments.length < 4 ||
    segments.slice(0, 3).some((s) => s === "") ||
    segments.slice(3).join("/") === ""
  ) {
    problems.push(`managedBy is "<project>/<stack>/<kind>/<name>" with no empty part; got ${quote(value)}`);
  }
  problems.push(...textProblems("managedBy", value, true));
  return problems;
}

export const managedBy = ruledString(managedByProblems);

/** The ids a StackInstance makes (16 hex digits) and what a user may pin in config. */
const STACK_INSTANCE = /^[A-Za-z0-9_-]{1,32}$/u;

/**
 * Which stack owns a resource: the id of the stack's StackInstance resource, made once in that
 * stack's own state (or pinned with `pulumi config set pulumi-netns:stackInstance ID`). It goes
 * into the ownership mark, so two stacks with one project and stack name are different owners.
 */
export function stackInstanceProblems(value: string): string[] {
  return STACK_INSTANCE.test(value)
    ? []
    : [`stackInstance is 1-32 letters, digits, "_" or "-"; got ${quote(value)}`];
}

export const stackInstance = ruledString(stackInstanceProblems);

export const adoptField = orUnknown(z.boolean()).default(false);
export const managedByField = orUnknown(managedBy);
/** Optional only so that state written before stack instances existed still resolves. */
export const stackInstanceField = orUnknown(stackInstance).optional();
