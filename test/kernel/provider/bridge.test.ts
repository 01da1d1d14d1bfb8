import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { uniquePrefix } from "../../helpers/names";
import { addressesOf, ip, ipJson, linkOf, removeByPrefix } from "../../helpers/readback";
import { isRoot, requireRoot } from "../../helpers/root";
import { driver, managedBy } from "./harness";

const p = uniquePrefix();
const bridge = driver("Bridge");
const n1 = `${p}-1`;

const info = (name: string) => (linkOf(n1, name).linkinfo as { info_data: Record<string, number> }).info_data;

describe("Bridge provider against the kernel", { concurrency: false }, () => {
  before(() => {
    if (!isRoot()) return;
    removeByPrefix(p);
    ip(["netns", "add", n1]);
  });
  after(() => removeByPrefix(p));

  test("create with settings, update them in place, drift, delete", async (t) => {
    if (!requireRoot(t)) return;
    const inputs = {
      name: "br",
      namespace: n1,
      stp: true,
      forwardDelay: 4,
      ageingTime: 60,
      addresses: ["10.96.0.1/24"],
      mtu: 1450,
      managedBy: managedBy(p, "Bridge", "br"),
    };
    const { id, outs } = await bridge.create(inputs);
    assert.equal(info("br").stp_state, 1);
    assert.equal(info("br").forward_delay, 400);
    assert.equal(info("br").ageing_time, 6000);
    assert.equal(linkOf(n1, "br").mtu, 1450);
    assert.deepEqual(addressesOf(n1, "br"), ["10.96.0.1/24"]);
    assert.equal(outs.stp, true);
    assert.equal(outs.forwardDelay, 4);

    const { diff, result } = await bridge.update(id, outs, { ...inputs, stp: false, ageingTime: 30 });
    assert.deepEqual(diff.replaces, []);
    assert.equal(info("br").stp_state, 0);
    assert.equal(info("br").ageing_time, 3000);
    assert.equal(result.outs.ifindex, outs.ifindex, "same device");

    ip(["-n", n1, "link", "set", "dev", "br", "down"]);
    const read = await bridge.read(id, result.outs);
    assert.equal(read.props?.up, false);
    await bridge.update(id, read.props!, { ...inputs, stp: false, ageingTime: 30 });
    assert.ok((linkOf(n1, "br").flags as string[]).includes("UP"));

    await bridge.delete(id, result.outs);
    assert.equal(ipJson(["-n", n1, "link", "show", "type", "bridge"]).length, 0);
    await bridge.delete(id, result.outs);
  });

  test("a bridge that cannot be configured is rolled back", async (t) => {
    if (!requireRoot(t)) return;
    // An address the kernel refuses on the bridge (a multicast IPv4 address as a local address
    // is accepted, so use an MTU the bridge refuses instead: a bridge's max MTU is 65535, a
    // port-less bridge takes it; but a MAC that is all zeros is refused by the kernel).
    await assert.rejects(
      bridge.provider.create({
        name: "brx",
        namespace: n1,
        addresses: [],
        up: true,
        stp: false,
        vlanFiltering: false,
        adopt: false,
        macAddress: "00:00:00:00:00:00",
        managedBy: managedBy(p, "Bridge", "brx"),
      }),
      /Cannot assign requested address/,
    );
    assert.equal(ipJson(["-n", n1, "link", "show", "type", "bridge"]).length, 0, "nothing left");
  });

  test("a non-bridge device of that name is refused even with adopt", async (t) => {
    if (!requireRoot(t)) return;
    ip(["-n", n1, "link", "add", "name", "notbr", "type", "veth", "peer", "name", "notbr1"]);
    await assert.rejects(
      bridge.create({ name: "notbr", namespace: n1, adopt: true, managedBy: managedBy(p, "Bridge", "n") }),
      /already exists as a veth, not a bridge/,
    );
    ip(["-n", n1, "link", "delete", "dev", "notbr"]);
  });
});
