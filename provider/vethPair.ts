import type * as pulumi from "@pulumi/pulumi";
import { claimLinks } from "./claims";
import { assertBatchSafe, linkGroupFor } from "./kernel/ip";
import { linkOwnership } from "./kernel/link";
import { linkDelete } from "./kernel/link";
import { vethAddArgs } from "./kernel/veth";
import { checkWith, describeNamespace, withoutKernelChoices } from "./lifecycle";
import {
  addFoundNameTaken,
  applyAndObserve,
  assertStillOurs,
  convergeLines,
  isMarked,
  markOf,
  KERNEL_CHOSEN_LINK_FIELDS,
  linkOutputs,
  observeLink,
  planCreate,
  type LinkOutputs,
  type LinkSpec,
  type ObservedLink,
  undoAdd,
  warnLeftUntouched,
} from "./link";
import { describeMark, ownerMark, rollBack, type Owned } from "./ownership";
import { convergeRates, rateOutput, readRate, type RateOutputs } from "./rate";
import type { Tbf } from "./kernel/qdisc";
import { assertPrivileged } from "./privileges";
import { linkHolding, stateObject } from "./holdings";
import { defineKind } from "./kind";
import { vethPairReferences } from "./schema/references";
import { diffVethPair, effectiveEndMtu, vethPairSchema, type VethPairResolved } from "./schema/vethPair";

/** One end as the kernel has it, with its egress limit if it has one. */
export type VethEndOutputs = LinkOutputs & RateOutputs;

/** What a VethPair keeps in state: both ends as the kernel has them, and the pair's own inputs. */
export interface VethPairOutputs extends Owned {
  readonly a: VethEndOutputs;
  readonly b: VethEndOutputs;
  readonly mtu?: number;
}

type Inputs = VethPairResolved & { a: LinkSpec; b: LinkSpec } & Owned;
/** The kernel kind of both ends. */
const VETH = "veth";

type End = "a" | "b";
const ENDS: readonly End[] = ["a", "b"];

const endSpec = (inputs: Inputs, end: End): LinkSpec => ({
  ...inputs[end],
  mtu: effectiveEndMtu(inputs, end),
});

async function observePair(inputs: Pick<Inputs, End>): Promise<Record<End, ObservedLink | undefined>> {
  const [a, b] = await Promise.all(ENDS.map((end) => observeLink(inputs[end].namespace, inputs[end].name)));
  return { a, b };
}

type Rates = Partial<Record<End, RateOutputs>>;

function pairOutputs(
  inputs: Inputs,
  observed: Record<End, ObservedLink>,
  rates: Rates = {},
): VethPairOutputs {
  return {
    a: { ...linkOutputs(inputs.a.namespace, observed.a), ...rates.a },
    b: { ...linkOutputs(inputs.b.namespace, observed.b), ...rates.b },
    ...(inputs.mtu !== undefined ? { mtu: inputs.mtu } : {}),
    adopt: inputs.adopt,
    managedBy: inputs.managedBy,
    ...(inputs.stackInstance !== undefined ? { stackInstance: inputs.stackInstance } : {}),
  };
}

/** Both ends as the kernel has them, if both still carry the pair's mark; a look-alike is no end of ours. */
async function readOutputs(inputs: Inputs): Promise<VethPairOutputs | undefined> {
  const observed = await observePair(inputs);
  const mark = ownerMark(inputs);
  if (!isMarked(observed.a, mark) || !isMarked(observed.b, mark)) return undefined;
  if (!arePeers(observed.a, observed.b)) return undefined;
  // An end's qdisc is read only where state has a rate: an end without one is not shaped by us.
  const rates: Rates = {};
  for (const end of ENDS) {
    const had = (inputs[end] as RateOutputs).rate;
    if (had) rates[end] = await readRate(inputs[end].namespace, inputs[end].name);
  }
  return pairOutputs(inputs, { a: observed.a, b: observed.b }, rates);
}

type Batch = { lines: string[][]; ends: End[] };

