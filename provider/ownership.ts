// Who owns a kernel object. Every resource writes one mark on what it makes; every handler that
// reads, changes or deletes an object first checks that the object carries the mark recorded in
// the resource's state. See DESIGN.md "Ownership marks".
import { stackInstanceProblems } from "./schema/ownershipFields";
import type { HostSpec } from "./schema/host";

/** Inputs every resource carries. */
export interface Owned {
  /** `<project>/<stack>/<kind>/<name>`, computed by the SDK. */
  readonly managedBy: string;
  /** The id of the owning stack's StackInstance resource; absent in state of earlier versions. */
  readonly stackInstance?: string | undefined;
  readonly adopt: boolean;
  /** The machine it lives on (schema/host.ts); absent: this one. Secret in state with its key. */
  readonly host?: HostSpec | undefined;
}

/**
 * The ownership mark of a resource: `<stackInstance>/<project>/<stack>/<kind>/<name>`. Two stacks
 * with one project and stack name (two checkouts, two state backends) have different instances,
 * so they never take each other's objects. State written before stack instances has none: its
 * objects carry the bare `managedBy`, and that is what they are recognised by until their next
 * update rewrites the mark.
 */
export function ownerMark(owned: Pick<Owned, "managedBy" | "stackInstance">): string {
  return owned.stackInstance ? `${owned.stackInstance}/${owned.managedBy}` : owned.managedBy;
}

/** What an ownership mark names, each part decoded. */
export interface ParsedMark {
  /** Undefined for a mark made before stack instances (`<project>/<stack>/<kind>/<name>`). */
  readonly instance: string | undefined;
  readonly project: string;
  readonly stack: string;
  readonly kind: string;
  /** The resource name (cut and ending in `~<hash>` when the mark was too long). */
  readonly name: string;
}

/** Splits a mark into what it names; undefined when it has fewer than four parts. */
export function parseMark(mark: string): ParsedMark | undefined {
  const parts = mark.split("/");
  if (parts.length < 4) return undefined;
  const legacy = parts.length === 4 || stackInstanceProblems(parts[0] ?? "").length > 0;
  const [instance, project, stack, kind, ...name] = legacy ? ["", ...parts] : parts;
  const decoded = (s: string | undefined) => {
    try {
      return decodeURIComponent(s ?? "");
    } catch {
      return s ?? "";
    }
  };
  return {
    instance: instance === "" ? undefined : instance,
    project: decoded(project),
    stack: decoded(stack),
    kind: decoded(kind),
    name: decoded(name.join("/")),
  };
}

/** A mark, for messages: which stack instance and resource it names. */
export function describeMark(mark: string): string {
  const parsed = parseMark(mark);
  if (!parsed) return JSON.stringify(mark);
  const { instance, project, stack, kind, name } = parsed;
  const who = `${kind} ${JSON.stringify(name)} of stack ${project}/${stack}`;
  return instance ? `${who} (stack instance ${instance})` : `${who} (made before stack instances)`;
}

/** The error for an object that exists but is not this resource's, and how to take it over. */
export function collisionError(what: string, owner: string | undefined): Error {
  const by = owner
    ? ` (it is marked as managed by ${describeMark(owner)})`
    : " (it carries no pulumi-netns mark)";
  return new Error(
    `${what} already exists and this stack did not create it${by}; nothing was changed. ` +
      "Choose another name, remove it yourself, or set `adopt: true` on the resource to take it over " +
      "(a stack deletes what it adopted on destroy). If it is this stack's own object from a lost or " +
      "replaced state, pin the old instance instead: `pulumi config set pulumi-netns:stackInstance " +
      "<instance>` (see docs/RELIABILITY.md).",
  );
}

/** The error when an object in state was replaced by a look-alike: refuse to change it. */
export function lookAlikeError(what: string, owner: string | undefined): Error {
  const by = owner
    ? `it is marked as managed by ${describeMark(owner)}`
    : "it carries no mark of this resource";
  return new Error(
    `${what} is no longer the one this stack made (${by}); nothing was changed. Run \`pulumi refresh\` ` +
      "to drop it from the state, then `pulumi up` (which refuses to take it unless `adopt: true`).",
  );
}

/**
 * Runs `rollback` after `failure`, and throws what explains both: the original failure, with the
 * rollback's own failure added (never hiding the first), or the original alone.
 */
export async function rollBack(failure: unknown, rollback: () => Promise<void>): Promise<never> {
  try {
    await rollback();
  } catch (undoError) {
    const first = failure instanceof Error ? failure.message : String(failure);
    const second = undoError instanceof Error ? undoError.message : String(undoError);
    throw new AggregateError(
      [failure, undoError],
      `${first}\nRolling back what this create made also failed, so something may be left behind ` +
        `(\`npx pulumi-netns ls\` lists it): ${second}`,
      { cause: undoError },
    );
  }
  throw failure;
}
