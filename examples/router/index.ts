// Two subnets joined by a router: hosts h1 (10.1.0.2, fd00:1::2) and h2 (10.2.0.2, fd00:2::2)
// each have a cable to namespace `router`, which forwards IPv4 and IPv6 between them. Each host
// routes everything through the router, in both families.
import * as pulumi from "@pulumi/pulumi";
import * as netns from "pulumi-netns";

const config = new pulumi.Config();
const prefix = config.get("namespacePrefix") ?? "";
const hostInterface = config.get("hostInterface") ?? "eth0";
const mtu = config.getNumber("mtu");

const router = new netns.Namespace("router", {
  name: `${prefix}router`,
  sysctls: { "net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1" },
});

const subnets = [1, 2].map((n) => {
  const host = new netns.Namespace(`h${n}`, { name: `${prefix}h${n}` });
  const gateway = { v4: `10.${n}.0.1`, v6: `fd00:${n}::1` };
  const cable = new netns.VethPair(`h${n}-cable`, {
    a: { name: hostInterface, namespace: host.name, addresses: [`10.${n}.0.2/24`, `fd00:${n}::2/64`] },
    b: { name: `h${n}`, namespace: router.name, addresses: [`${gateway.v4}/24`, `${gateway.v6}/64`] },
    mtu,
  });
  // Routing through the cable's own output makes each route wait for its link, and follow it
  // in place if the link is renamed.
  const routes = Object.entries(gateway).map(
    ([family, via]) =>
      new netns.Route(`h${n}-default-${family}`, {
        namespace: host.name,
        destination: "default",
        via,
        dev: cable.a.name,
      }),
  );
  return { name: `h${n}`, host, cable, routes, address: { v4: `10.${n}.0.2`, v6: `fd00:${n}::2` } };
});

// Verify after apply: each host reaches the other through the router, in both families. The
// probes run again whenever a cable or a route on the way changes.
const [s1, s2] = subnets as [(typeof subnets)[number], (typeof subnets)[number]];
const onTheWay = [router, ...subnets.flatMap((s) => [s.cable, ...s.routes])];
const triggers = subnets.flatMap((s) => [s.cable.a, s.cable.b, ...s.routes.map((r) => [r.via, r.dev])]);
const probes = [
  [s1, s2],
  [s2, s1],
].flatMap(([from, to]) =>
  (["v4", "v6"] as const).map(
    (family) =>
      new netns.Probe(
        `${from!.name}-reaches-${to!.name}-${family}`,
        { from: from!.host.name, to: to!.address[family], triggers },
        { dependsOn: onTheWay },
      ),
  ),
);

export const hosts = subnets.map((s) => ({ namespace: s.host.name, addresses: s.address }));
/** What the probes saw: h1 and h2 reaching each other through the router, over IPv4 and IPv6. */
export const reachability = probes.map((p) => p.seen);
