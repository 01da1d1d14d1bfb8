// Two sites, A and B, each a namespace with the bridge `br` and two hosts cabled to it. The sites
// are joined by one routed underlay link (192.168.100.0/30); on each site a VXLAN device tunnels
// the bridge's frames over it to the other site, so the four hosts share one LAN, 10.200.0.0/24.
// The same shape joins labs on two machines: the underlay is then the machines' own network.
import * as pulumi from "@pulumi/pulumi";
import * as netns from "pulumi-netns";

const config = new pulumi.Config();
// Prefixed namespace names let several copies run side by side (the tests use this).
const prefix = config.get("namespacePrefix") ?? "";
// The VXLAN network identifier both sites tunnel under; a new one re-creates both devices.
const vni = config.getNumber("vni") ?? 100;
// The overlay's MTU, on the VXLAN devices and the hosts' cables alike: VXLAN over IPv4 costs 50
// bytes of the underlay's 1500, and a bridge drops (it does not fragment) what is too big.
const mtu = config.getNumber("mtu") ?? 1450;

const sites = ["a", "b"].map((site) => {
  const namespace = new netns.Namespace(`site-${site}`, { name: `${prefix}site-${site}` });
  const br = new netns.Bridge(`site-${site}-br`, { name: "br", namespace: namespace.name });
  return { site, namespace, br };
});
const [a, b] = sites as [(typeof sites)[number], (typeof sites)[number]];

// The underlay: a routed link between the sites, as a WAN or the machines' LAN would be.
const underlayAddress = { a: "192.168.100.1", b: "192.168.100.2" };
const underlay = new netns.VethPair("underlay", {
  a: { name: "underlay", namespace: a.namespace.name, addresses: [`${underlayAddress.a}/30`] },
  b: { name: "underlay", namespace: b.namespace.name, addresses: [`${underlayAddress.b}/30`] },
});

// Each site's tunnel end: a port of its bridge, sending through its end of the underlay to the
// other site's address (`dev` names the underlay by its output, so the tunnel waits for it).
const tunnels = sites.map(({ site, namespace, br }) => {
  const other = site === "a" ? "b" : "a";
  return new netns.Vxlan(`site-${site}-vxlan`, {
    name: "vxlan0",
    namespace: namespace.name,
    vni,
    local: underlayAddress[site as "a" | "b"],
    remote: underlayAddress[other],
    dev: site === "a" ? underlay.a.name : underlay.b.name,
    master: br.name,
    mtu,
  });
});

const hosts = sites.flatMap(({ site, namespace: siteNamespace, br }, s) =>
  [1, 2].map((n) => {
    const host = `${site}${n}`;
    const address = `10.200.0.${s * 2 + n}`;
    const namespace = new netns.Namespace(host, { name: `${prefix}${host}` });
    const cable = new netns.VethPair(`${host}-cable`, {
      a: { name: "eth0", namespace: namespace.name, addresses: [`${address}/24`] },
      b: { name: host, namespace: siteNamespace.name, master: br.name },
      mtu,
    });
    return { host, address, namespace, cable };
  }),
);

// Verify after apply: `pulumi up` fails unless a host at each site reaches one at the other,
// through both bridges and the tunnel. The probes run again when a link on the path changes
// (a re-created tunnel after a new VNI, a new MTU).
const byName = Object.fromEntries(hosts.map((h) => [h.host, h]));
const path = [...tunnels, ...hosts.map((h) => h.cable.a), underlay.a, underlay.b];
const probes = [
  ["a1", "b1"],
  ["b2", "a2"],
].map(
  ([from, to]) =>
    new netns.Probe(
      `${from}-reaches-${to}`,
      { from: byName[from!]!.namespace.name, to: byName[to!]!.address, triggers: path },
      { dependsOn: [...tunnels, underlay, ...hosts.map((h) => h.cable)] },
    ),
);

export const tunnel = tunnels.map((t) => ({
  namespace: t.namespace,
  vni: t.vni,
  mtu: t.mtu,
  ifindex: t.ifindex,
}));
export const addresses = Object.fromEntries(hosts.map((h) => [h.host, h.address]));
/** What the probes saw: a1 reaching b1 and b2 reaching a2, across the tunnel. */
export const reachability = probes.map((p) => p.seen);
