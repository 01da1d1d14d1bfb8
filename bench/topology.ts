// The N-host star every row builds: hub namespace with bridge `br0`; host i in its own namespace
// with `eth0` (address below), cabled by a veth whose other end is a port of `br0` in the hub.
import { randomBytes } from "node:crypto";

/** `pnb` (pulumi-netns bench) and 4 hex digits: unique per run, recognisable if left over. */
export function uniquePrefix(): string {
  return `pnb${randomBytes(2).toString("hex")}`;
}

export interface Host {
  readonly index: number;
  /** The host's namespace. */
  readonly netns: string;
  /** The hub end of the host's veth (a bridge port, at most 15 bytes). */
  readonly port: string;
  /** `eth0`'s address with prefix length, in 10.201.0.0/16. */
  readonly cidr: string;
  readonly address: string;
}

export interface Star {
  readonly prefix: string;
  readonly hub: string;
  readonly bridge: string;
  readonly hostIf: string;
  readonly hosts: readonly Host[];
}

export function star(prefix: string, n: number): Star {
  const hosts = Array.from({ length: n }, (_, k) => {
    const index = k + 1;
    const address = `10.201.${Math.floor(index / 250)}.${(index % 250) + 1}`;
    return {
      index,
      netns: `${prefix}-h${index}`,
      port: `${prefix}h${index}`,
      cidr: `${address}/16`,
      address,
    };
  });
  return { prefix, hub: `${prefix}-hub`, bridge: "br0", hostIf: "eth0", hosts };
}
