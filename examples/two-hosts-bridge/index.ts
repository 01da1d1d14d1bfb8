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
  return { namespace, cable };
});

export const namespaces = [hub.name, ...hosts.map((h) => h.namespace.name)];
export const bridge = br.name;
export const links = hosts.map((h) => ({ host: h.cable.a, bridgePort: h.cable.b }));
/** Run this (as root) to see net0 reach net1 across the bridge. */
export const proof =
  pulumi.interpolate`ip netns exec ${hosts[0]!.namespace.name} ping -c 3 -W 1 10.0.1.2`.apply((command) =>
    command.split(" "),
  );
