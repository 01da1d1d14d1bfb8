import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bridgeAdd, bridgeSet, secondsToCentiseconds } from "../../../provider/kernel/bridge";
import { KernelCommandError } from "../../../provider/kernel/errors";
import { scriptedIp } from "../../helpers/kernelRunner";

describe("bridgeAdd", () => {
  it("argv: name after name, group, type bridge, timers converted to centiseconds", async () => {
    const { ip, scripted } = scriptedIp();
    await bridgeAdd("n", "br", { stp: true, forwardDelay: 4, ageingTime: 300, mtu: 9000, group: 28275 }, ip);
    assert.deepEqual(scripted.argvs, [
      [
        ...["ip", "-n", "n", "link", "add", "name", "br", "mtu", "9000", "group", "28275", "type", "bridge"],
        ...["stp_state", "1", "forward_delay", "400", "ageing_time", "30000"],
      ],
    ]);
  });

  it("stp off is explicit; vlan_filtering off is left out (kernels without support refuse even 0)", async () => {
    const { ip, scripted } = scriptedIp();
    await bridgeAdd(undefined, "master", { vlanFiltering: false, group: 1 }, ip);
    assert.deepEqual(scripted.argvs, [
      ["ip", "link", "add", "name", "master", "group", "1", "type", "bridge", "stp_state", "0"],
    ]);
  });

  it("a kernel without VLAN filtering: the error's hint says so", async () => {
    const { ip } = scriptedIp([{ exitCode: 2, stderr: "RTNETLINK answers: Operation not supported\n" }]);
    await assert.rejects(bridgeAdd("n", "br", { vlanFiltering: true, group: 1 }, ip), (e: unknown) => {
      assert.ok(e instanceof KernelCommandError);
      assert.match(
        e.message,
        /vlan_filtering 1 failed \(exit 2\): RTNETLINK answers: Operation not supported\./,
      );
      assert.match(e.hint, /does not support VLAN filtering.*CONFIG_BRIDGE_VLAN_FILTERING/);
      return true;
    });
  });
});

describe("bridgeSet", () => {
  it("sends only what is given, vlan_filtering 0 included when explicit", () => {
    assert.deepEqual(bridgeSet("br", { stp: false, vlanFiltering: false, forwardDelay: 2.5 }), [
      ...["link", "set", "dev", "br", "type", "bridge"],
      ...["stp_state", "0", "vlan_filtering", "0", "forward_delay", "250"],
    ]);
    assert.deepEqual(bridgeSet("br", { ageingTime: 0 }), [
      ...["link", "set", "dev", "br", "type", "bridge", "ageing_time", "0"],
    ]);
    assert.deepEqual(bridgeSet("br", {}), []);
  });
});

describe("secondsToCentiseconds", () => {
  it("converts and rounds to 0.01 s; refuses negatives and non-numbers", () => {
    assert.equal(secondsToCentiseconds(15), "1500");
    assert.equal(secondsToCentiseconds(0.1 + 0.2), "30");
    for (const bad of [-1, NaN, Infinity]) assert.throws(() => secondsToCentiseconds(bad));
  });
});
