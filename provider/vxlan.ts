import type * as pulumi from "@pulumi/pulumi";
import { claimVxlan } from "./claims";
import { KernelCommandError } from "./kernel/errors";
import { linkGroupFor, MARK_PREFIX } from "./kernel/ip";
import { linkList } from "./kernel/link";
import { vxlanAddArgs, vxlanSet, type VxlanInfo } from "./kernel/vxlan";
import { defineKind } from "./kind";
import { describeNamespace } from "./lifecycle";
import {
  KERNEL_CHOSEN_LINK_FIELDS,
  singleLinkKind,
  type LinkOutputs,
  type LinkSpec,
  type ObservedLink,
} from "./link";
import { describeMark, type Owned } from "./ownership";
import type { RateOutputs } from "./rate";
import { vxlanReferences } from "./schema/references";
import { diffVxlan, vxlanFamily, vxlanSchema, type VxlanChecked, type VxlanResolved } from "./schema/vxlan";

/** What a Vxlan keeps in state: the link as the kernel has it, and its VXLAN settings. */
export interface VxlanOutputs extends LinkOutputs, RateOutputs, Owned {
  readonly vni: number;
  readonly remote?: string;
  readonly group?: string;
  readonly local?: string;
  /** The underlay interface. */
  readonly dev?: string;
  readonly dstPort: number;
  readonly learning: boolean;
  /** 0: "auto". */
  readonly ttl?: number;
  /** Omitted: the kernel's default, the local port range. */
  readonly srcPortRange?: [number, number];
}

type Inputs = VxlanResolved & LinkSpec & Owned;

/**
 * Refuses to converge an existing device (adopted, or left by an interrupted create) whose
 * settings the kernel cannot change in place, before anything is changed.
 */
function assertFixedSettings(inputs: Inputs, now: VxlanInfo): void {
  const range = inputs.srcPortRange ?? [0, 0];
  const differ = [
    ...(now.vni !== inputs.vni ? [`VNI ${now.vni}, not ${inputs.vni}`] : []),
    ...(now.dstPort !== inputs.dstPort ? [`UDP port ${now.dstPort}, not ${inputs.dstPort}`] : []),
    ...(now.srcPortRange[0] !== range[0] || now.srcPortRange[1] !== range[1]
      ? [`source ports ${now.srcPortRange.join("-")}, not ${range.join("-")}`]
      : []),
    ...(vxlanFamily(now) !== vxlanFamily(inputs)
      ? [`IPv${vxlanFamily(now)}, not IPv${vxlanFamily(inputs)}`]
      : []),
    ...(now.dev !== undefined && inputs.dev === undefined
      ? [`underlay ${JSON.stringify(now.dev)}, not none`]
      : []),
  ];
  if (differ.length === 0) return;
  throw new Error(
    `VXLAN device ${JSON.stringify(inputs.name)} in ${describeNamespace(inputs.namespace)} has ${differ.join(", ")}; ` +
      "the kernel cannot change that in place, so nothing was changed. Remove the device, or declare it as it is.",
  );
}

/** The `ip link set ... type vxlan` line taking the observed device to `inputs`, if anything differs. */
function settingLines(inputs: Inputs, observed: ObservedLink | undefined): string[][] {
  const now = observed?.state.vxlan;
  // A device just added got every setting with the add.
  if (now === undefined) return [];
  assertFixedSettings(inputs, now);
  const peerChanged = now.remote !== inputs.remote || now.group !== inputs.group;
  // ip refuses `group` without `dev`, so a new group carries the underlay with it.
  const sendDev =
    inputs.dev !== undefined && (now.dev !== inputs.dev || (peerChanged && inputs.group !== undefined));
  const line = vxlanSet(inputs.name, {
    family: vxlanFamily(inputs) ?? 4,
    ...(peerChanged ? { peer: { remote: inputs.remote, group: inputs.group } } : {}),
    ...(now.local !== inputs.local ? { local: inputs.local ?? null } : {}),
    ...(sendDev ? { dev: inputs.dev } : {}),
    ...(now.ttl !== inputs.ttl ? { ttl: inputs.ttl } : {}),
    ...(now.learning !== inputs.learning ? { learning: inputs.learning } : {}),
  });
  return line.length > 0 ? [line] : [];
}

