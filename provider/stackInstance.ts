import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { takeInventory, type Inventory } from "./kernel/inventory";
import {
  stackInstanceRecordDestroyed,
  stackInstanceRecordRemove,
  type InstanceOwner,
} from "./kernel/stackInstance";
import { checkWith } from "./lifecycle";
import { defineKind } from "./kind";
import { parseMark } from "./ownership";
import { noReferences } from "./schema/references";
import { diffStackInstance, stackInstanceSchema } from "./schema/stackInstance";

/** What a StackInstance keeps in state. */
export interface StackInstanceOutputs {
  /** 16 hex digits made at create, or the pinned id. */
  readonly instance: string;
  readonly pinned?: string;
}

type Inputs = { readonly pinned?: string };

/** Touches no kernel object: it only makes, and keeps in state, the id the stack's marks carry. */
const stackInstanceProvider: pulumi.dynamic.ResourceProvider = {
  check: checkWith(stackInstanceSchema),

  async diff(_id, olds: StackInstanceOutputs, news: Inputs) {
    return diffStackInstance(olds, news);
  },

  async create(inputs: Inputs) {
    const instance = inputs.pinned ?? randomBytes(8).toString("hex");
    // A pinned id may be one destroyed before: it has a state again.
    if (inputs.pinned !== undefined) {
      await stackInstanceRecordRemove(instance).catch((e: unknown) =>
        pulumi.log.warn(`could not clear the record of destroyed stack instance ${instance}: ${String(e)}`),
      );
    }
    const outs: StackInstanceOutputs = {
      instance,
      ...(inputs.pinned !== undefined ? { pinned: inputs.pinned } : {}),
    };
    return { id: instance, outs };
  },

  async read(id, props?: StackInstanceOutputs) {
    return props ? { id, props } : {};
  },

  async delete(id, props?: StackInstanceOutputs) {
    // Nothing in the kernel to delete: the objects that carry the id are the other resources,
    // deleted first. Whatever still carries it (made by a create the state never recorded) is an
    // orphan from now on, and the id leaves the state with this resource: a record keeps it, so
    // `pulumi-netns gc` can prove that no state holds the instance any more.
    const instance = props?.instance ?? id;
    try {
      const left = await leftBehind(instance);
      if (left) await stackInstanceRecordDestroyed(instance, left.owner);
    } catch (e) {
      pulumi.log.warn(
        `could not record that stack instance ${instance} was destroyed (${String(e)}); if ` +
          "`npx pulumi-netns ls` lists objects of it, remove them with `npx pulumi-netns gc --stack " +
          `<stack> --instance ${instance}\`.`,
      );
    }
  },
};

/**
 * Whether any namespace, link or record on the host carries a mark of stack instance `instance`,
 * and the project and stack that mark names. When the host cannot be read, says yes (a needless
 * record costs nothing) without naming an owner.
 */
async function leftBehind(instance: string): Promise<{ owner: InstanceOwner | undefined } | undefined> {
  let inventory: Inventory;
  try {
    inventory = await takeInventory();
  } catch {
    return { owner: undefined };
  }
  const marks = [
    ...inventory.namespaces.map((n) => n.mark),
    ...inventory.links.map((l) => l.mark),
    ...inventory.records.filter((r) => r.kind !== "instance").map((r) => r.mark),
  ];
  for (const mark of marks) {
    const parsed = mark === undefined ? undefined : parseMark(mark);
    if (parsed?.instance === instance) return { owner: { project: parsed.project, stack: parsed.stack } };
  }
  return undefined;
}

/** The stack's own identity, made by the SDK (`sdk/provider.ts`), never declared by users. */
export const stackInstanceKind = defineKind({
  kind: "StackInstance",
  declaredBy: "sdk",
  schema: stackInstanceSchema,
  diffInputs: diffStackInstance,
  kernelKind: undefined,
  references: noReferences,
  // The instance is an identity, not a kernel object; its record is the CLI's (see cli/owners.ts).
  holdings: () => [],
  provider: stackInstanceProvider,
});
