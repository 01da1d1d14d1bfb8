// Two hosts on one parent link through macvlans: the parent `uplink` lives in namespace `lan`
// (one end of a veth pair whose other end, `wire`, gives it a carrier); each host gets a macvlan
// `eth0` on it, made in `lan` and moved straight into the host's namespace. In bridge mode the
// macvlans of one parent reach each other directly, without any bridge device.
import * as pulumi from "@pulumi/pulumi";
import * as netns from "pulumi-netns";

const config = new pulumi.Config();
// Prefixed namespace names let several copies run side by side (the tests use this).
const prefix = config.get("namespacePrefix") ?? "";
const mtu = config.getNumber("mtu");
// Renaming the veth's other end replaces the pair; the macvlans on `uplink` are replaced with it
// (the kernel deletes a macvlan with its parent).
const wireName = config.get("wireName") ?? "wire";

const lan = new netns.Namespace("lan", { name: `${prefix}lan` });
const uplink = new netns.VethPair("uplink", {
  a: { name: "uplink", namespace: lan.name },
  b: { name: wireName, namespace: lan.name },
});

const hosts = [
  { host: "h1", address: "10.40.0.1/24" },
  { host: "h2", address: "10.40.0.2/24" },
].map(({ host, address }) => {
  const namespace = new netns.Namespace(host, { name: `${prefix}${host}` });
  const link = new netns.Macvlan(`${host}-eth0`, {
    name: "eth0",
    namespace: namespace.name,
    parent: uplink.a.name,
    parentNamespace: lan.name,
    mode: "bridge",
    addresses: [address],
    mtu,
  });
  return { host, address, namespace, link };
});

// Verify after apply: `pulumi up` fails unless each host reaches the other through the parent.
const path = [uplink.a, ...hosts.flatMap((h) => [h.link.ifindex, h.link.mtu, h.link.mode])];
const probes = hosts.map(
  (from, i) =>
    new netns.Probe(
      `${from.host}-reaches-${hosts[1 - i]!.host}`,
      { from: from.namespace.name, to: hosts[1 - i]!.address.split("/")[0]!, triggers: path },
      { dependsOn: hosts.map((h) => h.link) },
    ),
);

export const namespaces = [lan.name, ...hosts.map((h) => h.namespace.name)];
export const links = hosts.map((h) => ({
  name: h.link.name,
  namespace: h.link.namespace,
  parent: h.link.parent,
}));
/** What the probes saw: each host's echo replies from the other. */
export const reachability = probes.map((p) => p.seen);
