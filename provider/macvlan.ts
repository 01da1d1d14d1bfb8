import { linkGroupFor } from "./kernel/ip";
import { linkAddLine, linkSetTypeLine } from "./kernel/link";
import {
  KERNEL_CHOSEN_LINK_FIELDS,
  singleLinkKind,
  type LinkOutputs,
  type LinkSpec,
  type ObservedLink,
  type SingleLinkKind,
} from "./link";
import type { Owned } from "./ownership";
import type { RateOutputs } from "./rate";
import { diffMacvlan, macvlanSchema, type MacvlanMode, type MacvlanResolved } from "./schema/macvlan";
import { lowerLinkReferences } from "./schema/references";

/** What a Macvlan keeps in state: the link as the kernel has it, its mode and its parent. */
export interface MacvlanOutputs extends LinkOutputs, RateOutputs, Owned {
  readonly mode: MacvlanMode;
  /** The parent as the kernel names it (in its own namespace, `ip` prints only its ifindex: the input's). */
  readonly parent: string;
  /** The parent's namespace; omitted: the macvlan's own. */
  readonly parentNamespace?: string;
}

type Inputs = MacvlanResolved & LinkSpec & Owned;
type Extra = Omit<MacvlanOutputs, keyof LinkOutputs | keyof Owned>;

/**
 * What macvlan and macvtap share (macvtap is a macvlan with a character device, on the same
 * netlink attributes): made on a parent, possibly from the parent's namespace into another, with
 * a mode changed by `ip link set ... type K mode M`.
 */
export function onParent<K extends "macvlan" | "macvtap">(
  kernelKind: K,
): Omit<SingleLinkKind<string, K, Inputs, Extra>, "kind" | "schema" | "diffInputs"> {
  const from = (inputs: Inputs) => inputs.parentNamespace ?? inputs.namespace;
  return {
    kernelKind,
    readsTuntap: false,
    addFailsWhenTaken: true,
    kernelChosen: KERNEL_CHOSEN_LINK_FIELDS,
    references: lowerLinkReferences,
    addsFrom: (inputs) => (from(inputs) !== inputs.namespace ? { namespace: from(inputs) } : undefined),
    addLines: (inputs, mark) => [
      linkAddLine(inputs.name, kernelKind, ["mode", inputs.mode], {
        group: linkGroupFor(mark),
        lower: inputs.parent,
        netns: from(inputs) !== inputs.namespace ? inputs.namespace : undefined,
      }),
    ],
    settingLines: (inputs, observed) =>
      observed && observed.state.info.mode !== inputs.mode
        ? [linkSetTypeLine(inputs.name, kernelKind, ["mode", inputs.mode])]
        : [],
    outputs: (inputs, observed) => parentOutputs(inputs, observed),
  };
}

/** Mode and parent as read back. */
export function parentOutputs(inputs: Inputs, observed: ObservedLink): Extra {
  return {
    mode: String(observed.state.info.mode) as MacvlanMode,
    parent: observed.state.lower?.name ?? inputs.parent,
    ...(inputs.parentNamespace !== undefined ? { parentNamespace: inputs.parentNamespace } : {}),
  };
}

/** A macvlan: one link on a parent, with a MAC of its own. */
export const macvlanKind = singleLinkKind<"Macvlan", "macvlan", Inputs, Extra>({
  kind: "Macvlan",
  schema: macvlanSchema,
  diffInputs: diffMacvlan,
  ...onParent("macvlan"),
});
