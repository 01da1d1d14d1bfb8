// What one stack's exported state (`pulumi stack export`) says about kernel objects: which stack
// instance it is, and which object, carrying which mark, each of its resources holds.
import { holdingKey, stateObject, stateString } from "../provider/holdings";
import { kinds } from "../provider/kinds";
import { ownerMark } from "../provider/ownership";

/** The type token prefix of every pulumi-netns resource. */
export const RESOURCE_TYPE_PREFIX = "pulumi-nodejs:dynamic/netns:";

/** One stack of the project, as its state was read. */
export interface StackView {
  /** The name Pulumi lists it under (`dev`, or `org/project/dev`). */
  readonly name: string;
  readonly project: string;
  /** The stack name marks carry: the last part of {@link name}. */
  readonly stack: string;
  /** The ids of its StackInstance resources (one, or none in state of earlier versions). */
  readonly instances: readonly string[];
  /** {@link holdingKey}s of every object its resources hold. */
  readonly holdings: ReadonlySet<string>;
  /**
   * The marks of its resources and of the objects they hold (a Lan's hosts carry marks of their
   * own), and of those with a pending operation.
   */
  readonly marks: readonly string[];
  /** Marks of resources with a pending operation (a running update, or a killed one's leftovers). */
  readonly pendingMarks: ReadonlySet<string>;
  readonly pendingOperations: number;
}

interface StateResource {
  readonly type?: unknown;
  readonly inputs?: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
}

const str = stateString;
const obj = stateObject;

/** The last part of a stack name as Pulumi lists it (`org/project/dev` → `dev`). */
export const shortStackName = (name: string): string => name.slice(name.lastIndexOf("/") + 1);

/** The mark of a resource in state, from its outputs (or inputs); undefined when it has none. */
export function markOf(props: Record<string, unknown>): string | undefined {
  const managedBy = str(props.managedBy);
  return managedBy === undefined
    ? undefined
    : ownerMark({ managedBy, stackInstance: str(props.stackInstance) });
}

/** The descriptor of a kind named in state; undefined for a kind this version does not know. */
const descriptorOf = (kind: string) =>
  Object.hasOwn(kinds, kind) ? kinds[kind as keyof typeof kinds] : undefined;

/**
 * Reads an exported deployment (what `pulumi stack export` prints, or its `deployment` field):
 * the stack instance, and every object its pulumi-netns resources hold under their marks.
 */
export function stackView(name: string, project: string, exported: unknown): StackView {
  const top = obj(exported);
  const deployment = "deployment" in top ? obj(top.deployment) : top;
  const resources = (Array.isArray(deployment.resources) ? deployment.resources : []) as StateResource[];
  const pending = (Array.isArray(deployment.pending_operations) ? deployment.pending_operations : []).map(
    (op) => obj(obj(op).resource) as StateResource,
  );
  const ours = (r: StateResource) => str(r.type)?.startsWith(RESOURCE_TYPE_PREFIX) === true;
  const kindOf = (r: StateResource) => str(r.type)!.slice(RESOURCE_TYPE_PREFIX.length);
  const instances = new Set<string>();
  const holdings = new Set<string>();
  const marks = new Set<string>();
  for (const r of resources.filter(ours)) {
    const props = { ...obj(r.inputs), ...obj(r.outputs) };
    const kind = kindOf(r);
    if (kind === "StackInstance") {
      const instance = str(props.instance);
      if (instance !== undefined) instances.add(instance);
      continue;
    }
    const mark = markOf(props);
    if (mark === undefined) continue;
    marks.add(mark);
    for (const held of descriptorOf(kind)?.holdings(props, mark) ?? []) {
      marks.add(held.mark);
      const key = holdingKey(held);
      if (key !== undefined) holdings.add(key);
    }
  }
  const pendingMarks = new Set<string>();
  for (const r of pending.filter(ours)) {
    const mark = markOf(obj(r.inputs));
    if (mark !== undefined) pendingMarks.add(mark);
  }
  return {
    name,
    project,
    stack: shortStackName(name),
    instances: [...instances],
    holdings,
    marks: [...marks, ...pendingMarks],
    pendingMarks,
    pendingOperations: pending.length,
  };
}
