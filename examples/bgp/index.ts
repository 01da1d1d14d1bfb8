// A routing lab: three routers in a line, r1 ── r2 ── r3, each with a host LAN behind it, and FRR
// (zebra + bgpd) in every router's namespace. Each router announces its LAN's prefix over eBGP to
// its neighbours; no route between the LANs is written down anywhere, so h1 reaches h3 only
// through what BGP learned. The hosts' default route to their own router (the Lan's `gateway`)
// is the only route configured by hand.
//
//   h1 ─ lan1 ─ r1 ══ r2 ══ r3 ─ lan3 ─ h3
//                     │
//                   lan2 ─ h2
//
// One FRR instance per router: `-N <namespace>` gives it its own paths (config in
// /etc/frr/<namespace>/, sockets and pid files in /var/run/frr/<namespace>/), which `vtysh -N
// <namespace>` finds. Every daemon is a netns.Service: an argv (no shell anywhere), its config
// through `files`, its directories through `directories` (removed with what FRR left in them on
// destroy).
import * as pulumi from "@pulumi/pulumi";
import * as netns from "pulumi-netns";

const config = new pulumi.Config();
const prefix = config.get("namespacePrefix") ?? "";

/** An IPv4 prefix `a.b.c.d/len` as its network number and length. */
function parsePrefix(cidr: string): { network: number; length: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m?.slice(1, 5).map(Number) ?? [];
  const length = Number(m?.[5]);
  if (!m || octets.some((o) => o > 255) || length < 8 || length > 30) {
    throw new Error(`a LAN is an IPv4 prefix from /8 to /30, such as 10.1.0.0/24; got ${cidr}`);
  }
  const address = octets.reduce((n, o) => n * 256 + o, 0);
  const size = 2 ** (32 - length);
  return { network: address - (address % size), length };
}

const dotted = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");

interface Router {
  readonly key: string;
  /** Its autonomous system: `pulumi config set r1Asn 65101`. */
  readonly asn: number;
  /** The LAN it announces: `pulumi config set r1Lan 10.11.0.0/24`. The router is .1, the host .2. */
  readonly lan: { prefix: string; router: string; host: string; length: number };
  readonly routerId: string;
}

const routers: Router[] = [1, 2, 3].map((i) => {
  const key = `r${i}`;
  const { network, length } = parsePrefix(config.get(`${key}Lan`) ?? `10.${i}.0.0/24`);
  return {
    key,
    asn: config.getNumber(`${key}Asn`) ?? 65000 + i,
    lan: {
      prefix: `${dotted(network)}/${length}`,
      router: dotted(network + 1),
      host: dotted(network + 2),
      length,
    },
    routerId: `10.255.0.${i}`,
  };
});

// The routers: forwarding on, nothing else.
const namespaces = routers.map(
  (r) => new netns.Namespace(r.key, { name: `${prefix}${r.key}`, sysctls: { "net.ipv4.ip_forward": "1" } }),
);

// Point-to-point links between neighbours, a /30 each: r1 .1 ── .2 r2 on 10.0.12.0/30, r2 .1 ── .2
// r3 on 10.0.23.0/30.
const links = [0, 1].map((i) => {
  const [left, right] = [routers[i]!, routers[i + 1]!];
  const subnet = `10.0.${i + 1}${i + 2}`;
  return new netns.VethPair(`${left.key}-${right.key}`, {
    a: { name: `to-${right.key}`, namespace: namespaces[i]!.name, addresses: [`${subnet}.1/30`] },
    b: { name: `to-${left.key}`, namespace: namespaces[i + 1]!.name, addresses: [`${subnet}.2/30`] },
  });
});
/** Each router's neighbours: their address on the shared link. */
const neighbours: string[][] = [["10.0.12.2"], ["10.0.12.1", "10.0.23.2"], ["10.0.23.1"]];

// Each router's host LAN: a bridge with one host (h1, h2, h3) whose default gateway is the
// router, and the router's own leg into the bridge.
const lans = routers.map((r, i) => {
  const lan = new netns.Lan(`lan${i + 1}`, {
    namespace: `${prefix}lan${i + 1}`,
    hosts: {
      [`${prefix}h${i + 1}`]: { addresses: [`${r.lan.host}/${r.lan.length}`], gateway: r.lan.router },
    },
  });
  const leg = new netns.VethPair(`${r.key}-lan`, {
    a: { name: "lan", namespace: namespaces[i]!.name, addresses: [`${r.lan.router}/${r.lan.length}`] },
    b: { name: r.key, namespace: lan.namespace, master: lan.bridge },
  });
  return { lan, leg };
});

