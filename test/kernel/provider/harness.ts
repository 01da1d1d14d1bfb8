// Drives one resource kind's provider the way the engine would (check, then the lifecycle
// calls), against the real kernel, without the engine.
import assert from "node:assert/strict";
import type * as pulumi from "@pulumi/pulumi";
import { providers, type ResourceKind } from "../../../provider";

export type Kind = ResourceKind;

export const managedBy = (p: string, kind: Kind, name: string) => `pnt/${p}/${kind}/${name}`;

/** The stack instance the driver's resources belong to, unless the inputs name another. */
export const STACK_INSTANCE = "5e1f7e575e1f7e57";

/** The ownership mark the kernel objects of resource (kind, name) carry. */
export const markOf = (p: string, kind: Kind, name: string, instance = STACK_INSTANCE) =>
  `${instance}/${managedBy(p, kind, name)}`;

export function driver(kind: Kind) {
  const provider = providers[kind] as Required<pulumi.dynamic.ResourceProvider>;
  const checked = async (inputs: Record<string, unknown>) => {
    const result = await provider.check({}, { stackInstance: STACK_INSTANCE, ...inputs });
    assert.deepEqual(result.failures ?? [], [], "check accepts the inputs");
    return result.inputs;
  };
  return {
    provider,
    checked,
    async create(inputs: Record<string, unknown>) {
      return provider.create(await checked(inputs));
    },
    async update(id: string, olds: Record<string, unknown>, inputs: Record<string, unknown>) {
      const news = await checked(inputs);
      const diff = await provider.diff(id, olds, news);
      return { diff, result: diff.changes ? await provider.update(id, olds, news) : { outs: olds } };
    },
    read: (id: string, props: Record<string, unknown>) => provider.read(id, props),
    delete: (id: string, props: Record<string, unknown>) => provider.delete(id, props),
  };
}
