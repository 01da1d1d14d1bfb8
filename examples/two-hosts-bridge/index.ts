// The default topology: hosts net0 and net1, each in its own namespace, cabled by veth pairs to
// the bridge `br` in namespace `bridge`, on the subnet 10.0.1.0/24.
import * as pulumi from "@pulumi/pulumi";
import * as netns from "pulumi-netns";

const config = new pulumi.Config();
// Prefixed namespace names let several copies run side by side (the tests use this).
const prefix = config.get("namespacePrefix") ?? "";
const bridgeName = config.get("bridgeName") ?? "br";
const mtu = config.getNumber("mtu");

const hub = new netns.Namespace("bridge", { name: `${prefix}bridge` });
const br = new netns.Bridge("br", { name: bridgeName, namespace: hub.name });

const hosts = [
  { host: "net0", address: "10.0.1.1/24" },
  { host: "net1", address: "10.0.1.2/24" },
].map(({ host, address }) => {
  const namespace = new netns.Namespace(host, { name: `${prefix}${host}` });
  const cable = new netns.VethPair(`${host}-bridge`, {
    a: { name: `${host}-bridge`, namespace: namespace.name, addresses: [address] },
    b: { name: `bridge-${host}`, namespace: hub.name, master: br.name },
    mtu,
  });
  return { host, address, namespace, cable };
});

// Verify after apply: `pulumi up` fails unless each host reaches the other across the bridge.
// The probes run again whenever a link on the path changes (an MTU, an address, a re-created end).
const path = [br.name, br.ifindex, ...hosts.flatMap((h) => [h.cable.a, h.cable.b])];
const probes = hosts.map(
  (from, i) =>
    new netns.Probe(
      `${from.host}-reaches-${hosts[1 - i]!.host}`,
      { from: from.namespace.name, to: hosts[1 - i]!.address.split("/")[0]!, triggers: path },
      { dependsOn: [br, ...hosts.map((h) => h.cable)] },
    ),
);

export const namespaces = [hub.name, ...hosts.map((h) => h.namespace.name)];
export const bridge = br.name;
export const links = hosts.map((h) => ({ host: h.cable.a, bridgePort: h.cable.b }));
/** What the probes saw: each host's echo replies from the other. */
export const reachability = probes.map((p) => p.seen);
