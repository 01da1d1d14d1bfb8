import { defaultIp, int, type Ip } from "./ip";

/**
 * Bridge settings. Times are seconds (fractions allowed to 0.01 s); iproute2 and the kernel take
 * centiseconds, converted here so the resource API speaks the unit people write.
 */
export interface BridgeSettings {
  /** Kernel STP on (`stp_state 1`) or off (`stp_state 0`). */
  readonly stp?: boolean | undefined;
  /** VLAN filtering. Needs CONFIG_BRIDGE_VLAN_FILTERING; some kernels (Firecracker's) refuse even `0`. */
  readonly vlanFiltering?: boolean | undefined;
  /** Seconds; the kernel accepts 2 to 30 while STP is on. Kernel default 15. */
  readonly forwardDelay?: number | undefined;
  /** Seconds a learned MAC address is kept. Kernel default 300. */
  readonly ageingTime?: number | undefined;
}

/** What {@link bridgeAdd} creates. */
export interface BridgeOptions extends BridgeSettings {
  readonly mtu?: number | undefined;
  /** Device group (normally OWNED_LINK_GROUP). */
  readonly group: number;
}

/** Seconds to the centiseconds iproute2 takes for bridge timers. */
export function secondsToCentiseconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`expected seconds >= 0, got ${seconds}`);
  return int(Math.round(seconds * 100));
}

function settingsArgs(s: BridgeSettings, omitVlanFilteringOff: boolean): string[] {
  return [
    ...(s.stp !== undefined ? ["stp_state", s.stp ? "1" : "0"] : []),
    // Off is the kernel default; leaving it out keeps bridges creatable on kernels without support.
    ...(s.vlanFiltering === true || (s.vlanFiltering === false && !omitVlanFilteringOff)
      ? ["vlan_filtering", s.vlanFiltering ? "1" : "0"]
      : []),
    ...(s.forwardDelay !== undefined ? ["forward_delay", secondsToCentiseconds(s.forwardDelay)] : []),
    ...(s.ageingTime !== undefined ? ["ageing_time", secondsToCentiseconds(s.ageingTime)] : []),
  ];
}

/** The argv (after `ip`) of {@link bridgeAdd}. `stp_state` is always given: explicit beats the kernel default. */
export function bridgeAddArgs(name: string, options: BridgeOptions): string[] {
  return [
    "link",
    "add",
    "name",
    name,
    ...(options.mtu !== undefined ? ["mtu", int(options.mtu)] : []),
    "group",
    int(options.group),
    "type",
    "bridge",
    ...settingsArgs({ ...options, stp: options.stp ?? false }, true),
  ];
}

/**
 * Creates a bridge (down). On kernels without VLAN filtering, `vlanFiltering: true` raises a
 * KernelCommandError whose hint says so.
 * Equivalent to: `ip [-n NS] link add name NAME [mtu M] group G type bridge stp_state 0|1
 * [vlan_filtering 1] [forward_delay CS] [ageing_time CS]`.
 */
export async function bridgeAdd(
  netns: string | undefined,
  name: string,
  options: BridgeOptions,
  ip: Ip = defaultIp(),
): Promise<void> {
  await ip.run(bridgeAddArgs(name, options), { netns });
}

/**
 * Batch line changing bridge settings in place; only the settings given are sent (an explicit
 * `vlanFiltering: false` is sent, to turn filtering off). Returns an empty line, which
 * {@link Ip.batch} skips, when nothing is given.
 * Equivalent to: `ip link set dev NAME type bridge [stp_state 0|1] [vlan_filtering 0|1] [forward_delay CS] [ageing_time CS]`.
 */
export function bridgeSet(name: string, settings: BridgeSettings): string[] {
  const args = settingsArgs(settings, false);
  return args.length === 0 ? [] : ["link", "set", "dev", name, "type", "bridge", ...args];
}
