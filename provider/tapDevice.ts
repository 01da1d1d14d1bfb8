import { linkGroupFor } from "./kernel/ip";
import { tapAddLines, tapStagingName } from "./kernel/tuntap";
import { KERNEL_CHOSEN_LINK_FIELDS, singleLinkKind, type LinkOutputs, type LinkSpec } from "./link";
import type { Owned } from "./ownership";
import type { RateOutputs } from "./rate";
import { diffTapDevice, tapDeviceSchema, type TapDeviceResolved } from "./schema/tapDevice";

/** What a TapDevice keeps in state: the link as the kernel has it, and its tap flags. */
export interface TapDeviceOutputs extends LinkOutputs, RateOutputs, Owned {
  readonly owner?: number;
  readonly group?: number;
  readonly multiQueue: boolean;
  readonly vnetHdr: boolean;
}

type Inputs = TapDeviceResolved & LinkSpec & Owned;

/** A Linux tap device: one link. */
export const tapDeviceKind = singleLinkKind<
  "TapDevice",
  "tun",
  Inputs,
  Omit<TapDeviceOutputs, keyof LinkOutputs | keyof RateOutputs | keyof Owned>
>({
  kind: "TapDevice",
  kernelKind: "tun",
  readsTuntap: true,
  addFailsWhenTaken: false,
  kernelChosen: KERNEL_CHOSEN_LINK_FIELDS,
  schema: tapDeviceSchema,
  diffInputs: diffTapDevice,
  addLines: (inputs, mark) =>
    tapAddLines(inputs.name, { ...inputs, linkGroup: linkGroupFor(mark), stagingName: tapStagingName(mark) }),
  stagingName: tapStagingName,
  // The tap's flags cannot change in place: a change replaces the device (see schema/diff).
  settingLines: () => [],
  outputs(_inputs, observed) {
    const tun = observed.state.tun;
    return {
      ...(tun?.owner !== undefined ? { owner: tun.owner } : {}),
      ...(tun?.group !== undefined ? { group: tun.group } : {}),
      multiQueue: tun?.multiQueue ?? false,
      vnetHdr: tun?.vnetHdr ?? false,
    };
  },
});
