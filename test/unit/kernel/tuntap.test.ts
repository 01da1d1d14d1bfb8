import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KernelCommandError } from "../../../provider/kernel/errors";
import { tapAdd, tapDelete } from "../../../provider/kernel/tuntap";
import { scriptedIp } from "../../helpers/kernelRunner";

describe("tapAdd", () => {
  it("one batch: tuntap add with numeric owner/group and flags, then the link group", async () => {
    const { ip, scripted } = scriptedIp();
    await tapAdd(
      "n",
      "up",
      { owner: 1000, group: 100, multiQueue: true, vnetHdr: true, linkGroup: 28275 },
      ip,
    );
    assert.deepEqual(scripted.calls, [
      {
        argv: ["ip", "-n", "n", "-batch", "-"],
        input:
          "tuntap add dev up mode tap user 1000 group 100 multi_queue vnet_hdr\n" +
          "link set dev up group 28275\n",
      },
    ]);
  });

  it("minimal tap in the host namespace", async () => {
    const { ip, scripted } = scriptedIp();
    await tapAdd(undefined, "tap0", { linkGroup: 5 }, ip);
    assert.deepEqual(scripted.calls[0]?.input, "tuntap add dev tap0 mode tap\nlink set dev tap0 group 5\n");
  });

  it("if the group line fails, the tap just made is deleted again", async () => {
    const { ip, scripted } = scriptedIp([
      { exitCode: 1, stderr: "RTNETLINK answers: Invalid argument\nCommand failed -:2\n" },
    ]);
    await assert.rejects(tapAdd("n", "t", { linkGroup: 5 }, ip), KernelCommandError);
    assert.deepEqual(scripted.argvs[1], ["ip", "-n", "n", "link", "delete", "dev", "t"]);
  });

  it("if tuntap add itself fails, nothing is deleted (it may be someone else's device)", async () => {
    const { ip, scripted } = scriptedIp([
      { exitCode: 1, stderr: "ioctl(TUNSETIFF): Device or resource busy\nCommand failed -:1\n" },
    ]);
    await assert.rejects(tapAdd("n", "t", { linkGroup: 5 }, ip), /busy/);
    assert.equal(scripted.calls.length, 1);
  });
});

describe("tapDelete", () => {
  it("link delete, already gone is success", async () => {
    const { ip, scripted } = scriptedIp([{ exitCode: 1, stderr: 'Cannot find device "t"\n' }]);
    await tapDelete("n", "t", ip);
    assert.deepEqual(scripted.argvs, [["ip", "-n", "n", "link", "delete", "dev", "t"]]);
  });
});