/**
 * Converges both ends and reads them back: one `ip -batch` per namespace, each end's lines
 * followed by its read-back (one batch in all when both ends share a namespace). With `add`, the
 * batch that runs first begins by adding the pair, and the other waits for it. That batch runs in
 * end a's namespace, or in the host namespace when only end b lives there: the add line sends an
 * end to a named namespace by name, and the host namespace has none. If anything after the add
 * fails, the pair goes again (deleting one end deletes both). After each namespace's `ip` batch,
 * one `tc -batch` there sets the rates of its ends (provider/rate.ts); `had` is each end's rate in
 * state (none on create).
 */
async function applyPair(
  inputs: Inputs,
  observed: Record<End, ObservedLink | undefined>,
  add: boolean,
  had: Partial<Record<End, Tbf>> = {},
): Promise<VethPairOutputs> {
  const specs = { a: endSpec(inputs, "a"), b: endSpec(inputs, "b") };
  const mark = ownerMark(inputs);
  const first: End = add && specs.a.namespace !== undefined && specs.b.namespace === undefined ? "b" : "a";
  const batches = new Map<string | undefined, Batch>();
  for (const end of first === "a" ? ENDS : (["b", "a"] as const)) {
    const batch = batches.get(specs[end].namespace) ?? { lines: [], ends: [] };
    batch.lines.push(...convergeLines(specs[end], observed[end], mark));
    batch.ends.push(end);
    batches.set(specs[end].namespace, batch);
  }
  const [head, ...rest] = [...batches];
  if (add && head) {
    head[1].lines.unshift(
      vethAddArgs({
        a: { name: inputs.a.name, netns: inputs.a.namespace },
        b: { name: inputs.b.name, netns: inputs.b.namespace },
        mtu: inputs.mtu,
        group: linkGroupFor(mark),
      }),
    );
  }
  // Refused arguments raise before anything runs, so they never look like a failed add.
  for (const [, batch] of batches) batch.lines.forEach((line) => line.forEach(assertBatchSafe));
  const found: Partial<Record<End, ObservedLink>> = {};
  const rates: Rates = {};
  const run = async ([namespace, batch]: [string | undefined, Batch]) => {
    const names = batch.ends.map((end) => specs[end].name);
    const links = await applyAndObserve(namespace, batch.lines, names);
    batch.ends.forEach((end, i) => (found[end] = links[i]));
    const shaped = batch.ends.map((end) => ({
      name: specs[end].name,
      want: inputs[end].rate,
      had: had[end],
    }));
    const set = await convergeRates(namespace, shaped);
    batch.ends.forEach((end) => (rates[end] = rateOutput(set.get(specs[end].name))));
  };
  if (!add) {
    await Promise.all([...batches].map(run));
  } else {
    const made = specs[first];
    try {
      if (head) await run(head);
    } catch (e) {
      return rollBack(e, () => undoAdd(made.namespace, made.name, e, mark));
    }
    try {
      for (const batch of rest) await run(batch);
    } catch (e) {
      return rollBack(e, () => linkDelete(made.namespace, made.name));
    }
  }
  if (!found.a || !found.b) throw new Error(`veth pair ${describeEnd(inputs.a)} was not read back`);
  return pairOutputs(inputs, { a: found.a, b: found.b }, rates);
}

/** Whether two observed veth ends are each other's peer (the kernel names a same-namespace peer). */
function arePeers(a: ObservedLink, b: ObservedLink): boolean {
  const peer = a.state.veth;
  return (
    peer !== undefined &&
    (peer.name !== undefined ? peer.name === b.state.name : peer.ifindex === b.state.ifindex)
  );
}

function describeEnd(spec: LinkSpec): string {
  return `${JSON.stringify(spec.name)} in ${describeNamespace(spec.namespace)}`;
}

