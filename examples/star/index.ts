// N hosts on one bridge: namespace `hub` holds bridge `br`; hosts `h1`..`hN` each get a veth
// pair whose host end `eth0` has 10.20.i/16 and whose hub end `hI` is a port of the bridge.
// N is the stack config value `hosts` (default 10; up to 65534 addresses fit the /16).
// With `lan: true` the same star is one netns.Lan instead of 2N+2 resources (README "Large labs").
// With `machineAddress` (and `machineHostKey`) set, the whole star is built on that machine over
// SSH instead of this one (README "Several machines").
import * as pulumi from "@pulumi/pulumi";
import * as netns from "pulumi-netns";

const config = new pulumi.Config();
const prefix = config.get("namespacePrefix") ?? "";
const count = config.getNumber("hosts") ?? 10;
const bridgeName = config.get("bridgeName") ?? "br";
const mtu = config.getNumber("mtu");
const asLan = config.getBoolean("lan") ?? false;
const machineAddress = config.get("machineAddress");
const privateKey = config.getSecret("privateKey");
// Every resource's `host`; undefined: this machine.
const host = machineAddress
  ? {
      address: machineAddress,
      port: config.getNumber("machinePort") ?? 22,
      user: config.get("machineUser") ?? "root",
      // The machine's public host key, compared out of band: one answering with another is refused.
      hostKey: config.require("machineHostKey"),
      ...(privateKey ? { privateKey } : {}),
    }
  : undefined;

const address = (i: number) => `10.20.${Math.floor(i / 256)}.${i % 256}`;
const indexes = Array.from({ length: count }, (_, index) => index + 1);

function fineGrained(): pulumi.Output<string>[] {
  const hub = new netns.Namespace("hub", { name: `${prefix}hub`, host });
  const br = new netns.Bridge("br", { name: bridgeName, namespace: hub.name, host });
  return indexes.map((i) => {
    const h = new netns.Namespace(`h${i}`, { name: `${prefix}h${i}`, host });
    new netns.VethPair(`h${i}-cable`, {
      a: { name: "eth0", namespace: h.name, addresses: [`${address(i)}/16`] },
      b: { name: `h${i}`, namespace: hub.name, master: br.name },
      mtu,
      host,
    });
    return h.name;
  });
}

function oneLan(): pulumi.Output<string>[] {
  const lan = new netns.Lan("star", {
    namespace: `${prefix}hub`,
    bridge: bridgeName,
    mtu,
    host,
    hosts: Object.fromEntries(
      indexes.map((i) => [`${prefix}h${i}`, { port: `h${i}`, addresses: [`${address(i)}/16`] }]),
    ),
  });
  return indexes.map((i) => lan.hosts.apply(() => `${prefix}h${i}`));
}

export const hostNamespaces = asLan ? oneLan() : fineGrained();
export const addresses = indexes.map(address);
