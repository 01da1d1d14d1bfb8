// What every link resource shares: reading a link as outputs, the ownership decision on create,
// and the batch lines that converge a link's common fields.
import { canonicalCidr } from "./address";
import { addressAdd, addressDelete } from "./kernel/address";
import { isAlreadyExists, KernelCommandError, NotFoundError } from "./kernel/errors";
import { assertBatchSafe, linkGroupFor, MARK_PREFIX } from "./kernel/ip";
import {
  linkBatch,
  linkBatchWithReadBack,
  linkDelete,
  linkOwnership,
  linkSetAddress,
  linkSetAlias,
  linkSetDown,
  linkSetGroup,
  linkSetMaster,
  linkSetMtu,
  linkSetNoMaster,
  linkSetUp,
  linkShowWithAddresses,
  linkSysfsRead,
  type LinkState,
} from "./kernel/link";
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { claimLinks } from "./claims";
import { checkWith, describeNamespace, withoutKernelChoices } from "./lifecycle";
import { collisionError, lookAlikeError, ownerMark, rollBack, type Owned } from "./ownership";
import { assertPrivileged } from "./privileges";
import { linkHolding } from "./holdings";
import { defineKind } from "./kind";
import type { DiffInputs } from "./schema/diff";
import { singleLinkReferences, type References } from "./schema/references";
import { convergeRates, rateOutput, readRate, type RateOutputs, type RateSpec } from "./rate";
import type { Tbf } from "./kernel/qdisc";

/** The desired common state of one link, as resolved by the schema (nothing unknown at apply time). */
export interface LinkSpec {
  readonly name: string;
  readonly namespace?: string | undefined;
  readonly addresses: readonly string[];
  readonly mtu?: number | undefined;
  readonly macAddress?: string | undefined;
  readonly up: boolean;
  readonly master?: string | undefined;
  /** The egress rate limit, for kinds that take one (schema/rate.ts). */
  readonly rate?: RateSpec | undefined;
}

/** A link as the kernel has it: what a link resource reports (and what `refresh` compares). */
export interface LinkOutputs {
  readonly name: string;
  /** Omitted: the host namespace. */
  readonly namespace?: string;
  /** The global addresses on the link (link-local IPv6 left out), normalised and sorted. */
  readonly addresses: string[];
  readonly mtu: number;
  readonly macAddress: string;
  /** Administratively up. */
  readonly up: boolean;
  /** The bridge it is enslaved to, if any. */
  readonly master?: string;
  readonly ifindex: number;
  /** `UP`, `DOWN`, `LOWERLAYERDOWN`, ...: whether traffic can flow, not only whether it was set up. */
  readonly operstate: string;
}

/** Link outputs the kernel picks when the inputs leave them unset. */
export const KERNEL_CHOSEN_LINK_FIELDS = ["mtu", "macAddress"] as const;

/** A link read from the kernel with its addresses. */
export interface ObservedLink {
  readonly state: LinkState;
  readonly addresses: readonly string[];
}

/**
 * Reads link `name` in `namespace` with its addresses; undefined when it does not exist, or when
 * its namespace does not (the link went with it).
 */
export async function observeLink(
  namespace: string | undefined,
  name: string,
): Promise<ObservedLink | undefined> {
  try {
    const found = await linkShowWithAddresses(namespace, name);
    return found && { state: found.state, addresses: found.addresses.sort() };
  } catch (e) {
    if (e instanceof NotFoundError && e.missing === "netns") return undefined;
    throw e;
  }
}

/** The outputs of an observed link. */
export function linkOutputs(namespace: string | undefined, observed: ObservedLink): LinkOutputs {
  const { state } = observed;
  return {
    name: state.name,
    ...(namespace !== undefined ? { namespace } : {}),
    addresses: [...observed.addresses],
    mtu: state.mtu,
    macAddress: state.mac ?? "",
    up: state.adminUp,
    ...(state.master !== undefined ? { master: state.master } : {}),
    ifindex: state.ifindex,
    operstate: state.operstate,
  };
}

