import { claimLinks } from "./claims";
import { OWNED_LINK_GROUP } from "./kernel/ip";
import { tapAddLines } from "./kernel/tuntap";
import { checkWith } from "./lifecycle";
import {
  KERNEL_CHOSEN_LINK_FIELDS,
  singleLinkProvider,
  type LinkOutputs,
  type LinkSpec,
  type Owned,
} from "./link";
import { tapDeviceSchema, type TapDeviceResolved } from "./schema/tapDevice";

/** What a TapDevice keeps in state: the link as the kernel has it, and its tap flags. */
export interface TapDeviceOutputs extends LinkOutputs {
  readonly owner?: number;
  readonly group?: number;
  readonly multiQueue: boolean;
  readonly vnetHdr: boolean;
  readonly adopt: boolean;
  readonly managedBy: string;
}

type Inputs = TapDeviceResolved & LinkSpec & Owned;

export const tapDeviceProvider = singleLinkProvider<
  Inputs,
  Omit<TapDeviceOutputs, keyof LinkOutputs | keyof Owned>
>({
  resource: "TapDevice",
  kernelKind: "tun",
  addFailsWhenTaken: false,
  kernelChosen: KERNEL_CHOSEN_LINK_FIELDS,
  check: checkWith(tapDeviceSchema, (inputs) =>
    claimLinks(inputs.managedBy, [{ path: "", kind: "tun", ...inputs }]),
  ),
  addLines: (inputs) => tapAddLines(inputs.name, { ...inputs, linkGroup: OWNED_LINK_GROUP }),
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
