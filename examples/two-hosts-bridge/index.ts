// The default topology: hosts net0 and net1, each in its own namespace, cabled by veth pairs to
// the bridge `br` in namespace `bridge`, on the subnet 10.0.1.0/24.
import * as netns from "pulumi-netns";

const hub = new netns.Namespace("bridge", { name: "bridge" });
const br = new netns.Bridge("br", { name: "br", namespace: hub.name });

const hosts = [
  { name: "net0", address: "10.0.1.1/24" },
  { name: "net1", address: "10.0.1.2/24" },
].map(({ name, address }) => {
  const host = new netns.Namespace(name, { name });
  const cable = new netns.VethPair(`${name}-bridge`, {
    a: { name: `${name}-bridge`, namespace: host.name, addresses: [address] },
    b: { name: `bridge-${name}`, namespace: hub.name, master: br.name },
  });
  return { host, cable, address };
});

export const namespaces = [hub.name, ...hosts.map((h) => h.host.name)];
export const bridge = br.name;
export const addresses = { "net0-bridge": "10.0.1.1/24", "net1-bridge": "10.0.1.2/24" };
/** Run this (as root) to see net0 reach net1 across the bridge. */
export const proof = ["ip", "netns", "exec", "net0", "ping", "-c", "3", "-W", "1", "10.0.1.2"];
