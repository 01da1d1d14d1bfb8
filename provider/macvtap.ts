import { singleLinkKind, type LinkOutputs, type LinkSpec } from "./link";
import { onParent, parentOutputs, type MacvlanOutputs } from "./macvlan";
import type { Owned } from "./ownership";
import { diffMacvtap, macvtapSchema, type MacvtapResolved } from "./schema/macvtap";

/** What a Macvtap keeps in state: a macvlan's outputs and its character device. */
export interface MacvtapOutputs extends MacvlanOutputs {
  /** The character device's major number (the kernel's `macvtap` major, dynamic). */
  readonly deviceMajor: number;
  readonly deviceMinor: number;
  /**
   * Where udev would make the node, `/dev/tap<ifindex>`. Without udev nothing makes it: `mknod
   * PATH c MAJOR MINOR`, owned by the user QEMU runs as, then `-netdev tap,fd=N` on it opened.
   */
  readonly devicePath: string;
}

type Inputs = MacvtapResolved & LinkSpec & Owned;

/** The `MAJOR:MINOR` sysfs prints for a character device. */
function parseDevice(text: string | undefined): { major: number; minor: number } {
  const m = /^(\d+):(\d+)$/.exec(text ?? "");
  if (!m)
    throw new Error(`expected MAJOR:MINOR from a macvtap's sysfs dev attribute, got ${JSON.stringify(text)}`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** A macvtap: a macvlan whose frames a process (QEMU) reads and writes through `/dev/tapN`. */
export const macvtapKind = singleLinkKind<
  "Macvtap",
  "macvtap",
  Inputs,
  Omit<MacvtapOutputs, keyof LinkOutputs | keyof Owned>
>({
  kind: "Macvtap",
  schema: macvtapSchema,
  diffInputs: diffMacvtap,
  ...onParent("macvtap"),
  // The tap is named after the link's ifindex in its namespace: /sys/class/net/X/macvtap/tapN/dev.
  sysfs: (state) => [`macvtap/tap${state.ifindex}/dev`],
  outputs(inputs, observed, [dev]) {
    const { major, minor } = parseDevice(dev);
    return {
      ...parentOutputs(inputs, observed),
      deviceMajor: major,
      deviceMinor: minor,
      devicePath: `/dev/tap${observed.state.ifindex}`,
    };
  },
});