/** What create does with a link of the wanted name: make it, or converge the one that is there. */
export type CreatePlan =
  { readonly action: "add" } | { readonly action: "converge"; readonly observed: ObservedLink };

/**
 * Decides what create does about an existing link: this resource's own (a run that was
 * interrupted) or adopted is converged; anything else is refused before any change, naming the
 * object and how to adopt it.
 */
export function planCreate(
  spec: LinkSpec,
  observed: ObservedLink | undefined,
  options: { mark: string; adopt: boolean; kind: string },
): CreatePlan {
  if (!observed) return { action: "add" };
  const what = describeLink(spec);
  if (linkOwnership(observed.state, options.mark) === "foreign" && !options.adopt) {
    throw collisionError(what, markOf(observed));
  }
  if (observed.state.kind !== options.kind) {
    throw new Error(
      `${what} already exists as a ${observed.state.kind ?? "device without a kind"}, not a ${options.kind}; ` +
        "nothing was changed. Choose another name or remove it.",
    );
  }
  return { action: "converge", observed };
}

/** `Interface "x" in namespace "n"`, for messages. */
function describeLink(spec: Pick<LinkSpec, "name" | "namespace">): string {
  return `Interface ${JSON.stringify(spec.name)} in ${describeNamespace(spec.namespace)}`;
}

/** The pulumi-netns mark a link carries in its alias, if any. */
export function markOf(observed: ObservedLink): string | undefined {
  const alias = observed.state.alias;
  return alias?.startsWith(MARK_PREFIX) ? alias.slice(MARK_PREFIX.length) : undefined;
}

/**
 * The `ip -batch` lines (in the link's namespace) that take the observed link to `spec` and
 * mark it as the resource's whose mark is `mark`. Order matters: the mark first, so an
 * interrupted run leaves it recognisable; `up` last, so the link carries traffic only once it is
 * complete.
 */
export function convergeLines(spec: LinkSpec, observed: ObservedLink | undefined, mark: string): string[][] {
  const { name } = spec;
  const state = observed?.state;
  const lines: string[][] = [];
  const alias = MARK_PREFIX + mark;
  if (state?.alias !== alias) lines.push(linkSetAlias(name, alias));
  const group = linkGroupFor(mark);
  if (state !== undefined && state.group !== group) lines.push(linkSetGroup(name, group));
  if (spec.mtu !== undefined && state?.mtu !== spec.mtu) lines.push(linkSetMtu(name, spec.mtu));
  if (spec.macAddress !== undefined && state?.mac !== spec.macAddress.toLowerCase()) {
    lines.push(linkSetAddress(name, spec.macAddress));
  }
  if (spec.master !== state?.master) {
    lines.push(spec.master !== undefined ? linkSetMaster(name, spec.master) : linkSetNoMaster(name));
  }
  const have = new Set(observed?.addresses ?? []);
  const want = new Set(spec.addresses.map(canonicalCidr));
  for (const cidr of have) if (!want.has(cidr)) lines.push(addressDelete(cidr, name));
  for (const cidr of want) if (!have.has(cidr)) lines.push(addressAdd(cidr, name));
  if (spec.up !== (state?.adminUp ?? false)) lines.push(spec.up ? linkSetUp(name) : linkSetDown(name));
  return lines;
}

/**
 * Runs `lines` in `namespace` and reads the links `names` back in the same `ip -batch` (see
 * linkBatchWithReadBack), addresses sorted as {@link observeLink} reports them.
 */
export async function applyAndObserve(
  namespace: string | undefined,
  lines: readonly (readonly string[])[],
  names: readonly string[],
  options: { readonly tuntap?: boolean } = {},
): Promise<ObservedLink[]> {
  const found = await linkBatchWithReadBack(namespace, lines, names, options);
  return found.map((f) => ({ state: f.state, addresses: [...f.addresses].sort() }));
}

