import { createHash } from "node:crypto";
import { defaultIp, int, type Ip } from "./ip";
import { linkDelete, linkSetGroup } from "./link";

/** What {@link tapAddLines} creates. */
export interface TapOptions {
  /** Numeric uid allowed to attach; omitted: any user with access to /dev/net/tun. */
  readonly owner?: number | undefined;
  /** Numeric gid allowed to attach; omitted: any group. */
  readonly group?: number | undefined;
  /** IFF_MULTI_QUEUE: one queue per attached file descriptor. */
  readonly multiQueue?: boolean | undefined;
  /** IFF_VNET_HDR: frames carry a virtio-net header (what QEMU and Firecracker expect). */
  readonly vnetHdr?: boolean | undefined;
  /** Device group naming the owning resource (linkGroupFor its mark). */
  readonly linkGroup: number;
  /** The name the tap is made under before it is renamed to its own (see tapStagingName). */
  readonly stagingName: string;
}

/** What every {@link tapStagingName} looks like. */
export const TAP_STAGING_NAME = /^pns[a-z2-7]{12}$/;

/**
 * The name a tap is created under before it gets its group and its real name. `ip tuntap add`
 * (the TUNSETIFF ioctl) cannot set a device group, so a tap made under its real name would be
 * unmarked until the next line: a kill in between would leave a tap that nobody can tell from a
 * stranger's. Under this name, derived from the owner's mark ("pns", pulumi-netns staging, and 12
 * base32 digits of its SHA-256), it is recognisable from the first instant.
 */
export function tapStagingName(mark: string): string {
  const digest = createHash("sha256").update(mark).digest();
  const base32 = "abcdefghijklmnopqrstuvwxyz234567";
  let bits = 0n;
  for (const byte of digest.subarray(0, 8)) bits = (bits << 8n) | BigInt(byte);
  let out = "";
  for (let i = 0; i < 12; i++) out += base32[Number((bits >> BigInt(59 - 5 * i)) & 31n)];
  return `pns${out}`;
}

/**
 * The batch lines that create a persistent tap (down): add it under its staging name, put it in
 * the owner's device group, then rename it to `name`. At every instant it is marked by its name
 * or its group. It outlives this process until deleted.
 * Equivalent to: `ip tuntap add dev STAGING mode tap [user U] [group G] [multi_queue] [vnet_hdr]`,
 * `ip link set dev STAGING group LINKGROUP`, `ip link set dev STAGING name NAME`.
 */
export function tapAddLines(name: string, options: TapOptions): string[][] {
  const staging = options.stagingName;
  return [
    [
      "tuntap",
      "add",
      "dev",
      staging,
      "mode",
      "tap",
      ...(options.owner !== undefined ? ["user", int(options.owner)] : []),
      ...(options.group !== undefined ? ["group", int(options.group)] : []),
      ...(options.multiQueue ? ["multi_queue"] : []),
      ...(options.vnetHdr ? ["vnet_hdr"] : []),
    ],
    linkSetGroup(staging, options.linkGroup),
    ["link", "set", "dev", staging, "name", name],
  ];
}

/**
 * Deletes a tap device; one that is already gone is success. Uses `link delete` rather than
 * `tuntap del`, which "deletes" a missing tap by creating and dropping a transient one.
 * Equivalent to: `ip [-n NS] link delete dev NAME`.
 */
export async function tapDelete(
  netns: string | undefined,
  name: string,
  ip: Ip = defaultIp(),
): Promise<void> {
  await linkDelete(netns, name, ip);
}
