import { KernelCommandError } from "./errors";
import { defaultIp, int, type Ip } from "./ip";
import { linkDelete, linkSetGroup } from "./link";

/** What {@link tapAdd} creates. */
export interface TapOptions {
  /** Numeric uid allowed to attach; omitted: any user with access to /dev/net/tun. */
  readonly owner?: number | undefined;
  /** Numeric gid allowed to attach; omitted: any group. */
  readonly group?: number | undefined;
  /** IFF_MULTI_QUEUE: one queue per attached file descriptor. */
  readonly multiQueue?: boolean | undefined;
  /** IFF_VNET_HDR: frames carry a virtio-net header (what QEMU and Firecracker expect). */
  readonly vnetHdr?: boolean | undefined;
  /** Device group (normally OWNED_LINK_GROUP). */
  readonly linkGroup: number;
}

/**
 * The two batch lines of {@link tapAdd}: `ip tuntap add` cannot set a device group, so the group
 * follows in the same batch (tuntap lines work in `-batch`).
 */
export function tapAddLines(name: string, options: TapOptions): string[][] {
  return [
    [
      "tuntap",
      "add",
      "dev",
      name,
      "mode",
      "tap",
      ...(options.owner !== undefined ? ["user", int(options.owner)] : []),
      ...(options.group !== undefined ? ["group", int(options.group)] : []),
      ...(options.multiQueue ? ["multi_queue"] : []),
      ...(options.vnetHdr ? ["vnet_hdr"] : []),
    ],
    linkSetGroup(name, options.linkGroup),
  ];
}

/**
 * Creates a persistent tap device (down); it outlives this process until deleted. If the group
 * cannot be set after the tap was made, the tap is deleted again so that create stays all or nothing.
 * Equivalent to: `ip [-n NS] -batch -` with `tuntap add dev NAME mode tap [user U] [group G]
 * [multi_queue] [vnet_hdr]` and `link set dev NAME group LINKGROUP`.
 */
export async function tapAdd(
  netns: string | undefined,
  name: string,
  options: TapOptions,
  ip: Ip = defaultIp(),
): Promise<void> {
  try {
    await ip.batch(netns, tapAddLines(name, options));
  } catch (e) {
    if (e instanceof KernelCommandError && e.batchLine !== undefined && e.batchLine.number > 1) {
      await linkDelete(netns, name, ip).catch(() => undefined);
    }
    throw e;
  }
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