/**
 * Whether a batch whose first line adds a link failed on that line because the name is taken:
 * `ip` stopped there, so nothing was changed and create goes on to look at what is there.
 */
export function addFoundNameTaken(e: unknown): boolean {
  return isAlreadyExists(e) && e instanceof KernelCommandError && ipBatchLine(e) === 1;
}

/**
 * The line of the link's `ip -batch` that failed; undefined when that cannot be told. A failure
 * of the `tc` step that follows (provider/rate.ts) is none of its lines: that batch had run whole.
 */
function ipBatchLine(failure: unknown): number | "after" | undefined {
  if (!(failure instanceof KernelCommandError)) return undefined;
  return failure.argv[0] === "tc" ? "after" : failure.batchLine?.number;
}

/**
 * After a batch that began by adding link `name` failed, deletes the link again so create stays
 * all or nothing: when a later line (or the `tc` step after the batch) failed, the add ran; when
 * the failing line cannot be told, the link goes only if it carries this resource's mark or group
 * (an add that ran left the group).
 */
export async function undoAdd(
  namespace: string | undefined,
  name: string,
  failure: unknown,
  mark: string,
): Promise<void> {
  const line = ipBatchLine(failure);
  if (line === 1) return;
  if (line === undefined && !isOurs(await observeLink(namespace, name), mark)) return;
  await linkDelete(namespace, name);
}

/** Whether the link is this resource's: marked with `mark`, or half made by it (its group, no alias). */
export function isOurs(observed: ObservedLink | undefined, mark: string): observed is ObservedLink {
  return observed !== undefined && linkOwnership(observed.state, mark) !== "foreign";
}

/** Whether the link carries the mark `mark` itself: what read and delete require of a link in state. */
export function isMarked(observed: ObservedLink | undefined, mark: string): observed is ObservedLink {
  return observed !== undefined && linkOwnership(observed.state, mark) === "ours";
}

/**
 * Update's proof of ownership: the link must carry the mark in state (`olds`), or already the new
 * one (an update that rewrote the mark and was killed). A look-alike is refused, unchanged.
 */
export function assertStillOurs(
  spec: Pick<LinkSpec, "name" | "namespace">,
  observed: ObservedLink,
  olds: Pick<Owned, "managedBy" | "stackInstance">,
  news: Pick<Owned, "managedBy" | "stackInstance">,
): void {
  if (isMarked(observed, ownerMark(olds)) || isMarked(observed, ownerMark(news))) return;
  throw lookAlikeError(describeLink(spec), markOf(observed));
}

/** Says in the engine log that delete left a look-alike alone. */
export function warnLeftUntouched(spec: Pick<LinkSpec, "name" | "namespace">, observed: ObservedLink): void {
  const mark = markOf(observed);
  pulumi.log.warn(
    `${describeLink(spec)} was left untouched: it is not the one this stack made (${mark ? `marked as ${mark}` : "unmarked"}).`,
  );
}

/** What differs between the single-link kinds (bridge, tap): their part of the kind descriptor. */
export interface SingleLinkKind<
  Name extends string,
  KernelKind extends string,
  Inputs extends LinkSpec & Owned,
  Extra,
