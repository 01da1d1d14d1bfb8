import type * as pulumi from "@pulumi/pulumi";
import { claimLinks } from "./claims";
import { isAlreadyExists } from "./kernel/errors";
import { OWNED_LINK_GROUP } from "./kernel/ip";
import { linkDelete } from "./kernel/link";
import { vethAdd } from "./kernel/veth";
import { checkWith, describeNamespace, withoutKernelChoices } from "./lifecycle";
import {
  applyLines,
  convergeLines,
  isOurs,
  KERNEL_CHOSEN_LINK_FIELDS,
  linkOutputs,
  observeLink,
  planCreate,
  type LinkOutputs,
  type LinkSpec,
  type ObservedLink,
} from "./link";
import { assertPrivileged } from "./privileges";
import { isUnknown } from "./schema/common";
import { diffInputs } from "./schema/diff";
import { effectiveEndMtu, vethPairSchema, type VethPairResolved } from "./schema/vethPair";

/** What a VethPair keeps in state: both ends as the kernel has them, and the pair's own inputs. */
export interface VethPairOutputs {
  readonly a: LinkOutputs;
  readonly b: LinkOutputs;
  readonly mtu?: number;
  readonly adopt: boolean;
  readonly managedBy: string;
}

type Inputs = VethPairResolved & { a: LinkSpec; b: LinkSpec; managedBy: string; adopt: boolean };
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

/** Converges both ends, one `ip -batch` per namespace (one in all when both ends share it). */
async function convergeEnds(inputs: Inputs, observed: Record<End, ObservedLink | undefined>): Promise<void> {
  const perNamespace = new Map<string | undefined, string[][]>();
  for (const end of ENDS) {
    const spec = endSpec(inputs, end);
    const lines = perNamespace.get(spec.namespace) ?? [];
    lines.push(...convergeLines(spec, observed[end], inputs.managedBy));
    perNamespace.set(spec.namespace, lines);
  }
  await applyLines(perNamespace);
}

/**
 * Adds the pair, both ends in their namespaces in one call; false when a name is taken (unless
 * `mustAdd`, when that is an error like any other).
 */
async function addPair(inputs: Inputs, mustAdd = false): Promise<boolean> {
  try {
    await vethAdd({
      a: { name: inputs.a.name, netns: inputs.a.namespace },
      b: { name: inputs.b.name, netns: inputs.b.namespace },
      mtu: inputs.mtu,
      group: OWNED_LINK_GROUP,
    });
    return true;
  } catch (e) {
    if (mustAdd || !isAlreadyExists(e)) throw e;
    return false;
  }
}

async function readOutputs(inputs: Inputs): Promise<VethPairOutputs | undefined> {
  const observed = await observePair(inputs);
  if (!observed.a || !observed.b) return undefined;
  return {
    a: linkOutputs(inputs.a.namespace, observed.a),
    b: linkOutputs(inputs.b.namespace, observed.b),
    ...(inputs.mtu !== undefined ? { mtu: inputs.mtu } : {}),
    adopt: inputs.adopt,
    managedBy: inputs.managedBy,
  };
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

async function mustRead(inputs: Inputs): Promise<VethPairOutputs> {
  const outs = await readOutputs(inputs);
  if (!outs) throw new Error(`veth pair ${describeEnd(inputs.a)} vanished while it was being set up`);
  return outs;
}

export const vethPairProvider: pulumi.dynamic.ResourceProvider = {
  check: checkWith(vethPairSchema, (inputs) =>
    claimLinks(
      inputs.managedBy,
      ENDS.flatMap((end) => {
        const link = inputs[end];
        return isUnknown(link) ? [] : [{ path: `${end}.`, kind: "veth" as const, ...link }];
      }),
    ),
  ),

  async diff(_id, olds: VethPairOutputs, news: Inputs) {
    const view: Record<string, unknown> = { ...olds };
    for (const end of ENDS) {
      const desired = { ...news[end], mtu: effectiveEndMtu(news, end) };
      view[end] = withoutKernelChoices({ ...olds[end] }, desired, KERNEL_CHOSEN_LINK_FIELDS);
    }
    return diffInputs("VethPair", view, news);
  },

  async create(inputs: Inputs) {
    assertPrivileged();
    // Most creates find both names free: add first (a taken name makes `ip link add` fail having
    // changed nothing) and look at what is there only then. Saves two reads per pair.
    let added = await addPair(inputs);
    const observed: Record<End, ObservedLink | undefined> = added
      ? { a: undefined, b: undefined }
      : await observePair(inputs);
    if (!added) {
      const options = { managedBy: inputs.managedBy, adopt: inputs.adopt, kind: "veth" };
      const plans = ENDS.map((end) => planCreate(endSpec(inputs, end), observed[end], options));
      const existing = ENDS.filter((_, i) => plans[i]?.action === "converge");
      if (existing.length === 1) {
        // A veth end never outlives its peer, so a lone end of that name is some other device of
        // ours (an old pair re-cabled): replace it.
        const end = existing[0] as End;
        await linkDelete(inputs[end].namespace, inputs[end].name);
        observed[end] = undefined;
      } else if (existing.length === 2 && !arePeers(observed.a!, observed.b!)) {
        throw new Error(
          `Interfaces ${describeEnd(inputs.a)} and ${describeEnd(inputs.b)} both exist but are not the two ` +
            "ends of one veth pair; nothing was changed. Remove them or choose other names.",
        );
      }
      if (observed.a === undefined && observed.b === undefined) added = await addPair(inputs, true);
    }
    try {
      await convergeEnds(inputs, observed);
      return { id: `${inputs.a.namespace ?? ""}/${inputs.a.name}`, outs: await mustRead(inputs) };
    } catch (e) {
      // Transactional: a pair made here goes again (deleting one end deletes both).
      if (added) await linkDelete(inputs.a.namespace, inputs.a.name);
      throw e;
    }
  },

  async read(id, props?: VethPairOutputs) {
    assertPrivileged();
    if (!props) return {};
    const outs = await readOutputs(props as unknown as Inputs);
    return outs ? { id, props: outs } : {};
  },

  async update(_id, _olds: VethPairOutputs, news: Inputs) {
    assertPrivileged();
    const observed = await observePair(news);
    if (!observed.a || !observed.b) {
      throw new Error(
        `veth pair ${describeEnd(news.a)} is gone from the kernel: run \`pulumi refresh\` and then ` +
          "`pulumi up` to create it again.",
      );
    }
    await convergeEnds(news, observed);
    return { outs: await mustRead(news) };
  },

  async delete(_id, props: VethPairOutputs) {
    assertPrivileged();
    // Deleting either end deletes the pair; only ends we made or adopted are touched.
    for (const end of ENDS) {
      const observed = await observeLink(props[end].namespace, props[end].name);
      if (isOurs(observed, props.managedBy)) {
        await linkDelete(props[end].namespace, props[end].name);
        return;
      }
    }
  },
};
