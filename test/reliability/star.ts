// The star topology the crash and interference tests deploy: namespace `<p>hub` holds bridge
// `br`; hosts `<p>h1`..`<p>hN` each get a veth pair (`eth0` with 10.20.0.i/24, hub end `hI`
// enslaved to `br`). The same shape as examples/star, as an inline program.
import * as netns from "pulumi-netns";

export const hostAddress = (i: number): string => `10.20.${Math.floor(i / 256)}.${i % 256}`;

export function starProgram(prefix: string, hosts: number, mtu?: number) {
  return async () => {
    const hub = new netns.Namespace("hub", { name: `${prefix}hub` });
    const br = new netns.Bridge("br", { name: "br", namespace: hub.name });
    for (let i = 1; i <= hosts; i++) {
      const host = new netns.Namespace(`h${i}`, { name: `${prefix}h${i}` });
      new netns.VethPair(`h${i}-cable`, {
        a: { name: "eth0", namespace: host.name, addresses: [`${hostAddress(i)}/16`] },
        b: { name: `h${i}`, namespace: hub.name, master: br.name },
        mtu,
      });
    }
    return {};
  };
}

/** Resources a star of `hosts` hosts has: its own and the StackInstance (the stack itself not counted). */
export const starResources = (hosts: number): number => 3 + 2 * hosts;