> {
  /** The kind's name (see KindDescriptor.kind). */
  readonly kind: Name;
  /** The kernel's `info_kind` of the link. */
  readonly kernelKind: KernelKind;
  /** Outputs the kernel picks when the inputs leave them unset (see withoutKernelChoices). */
  readonly kernelChosen: readonly string[];
  /** The kind's input schema; `check` adds the rules across resources (claims.ts). */
  readonly schema: z.ZodObject;
  /** Update versus replace on resolved inputs, one rule per schema field (schema/diff.ts). */
  readonly diffInputs: DiffInputs;
  /** Whether reading the link back needs `ip tuntap show` too (its owner and group live there). */
  readonly readsTuntap: boolean;
  /**
   * The batch lines creating the link, down, in the group {@link linkGroupFor} `mark`; the first
   * one adds it.
   */
  addLines(inputs: Inputs, mark: string): string[][];
  /**
   * Whether adding fails, changing nothing, when the name is taken (`ip link add`): create then
   * tries it before reading. Not so for taps: `ip tuntap add` re-opens an existing tap.
   */
  readonly addFailsWhenTaken: boolean;
  /**
   * A name the kind creates the link under before renaming it (taps, see tapStagingName): a
   * leftover of an interrupted create under that name is this resource's, and goes.
   */
  stagingName?(mark: string): string;
  /** Extra batch lines converging the kind's own settings. */
  settingLines(inputs: Inputs, observed: ObservedLink | undefined): string[][];
  /**
   * Where the add line runs when that is not the link's own namespace (a macvlan made in its
   * parent's namespace straight into another, `ip -n P link add ... netns N`); undefined: its own.
   */
  addsFrom?(inputs: Inputs): { readonly namespace: string | undefined } | undefined;
  /** What its inputs name (KindDescriptor.references); default: one link, {@link singleLinkReferences}. */
  readonly references?: (inputs: unknown) => References;
  /**
   * Attributes read back from sysfs with every read, relative to `/sys/class/net/NAME/` (see
   * linkSysfsRead): what `ip` does not print (a macvtap's character device). In {@link outputs}'
   * `sysfs`, in this order.
   */
  sysfs?(state: LinkState): string[];
  /** The kind's own outputs, read from the kernel (`sysfs`: the values of {@link sysfs}). */
  outputs(inputs: Inputs, observed: ObservedLink, sysfs: readonly string[]): Extra;
}

/** The descriptor, with its dynamic provider, of a kind that is one link (bridge, tap). */
export function singleLinkKind<
  const Name extends string,
  const KernelKind extends string,
  Inputs extends LinkSpec & Owned,
  Extra,
>(kind: SingleLinkKind<Name, KernelKind, Inputs, Extra>) {
  return defineKind({
    kind: kind.kind,
    declaredBy: "user",
    schema: kind.schema,
    diffInputs: kind.diffInputs,
    kernelKind: kind.kernelKind,
    references: kind.references ?? singleLinkReferences,
    holdings: linkHolding,
    provider: singleLinkProvider(kind),
  });
}