// FRR, one instance per router. Its daemons start as root and drop to the user frr themselves;
// `-P 0` turns their TCP vty off (vtysh uses the unix sockets); `--log stdout` sends their log to
// the Service's log file.
const frr = routers.map((r, i) => {
  const namespace = namespaces[i]!;
  const space = `${prefix}${r.key}`;
  const etc = `/etc/frr/${space}`;
  const run = `/var/run/frr/${space}`;
  const daemon = (name: string) => [
    `/usr/lib/frr/${name}`,
    "-N",
    space,
    "-f",
    `${etc}/${name}.conf`,
    "-P",
    "0",
    "--log",
    "stdout",
  ];
  const owned = { owner: "frr:frr", mode: 0o640 };
  const dependsOn = [namespace, ...links, lans[i]!.leg];

  // zebra owns the router's directories: bgpd (which depends on it) writes its config into them,
  // and destroy removes them, with the sockets and pid files FRR leaves there, after both stop.
  const zebra = new netns.Service(
    `${r.key}-zebra`,
    {
      namespace: namespace.name,
      name: "zebra",
      command: daemon("zebra"),
      directories: [
        { path: etc, owner: "frr:frr", mode: 0o750 },
        { path: run, owner: "frr:frr", mode: 0o755 },
      ],
      files: [
        { path: `${etc}/zebra.conf`, content: `hostname ${r.key}\n`, ...owned },
        // What `vtysh -N` reads first; without it, every call warns that it is missing.
        { path: `${etc}/vtysh.conf`, content: "no service integrated-vtysh-config\n", ...owned },
      ],
      // Ready once it answers on its vty socket (its zserv socket for bgpd is up by then).
      readiness: { command: ["vtysh", "-N", space, "-d", "zebra", "-c", "show version"], timeoutSeconds: 15 },
    },
    { dependsOn },
  );

  // The AS number, the neighbours and the LAN announced, all in this router's bgpd.conf: a change
  // to one router restarts that router's bgpd alone. `remote-as external` accepts any AS but our
  // own, so a neighbour's AS number is not written here. The datacenter profile: keepalive 3 s,
  // hold 9 s, connect retry 10 s. With no route maps, eBGP needs `no bgp ebgp-requires-policy`
  // (RFC 8212's default of sending and accepting nothing).
  const bgpdConf = [
    "frr defaults datacenter",
    `hostname ${r.key}`,
    `router bgp ${r.asn}`,
    ` bgp router-id ${r.routerId}`,
    " no bgp ebgp-requires-policy",
    ...neighbours[i]!.map((n) => ` neighbor ${n} remote-as external`),
    " address-family ipv4 unicast",
    `  network ${r.lan.prefix}`,
    " exit-address-family",
    "",
  ].join("\n");
  const bgpd = new netns.Service(
    `${r.key}-bgpd`,
    {
      namespace: namespace.name,
      name: "bgpd",
      command: daemon("bgpd"),
      files: [{ path: `${etc}/bgpd.conf`, content: bgpdConf, ...owned }],
      readiness: { tcpPort: 179, timeoutSeconds: 15 },
    },
    { dependsOn: [zebra] },
  );
  return { zebra, bgpd };
});

// Verify after apply: each end host reaches the other. Nothing but BGP put a route between their
// LANs on the routers, so these pass only once the sessions are up and the prefixes have crossed
// r2. They run again whenever a bgpd restarts (its pid changes).
const hostName = (i: number) => `${prefix}h${i + 1}`;
const everyDaemon = frr.flatMap((f) => [f.zebra, f.bgpd]);
const probes = [
  [0, 2],
  [2, 0],
].map(
  ([from, to]) =>
    new netns.Probe(
      `h${from! + 1}-reaches-h${to! + 1}`,
      {
        from: lans[from!]!.lan.hosts.apply(() => hostName(from!)),
        to: routers[to!]!.lan.host,
        deadlineSeconds: 30,
        triggers: frr.map((f) => f.bgpd.pid),
      },
      { dependsOn: [...everyDaemon, ...lans.map((l) => l.lan)] },
    ),
);

/** Each router: its namespace (and FRR pathspace, for `vtysh -N`), AS number and announced LAN. */
export const routerSummary = routers.map((r, i) => ({
  namespace: namespaces[i]!.name,
  asn: r.asn,
  announces: r.lan.prefix,
}));
export const daemonPids = Object.fromEntries(
  routers.map((r, i) => [r.key, { zebra: frr[i]!.zebra.pid, bgpd: frr[i]!.bgpd.pid }]),
);
/** What the probes saw: h1 and h3 reaching each other across the three routers. */
export const reachability = probes.map((p) => p.seen);
