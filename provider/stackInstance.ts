import { randomBytes } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { checkWith } from "./lifecycle";
import { defineKind } from "./kind";
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
    const outs: StackInstanceOutputs = {
      instance,
      ...(inputs.pinned !== undefined ? { pinned: inputs.pinned } : {}),
    };
    return { id: instance, outs };
  },

  async read(id, props?: StackInstanceOutputs) {
    return props ? { id, props } : {};
  },

  async delete() {
    // Nothing in the kernel: the objects that carry the id are the other resources, deleted first.
  },
};

/** The stack's own identity, made by the SDK (`sdk/provider.ts`), never declared by users. */
export const stackInstanceKind = defineKind({
  kind: "StackInstance",
  declaredBy: "sdk",
  schema: stackInstanceSchema,
  diffInputs: diffStackInstance,
  kernelKind: undefined,
  references: noReferences,
  provider: stackInstanceProvider,
});