/**
 * The kernel's refusal of a second device with one VNI, port and family ("A VXLAN device with the
 * specified VNI already exists") names neither device: this names the one in the way.
 */
async function explainVniTaken(inputs: Inputs, e: unknown): Promise<unknown> {
  if (
    !(e instanceof KernelCommandError) ||
    !/VXLAN device with the specified VNI already exists/.test(e.stderr)
  ) {
    return e;
  }
  const family = vxlanFamily(inputs);
  const links = await linkList(inputs.namespace).catch(() => []);
  const other = links.find(
    (l) =>
      l.name !== inputs.name &&
      l.vxlan?.vni === inputs.vni &&
      l.vxlan.dstPort === inputs.dstPort &&
      vxlanFamily(l.vxlan) === family,
  );
  const mark = other?.alias?.startsWith(MARK_PREFIX) ? other.alias.slice(MARK_PREFIX.length) : undefined;
  const who = other
    ? `VXLAN device ${JSON.stringify(other.name)} (${mark ? `managed by ${describeMark(mark)}` : "no pulumi-netns mark"})`
    : "another VXLAN device";
  return new Error(
    `VNI ${inputs.vni} on UDP port ${inputs.dstPort} (IPv${family}) in ${describeNamespace(inputs.namespace)} is ` +
      `already used by ${who}; nothing was created. The kernel allows one VXLAN device per VNI, port and address ` +
      `family in a namespace: choose another vni or dstPort, or remove the other device. ${e.message}`,
    { cause: e },
  );
}

const base = singleLinkKind<"Vxlan", "vxlan", Inputs, Omit<VxlanOutputs, keyof LinkOutputs | keyof Owned>>({
  kind: "Vxlan",
  kernelKind: "vxlan",
  readsTuntap: false,
  addFailsWhenTaken: true,
  kernelChosen: KERNEL_CHOSEN_LINK_FIELDS,
  schema: vxlanSchema,
  diffInputs: diffVxlan,
  addLines: (inputs, mark) => [
    vxlanAddArgs(inputs.name, {
      ...inputs,
      // Known<T> reads the schema's [low, high] tuple as an array; the schema made it two ports.
      srcPortRange: inputs.srcPortRange as [number, number] | undefined,
      linkGroup: linkGroupFor(mark),
    }),
  ],
  settingLines,
  outputs(_inputs, observed) {
    const v = observed.state.vxlan;
    if (v === undefined)
      throw new Error(`ip -j -d link show printed no VXLAN settings for ${observed.state.name}`);
    const range = v.srcPortRange;
    return {
      vni: v.vni,
      ...(v.remote !== undefined ? { remote: v.remote } : {}),
      ...(v.group !== undefined ? { group: v.group } : {}),
      ...(v.local !== undefined ? { local: v.local } : {}),
      ...(v.dev !== undefined ? { dev: v.dev } : {}),
      dstPort: v.dstPort,
      learning: v.learning,
      ...(v.ttl !== undefined ? { ttl: v.ttl } : {}),
      ...(range[0] !== 0 || range[1] !== 0 ? { srcPortRange: [range[0], range[1]] as [number, number] } : {}),
    };
  },
});

const provider: pulumi.dynamic.ResourceProvider = {
  ...base.provider,
  // The link rules every kind has, then the VXLAN's own: its (VNI, port) and its underlay.
  async check(olds, news) {
    const result = await base.provider.check!(olds, news);
    if ((result.failures ?? []).length > 0) return result;
    const inputs = result.inputs as VxlanChecked;
    const failures = await claimVxlan({ ...inputs, family: vxlanFamily(inputs) });
    return failures.length > 0 ? { inputs: news, failures } : result;
  },
  async create(inputs: Inputs) {
    try {
      return await base.provider.create(inputs);
    } catch (e) {
      throw await explainVniTaken(inputs, e);
    }
  },
};

/** A VXLAN device: one link, an L2 tunnel over UDP to a unicast `remote` or a multicast `group`. */
export const vxlanKind = defineKind({ ...base, references: vxlanReferences, provider });
