// Records of destroyed stack instances. A stack's instance id lives only in its state, and
// `pulumi destroy` removes it from there with everything else; objects that still carry the id
// (made by creates the state never learned of) would then be nobody's. The StackInstance's delete
// leaves this record, so `pulumi-netns gc` can tell the objects of a destroyed instance, which
// no state holds any more, from those of an instance whose state it merely cannot read.
import { recordRemove, recordWrite, RECORDS_ROOT } from "./records";

/** Where destroyed-instance records live, one file per instance id. */
export const STACK_INSTANCE_RECORD_DIR = `${RECORDS_ROOT}/instance`;

/** The project and stack whose objects carried a destroyed instance. */
export interface InstanceOwner {
  readonly project: string;
  readonly stack: string;
}

/**
 * Records that the stack instance `instance`, of the stack `owner` names (as its objects' marks
 * do), was destroyed: no state holds it any more.
 */
export async function stackInstanceRecordDestroyed(
  instance: string,
  owner: InstanceOwner | undefined,
  now = new Date(),
  dir = STACK_INSTANCE_RECORD_DIR,
): Promise<void> {
  const details = JSON.stringify({ destroyed: now, ...owner });
  await recordWrite(dir, instance, { mark: instance, details: [details] });
}

/** The owner a destroyed-instance record names, from its details; undefined when it names none. */
export function parseInstanceRecordDetails(details: readonly string[]): InstanceOwner | undefined {
  try {
    const d = JSON.parse(details[0] ?? "") as Record<string, unknown>;
    return typeof d.project === "string" && typeof d.stack === "string"
      ? { project: d.project, stack: d.stack }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Forgets that `instance` was destroyed (it is pinned again, or nothing carries it any more). */
export async function stackInstanceRecordRemove(
  instance: string,
  dir = STACK_INSTANCE_RECORD_DIR,
): Promise<void> {
  await recordRemove(dir, instance);
}
