// A LAN whose hosts get their addresses over DHCP: dnsmasq (a netns.Service) serves the segment
// from host `server`, the only host with an address of its own; hosts `h1` and `h2` declare none
// and each runs busybox's DHCP client (a netns.Service too), whose script applies the lease.
// A probe from h2 to h1's reserved address proves both got theirs from dnsmasq. No shell starts
// anything: every service is an argv.
import * as netns from "pulumi-netns";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const prefix = config.get("namespacePrefix") ?? "";

const serverAddress = "10.50.0.1";
/** What dnsmasq hands out; h1 always gets `h1Address`, by the hostname its client sends. */
const range = { first: "10.50.0.100", last: "10.50.0.199" };
const h1Address = "10.50.0.150";

const [server, h1, h2] = ["server", "h1", "h2"].map((host) => `${prefix}${host}`) as [string, string, string];

// One engine resource for the segment: a bridge in namespace `lan` and a namespace per host on a
// cable into it. h1 and h2 declare no address: their interfaces come up empty.
const lan = new netns.Lan("lan", {
  namespace: `${prefix}lan`,
  hosts: { [server]: { addresses: [`${serverAddress}/24`] }, [h1]: {}, [h2]: {} },
});
/** A host's namespace name, known once the Lan has made it (so what runs there waits for it). */
const namespaceOf = (host: string) => lan.hosts.apply(() => host);

/**
 * A service's own directory (one of its `directories`): made on up before its files are written,
 * kept across restarts, removed on destroy with what the program wrote in it.
 */
const directoryOf = (service: string) => `/run/${prefix}dhcp-${service}`;

// dnsmasq as a DHCP server only (port=0: no DNS), in the foreground, logging to its Service log.
// Its leases go to its own directory, not to the machine's /var/lib/misc, and no pid file is
// written. Debian's dnsmasq-base is the program alone; the `dnsmasq` package would also start a
// machine-wide daemon.
const dnsmasqDir = directoryOf("dnsmasq");
const leaseFile = `${dnsmasqDir}/leases`;
const dnsmasq = new netns.Service("dnsmasq", {
  namespace: namespaceOf(server),
  command: ["dnsmasq", "--keep-in-foreground", `--conf-file=${dnsmasqDir}/dnsmasq.conf`],
  directories: [{ path: dnsmasqDir }],
  files: [
    {
      path: `${dnsmasqDir}/dnsmasq.conf`,
      content: [
        "port=0",
        "interface=eth0",
        "pid-file=",
        "log-facility=-",
        `dhcp-range=${range.first},${range.last},255.255.255.0,1h`,
        `dhcp-host=h1,${h1Address}`,
        `dhcp-leasefile=${leaseFile}`,
        "dhcp-authoritative",
        // Every address of the range is dnsmasq's to give: no ping before an offer (it delays the
        // offer by 3 s, past the time busybox's client waits for one).
        "no-ping",
        "",
      ].join("\n"),
    },
  ],
});

// udhcpc does not touch the interface itself: it hands each event and the lease to this script.
// The address gets the lease's lifetime, so the kernel drops it if the lease runs out, and it is
// "dynamic": the Lan manages permanent addresses only, so refresh and up leave it alone.
const applyLease = `#!/bin/sh
# udhcpc's hook: $1 is the event, the lease is in the environment ($interface, $ip, $mask, $lease).
case "$1" in
  deconfig) ip -4 address flush dev "$interface" ;;
  bound | renew) ip address replace "$ip/$mask" dev "$interface" valid_lft "$lease" preferred_lft "$lease" ;;
esac
`;

/** busybox's DHCP client on `eth0` of `host`, in the foreground, releasing its lease when stopped. */
function dhcpClient(host: string, name: string): netns.Service {
  const dir = directoryOf(name);
  return new netns.Service(
    `${name}-dhcp`,
    {
      namespace: namespaceOf(host),
      name: "udhcpc",
      // -T 1: one second between discovers (the server may still be starting); -x: the hostname
      // dnsmasq matches its reservations against and writes into its lease file.
      command: [
        "busybox",
        "udhcpc",
        "-f",
        "-R",
        "-i",
        "eth0",
        "-T",
        "1",
        "-x",
        `hostname:${name}`,
        "-s",
        `${dir}/apply-lease`,
      ],
      directories: [{ path: dir }],
      files: [{ path: `${dir}/apply-lease`, content: applyLease, mode: 0o755 }],
      // Ready once the lease is applied: until then the host has no route into the LAN.
      readiness: { command: ["ip", "route", "get", serverAddress], timeoutSeconds: 20 },
    },
    { dependsOn: [dnsmasq] },
  );
}
const clients = [dhcpClient(h1, "h1"), dhcpClient(h2, "h2")];

// h2 reaches h1 at the address dnsmasq reserved for it: neither declared an address, so both came
// from dnsmasq.
const reached = new netns.Probe(
  "h2-reaches-h1",
  { from: namespaceOf(h2), to: h1Address, triggers: clients.map((c) => c.pid) },
  { dependsOn: clients },
);

export const hostNamespaces = [server, h1, h2];
export const dnsmasqLeaseFile = leaseFile;
export const dnsmasqLog = dnsmasq.logFile;
export const h2ReachedH1 = reached.seen;
