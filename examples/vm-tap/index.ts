// A tap device for a VM: `tap0` on the bridge `br0` in namespace `vmnet`, owned by an
// unprivileged user so QEMU can run without root. The bridge has the gateway address the guest
// talks to.
import * as pulumi from "@pulumi/pulumi";
import * as netns from "pulumi-netns";

const config = new pulumi.Config();
const prefix = config.get("namespacePrefix") ?? "";
const user = config.getNumber("uid") ?? 1000;
const group = config.getNumber("gid") ?? user;
const tapName = config.get("tapName") ?? "tap0";

const vmnet = new netns.Namespace("vmnet", { name: `${prefix}vmnet` });
const br = new netns.Bridge("br0", { name: "br0", namespace: vmnet.name, addresses: ["192.168.100.1/24"] });
const tap = new netns.TapDevice("tap0", {
  name: tapName,
  namespace: vmnet.name,
  master: br.name,
  owner: user,
  group,
  vnetHdr: true,
  multiQueue: config.getBoolean("multiQueue") ?? false,
});

export const namespace = vmnet.name;
export const bridge = br.name;
export const tapDevice = tap.name;
/** Start the VM (as the tap's owner, inside the namespace) with this. */
export const qemu = pulumi.interpolate`ip netns exec ${vmnet.name} setpriv --reuid=${user} --regid=${group} --clear-groups qemu-system-x86_64 -netdev tap,id=n0,ifname=${tap.name},script=no,downscript=no,vhost=off -device virtio-net-pci,netdev=n0 ...`;
