// N hosts on one bridge: namespace `hub` holds bridge `br`; hosts `h1`..`hN` each get a veth
// pair whose host end `eth0` has 10.20.i/16 and whose hub end `hI` is a port of the bridge.
// N is the stack config value `hosts` (default 10; up to 65534 addresses fit the /16).
import * as pulumi from "@pulumi/pulumi";
import * as netns from "pulumi-netns";

const config = new pulumi.Config();
const prefix = config.get("namespacePrefix") ?? "";
const count = config.getNumber("hosts") ?? 10;
const bridgeName = config.get("bridgeName") ?? "br";
const mtu = config.getNumber("mtu");

const hub = new netns.Namespace("hub", { name: `${prefix}hub` });
const br = new netns.Bridge("br", { name: bridgeName, namespace: hub.name });

const address = (i: number) => `10.20.${Math.floor(i / 256)}.${i % 256}`;
const hosts = Array.from({ length: count }, (_, index) => {
  const i = index + 1;
  const host = new netns.Namespace(`h${i}`, { name: `${prefix}h${i}` });
  new netns.VethPair(`h${i}-cable`, {
    a: { name: "eth0", namespace: host.name, addresses: [`${address(i)}/16`] },
    b: { name: `h${i}`, namespace: hub.name, master: br.name },
    mtu,
  });
  return host.name;
});

export const hostNamespaces = hosts;
export const addresses = Array.from({ length: count }, (_, index) => address(index + 1));
