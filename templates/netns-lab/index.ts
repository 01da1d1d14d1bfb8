// A lab on this machine: hosts h1 and h2, each a network namespace of its own, cabled by veth
// pairs to the bridge br0 in namespace hub, on 10.0.0.0/24.
import * as pulumi from "@pulumi/pulumi";
import * as netns from "pulumi-netns";

// Namespace names are global on a machine: the prefix lets two labs (or a lab and the repository's
// default topology) live side by side.
const prefix = new pulumi.Config().get("namespacePrefix") ?? "lab-";

const hub = new netns.Namespace("hub", { name: `${prefix}hub` });
const bridge = new netns.Bridge("br0", { name: "br0", namespace: hub.name });

const hosts = [
  { name: "h1", address: "10.0.0.1" },
  { name: "h2", address: "10.0.0.2" },
].map(({ name, address }) => {
  const namespace = new netns.Namespace(name, { name: `${prefix}${name}` });
  const cable = new netns.VethPair(`${name}-cable`, {
    a: { name: "eth0", namespace: namespace.name, addresses: [`${address}/24`] },
    b: { name, namespace: hub.name, master: bridge.name },
  });
  return { name, address, namespace, cable };
});

// `pulumi up` fails unless each host answers the other's ping across the bridge. The triggers
// are the links on the path, so a rebuilt cable or bridge is checked again.
const path = [bridge.ifindex, ...hosts.flatMap((h) => [h.cable.a, h.cable.b])];
const probes = hosts.map((from, i) => {
  const to = hosts[1 - i]!;
  return new netns.Probe(
    `${from.name}-reaches-${to.name}`,
    { from: from.namespace.name, to: to.address, triggers: path },
    { dependsOn: [bridge, ...hosts.map((h) => h.cable)] },
  );
});

export const namespaces = [hub.name, ...hosts.map((h) => h.namespace.name)];
/** What each probe saw during `pulumi up`: the echo replies of the other host. */
export const reachability = probes.map((p) => p.seen);