const vethPairProvider: pulumi.dynamic.ResourceProvider = {
  check: checkWith(vethPairSchema, (inputs) =>
    claimLinks(inputs.managedBy, VETH, vethPairReferences(inputs).links),
  ),

  async diff(_id, olds: VethPairOutputs, news: Inputs) {
    const view: Record<string, unknown> = { ...olds };
    for (const end of ENDS) {
      const desired = { ...news[end], mtu: effectiveEndMtu(news, end) };
      view[end] = withoutKernelChoices({ ...olds[end] }, desired, KERNEL_CHOSEN_LINK_FIELDS);
    }
    return diffVethPair(view, news);
  },

  async create(inputs: Inputs) {
    assertPrivileged();
    const id = `${inputs.a.namespace ?? ""}/${inputs.a.name}`;
    // Most creates find both names free: add first (a taken name makes the batch stop at the add
    // line, having changed nothing) and look at what is there only then. Saves two reads per pair.
    try {
      return { id, outs: await applyPair(inputs, { a: undefined, b: undefined }, true) };
    } catch (e) {
      if (!addFoundNameTaken(e)) throw e;
    }
    const observed = await observePair(inputs);
    const mark = ownerMark(inputs);
    const options = { mark, adopt: inputs.adopt, kind: VETH };
    const plans = ENDS.map((end) => planCreate(endSpec(inputs, end), observed[end], options));
    const existing = ENDS.filter((_, i) => plans[i]?.action === "converge");
    if (existing.length === 1) {
      // A veth end never outlives its peer, so a lone end of that name is some other device: this
      // very resource's (an old pair re-cabled) goes; anything else, even with adopt, is refused.
      const end = existing[0] as End;
      const lone = observed[end]!;
      if (linkOwnership(lone.state, mark) === "foreign") {
        const carried = markOf(lone);
        throw new Error(
          `${describeEnd(inputs[end])} already exists and is not an end of this pair (` +
            (carried
              ? `it is marked as managed by ${describeMark(carried)}`
              : "it carries no mark of this resource") +
            "); nothing was changed. A veth end is taken over only together with its peer: choose another " +
            "name or remove it yourself.",
        );
      }
      await linkDelete(inputs[end].namespace, inputs[end].name);
      observed[end] = undefined;
    } else if (existing.length === 2 && !arePeers(observed.a!, observed.b!)) {
      throw new Error(
        `Interfaces ${describeEnd(inputs.a)} and ${describeEnd(inputs.b)} both exist but are not the two ` +
          "ends of one veth pair; nothing was changed. Remove them or choose other names.",
      );
    }
    // Both ends gone now: add, and a taken name this time is an error like any other.
    const add = observed.a === undefined && observed.b === undefined;
    return { id, outs: await applyPair(inputs, observed, add) };
  },

  async read(id, props?: VethPairOutputs) {
    assertPrivileged();
    if (!props) return {};
    const outs = await readOutputs(props as unknown as Inputs);
    return outs ? { id, props: outs } : {};
  },

  async update(_id, olds: VethPairOutputs, news: Inputs) {
    assertPrivileged();
    const observed = await observePair(news);
    if (!observed.a || !observed.b) {
      throw new Error(
        `veth pair ${describeEnd(news.a)} is gone from the kernel: run \`pulumi refresh\` and then ` +
          "`pulumi up` to create it again.",
      );
    }
    for (const end of ENDS) assertStillOurs(news[end], observed[end]!, olds, news);
    return { outs: await applyPair(news, observed, false, { a: olds.a.rate, b: olds.b.rate }) };
  },

  async delete(_id, props: VethPairOutputs) {
    assertPrivileged();
    // Deleting either end deletes the pair; only an end carrying this pair's mark is touched.
    const mark = ownerMark(props);
    const observed = await observePair(props as unknown as Inputs);
    for (const end of ENDS) {
      if (isMarked(observed[end], mark)) {
        await linkDelete(props[end].namespace, props[end].name);
        return;
      }
    }
    for (const end of ENDS) {
      const o = observed[end];
      if (o) warnLeftUntouched(props[end], o);
    }
  },
};

/** A veth pair: two links, made in one kernel call. */
export const vethPairKind = defineKind({
  kind: "VethPair",
  declaredBy: "user",
  schema: vethPairSchema,
  diffInputs: diffVethPair,
  kernelKind: VETH,
  references: vethPairReferences,
  holdings: (props, mark) => ENDS.flatMap((end) => linkHolding(stateObject(props[end]), mark)),
  provider: vethPairProvider,
});
