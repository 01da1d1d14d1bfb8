// The lifecycle step of a link end's rate limit, shared by every kind that takes one: it runs
// after the link's own `ip -batch`, once the end is proven this resource's (created by it, or
// its mark checked), so a qdisc on a link we do not own is never touched.
import {
  qdiscBatchWithReadBack,
  qdiscDeleteRoot,
  qdiscReplaceTbf,
  qdiscShowRoot,
  type Tbf,
} from "./kernel/qdisc";
import { sameRate, tbfOf, type RateInputs } from "./schema/rate";
import type { Known } from "./schema/unknown";

/** A rate as check resolved it (defaults applied, every value known). */
export type RateSpec = Known<Exclude<RateInputs, undefined>> & { readonly bitsPerSecond: number };

/** What a link end with a rate reports: its root tbf as the kernel has it; omitted when it has none. */
export interface RateOutputs {
  /** The end's egress limit as read back (`tc -j -raw qdisc show`); absent when its root qdisc is not a tbf. */
  readonly rate?: Tbf;
}

/** One link end in the step: its name, the rate wanted, and the rate state says it had. */
export interface ShapedEnd {
  readonly name: string;
  readonly want: RateSpec | undefined;
  /** The end's `rate` in state (undefined on create): unchanged ends are left alone, a removed one is reset. */
  readonly had: Tbf | undefined;
}

/**
 * Converges the root qdisc of `ends`, all in `namespace`, and returns each end's rate output.
 * Ends whose rate is new or changed get `tc qdisc replace ... tbf`, all in one `tc -batch` with
 * their read-back; an end whose rate was removed gets the kernel's default back; an end that
 * never had one is not looked at, so a qdisc someone put on it by hand stays.
 */
export async function convergeRates(
  namespace: string | undefined,
  ends: readonly ShapedEnd[],
): Promise<Map<string, Tbf | undefined>> {
  const out = new Map<string, Tbf | undefined>();
  const replace = ends.filter((e) => e.want !== undefined && !sameRate(e.had, e.want));
  for (const end of ends) {
    if (end.want !== undefined && !replace.includes(end)) out.set(end.name, end.had);
    if (end.want === undefined && end.had !== undefined) await qdiscDeleteRoot(namespace, end.name);
  }
  if (replace.length === 0) return out;
  const lines = replace.map((e) => qdiscReplaceTbf(e.name, tbfOf(e.want!)));
  const found = await qdiscBatchWithReadBack(
    namespace,
    lines,
    replace.map((e) => e.name),
  );
  replace.forEach((e, i) => out.set(e.name, found[i]?.tbf));
  return out;
}

/** The end's rate output as the kernel has it now: `{ rate }` when its root qdisc is a tbf. */
export async function readRate(namespace: string | undefined, name: string): Promise<RateOutputs> {
  const root = await qdiscShowRoot(namespace, name);
  return root?.tbf ? { rate: root.tbf } : {};
}

/** `{ rate }` when there is one, for spreading into outputs. */
export const rateOutput = (rate: Tbf | undefined): RateOutputs => (rate ? { rate } : {});
