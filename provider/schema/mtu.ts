/** A link's MTU: the range every link kind's driver takes (a tap's lower cap is its own rule). */
import { quote, ruledNumber } from "./rules";

/** 68 is IPv4's minimum (RFC 791); 65535 is ETH_MAX_MTU, the max_mtu of veth, bridge and tun. */
export const MTU_MIN = 68;
export const MTU_MAX = 65535;

export function mtuProblems(mtu: number): string[] {
  if (Number.isInteger(mtu) && mtu >= MTU_MIN && mtu <= MTU_MAX) return [];
  return [
    `mtu is an integer from ${MTU_MIN} (the IPv4 minimum) to ${MTU_MAX} (the kernel's ETH_MAX_MTU); got ${quote(mtu)}`,
  ];
}

export const mtu = ruledNumber(mtuProblems);
