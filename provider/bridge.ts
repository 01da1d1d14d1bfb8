import { bridgeAddArgs, bridgeSet } from "./kernel/bridge";
import { linkGroupFor } from "./kernel/ip";
import { KERNEL_CHOSEN_LINK_FIELDS, singleLinkKind, type LinkOutputs, type LinkSpec } from "./link";
import type { Owned } from "./ownership";
import { diffBridge, bridgeSchema, type BridgeResolved } from "./schema/bridge";

/** What a Bridge keeps in state: the link as the kernel has it, and its bridge settings. */
export interface BridgeOutputs extends LinkOutputs, Owned {
  readonly stp: boolean;
  readonly vlanFiltering: boolean;
  /** Seconds. */
  readonly forwardDelay: number;
  /** Seconds. */
  readonly ageingTime: number;
}

type Inputs = BridgeResolved & LinkSpec & Owned;

/** A Linux bridge: one link. */
export const bridgeKind = singleLinkKind<
  "Bridge",
  "bridge",
  Inputs,
  Omit<BridgeOutputs, keyof LinkOutputs | keyof Owned>
>({
  kind: "Bridge",
  kernelKind: "bridge",
  readsTuntap: false,
  addFailsWhenTaken: true,
  kernelChosen: [...KERNEL_CHOSEN_LINK_FIELDS, "forwardDelay", "ageingTime"],
  schema: bridgeSchema,
  diffInputs: diffBridge,
  addLines: (inputs, mark) => [bridgeAddArgs(inputs.name, { ...inputs, group: linkGroupFor(mark) })],
  settingLines(inputs, observed) {
    const now = observed?.state.bridge;
    const changed = {
      ...(now?.stp !== inputs.stp ? { stp: inputs.stp } : {}),
      ...(now?.vlanFiltering !== inputs.vlanFiltering ? { vlanFiltering: inputs.vlanFiltering } : {}),
      ...(inputs.forwardDelay !== undefined && now?.forwardDelay !== inputs.forwardDelay
        ? { forwardDelay: inputs.forwardDelay }
        : {}),
      ...(inputs.ageingTime !== undefined && now?.ageingTime !== inputs.ageingTime
        ? { ageingTime: inputs.ageingTime }
        : {}),
    };
    // A bridge just added already has its settings; an existing one gets only what differs.
    const line = observed ? bridgeSet(inputs.name, changed) : [];
    return line.length > 0 ? [line] : [];
  },
  outputs(_inputs, observed) {
    const b = observed.state.bridge ?? { stp: false, vlanFiltering: false, forwardDelay: 0, ageingTime: 0 };
    return {
      stp: b.stp,
      vlanFiltering: b.vlanFiltering,
      forwardDelay: b.forwardDelay,
      ageingTime: b.ageingTime,
    };
  },
});