function singleLinkProvider<Inputs extends LinkSpec & Owned, Extra>(
  kind: SingleLinkKind<string, string, Inputs, Extra>,
): pulumi.dynamic.ResourceProvider {
  const references = kind.references ?? singleLinkReferences;
  // A kind whose schema has `rate` takes the shared rate step (provider/rate.ts) on its link.
  const shaped = "rate" in kind.schema.shape;
  const outputsOf = async (inputs: Inputs, observed: ObservedLink, rate: RateOutputs = {}) => ({
    ...kind.outputs(
      inputs,
      observed,
      kind.sysfs ? await linkSysfsRead(inputs.namespace, inputs.name, kind.sysfs(observed.state)) : [],
    ),
    ...linkOutputs(inputs.namespace, observed),
    ...rate,
    adopt: inputs.adopt,
    managedBy: inputs.managedBy,
    ...(inputs.stackInstance !== undefined ? { stackInstance: inputs.stackInstance } : {}),
  });
  // One `ip -batch`: [add,] settings, the common fields (mark first, up last), read-back; then,
  // for a kind that takes a rate, one `tc -batch` with its qdisc and read-back. A link added from
  // another namespace is added by a batch of its own there first.
  const apply = async (inputs: Inputs, observed: ObservedLink | undefined, add: boolean, had?: Tbf) => {
    const mark = ownerMark(inputs);
    const addLines = add ? kind.addLines(inputs, mark) : [];
    const from = add ? kind.addsFrom?.(inputs) : undefined;
    const lines = [
      ...(from ? [] : addLines),
      ...kind.settingLines(inputs, observed),
      ...convergeLines(inputs, observed, mark),
    ];
    // Refused arguments raise before anything runs, so they never look like a failed add.
    [...addLines, ...lines].forEach((line) => line.forEach(assertBatchSafe));
    let addedElsewhere = false;
    try {
      if (from) {
        await linkBatch(from.namespace, addLines);
        addedElsewhere = true;
      }
      const [found] = await applyAndObserve(inputs.namespace, lines, [inputs.name], {
        tuntap: kind.readsTuntap,
      });
      if (!shaped) return await outputsOf(inputs, found!);
      const end = { name: inputs.name, want: inputs.rate, had };
      const rates = await convergeRates(inputs.namespace, [end]);
      return await outputsOf(inputs, found!, rateOutput(rates.get(inputs.name)));
    } catch (e) {
      if (!add) throw e;
      return rollBack(e, async () => {
        if (!addedElsewhere) await undoAdd(inputs.namespace, inputs.name, e, mark);
        else if (isOurs(await observeLink(inputs.namespace, inputs.name), mark)) {
          await linkDelete(inputs.namespace, inputs.name);
        }
        if (kind.stagingName) await linkDelete(inputs.namespace, kind.stagingName(mark));
      });
    }
  };
  return {
    check: checkWith(kind.schema, (checked) =>
      claimLinks((checked as Partial<Owned>).managedBy, kind.kernelKind, references(checked).links),
    ),

    async diff(_id, olds, news) {
      return kind.diffInputs(withoutKernelChoices(olds, news, kind.kernelChosen), news);
    },

    async create(inputs: Inputs) {
      assertPrivileged();
      const id = `${inputs.namespace ?? ""}/${inputs.name}`;
      // Where adding a taken name fails having changed nothing, add first and look only then.
      if (kind.addFailsWhenTaken) {
        try {
          return { id, outs: await apply(inputs, undefined, true) };
        } catch (e) {
          if (!addFoundNameTaken(e)) throw e;
        }
      }
      const observed = await observeLink(inputs.namespace, inputs.name);
      const plan = planCreate(inputs, observed, {
        ...inputs,
        mark: ownerMark(inputs),
        kind: kind.kernelKind,
      });
      if (plan.action === "add" && kind.stagingName) {
        await linkDelete(inputs.namespace, kind.stagingName(ownerMark(inputs)));
      }
      return { id, outs: await apply(inputs, observed, plan.action === "add") };
    },

    async read(id, props?: Inputs) {
      assertPrivileged();
      if (!props) return {};
      const observed = await observeLink(props.namespace, props.name);
      // Gone, or a look-alike in its place (not carrying this resource's mark): ours is no more.
      if (!isMarked(observed, ownerMark(props)) || observed.state.kind !== kind.kernelKind) return {};
      // The qdisc is read only where state has a rate: a link without one is not shaped by us.
      const rate = shaped && (props as RateOutputs).rate ? await readRate(props.namespace, props.name) : {};
      return { id, props: await outputsOf(props, observed, rate) };
    },

    async update(_id, olds: Inputs, news: Inputs) {
      assertPrivileged();
      const observed = await observeLink(news.namespace, news.name);
      if (!observed) {
        throw new Error(
          `${kind.kind} ${JSON.stringify(news.name)} in ${describeNamespace(news.namespace)} is gone from ` +
            "the kernel: run `pulumi refresh` and then `pulumi up` to create it again.",
        );
      }
      assertStillOurs(news, observed, olds, news);
      return { outs: await apply(news, observed, false, (olds as RateOutputs).rate) };
    },

    async delete(_id, props: Inputs) {
      assertPrivileged();
      const observed = await observeLink(props.namespace, props.name);
      if (isMarked(observed, ownerMark(props))) await linkDelete(props.namespace, props.name);
      else if (observed) warnLeftUntouched(props, observed);
    },
  };
}
