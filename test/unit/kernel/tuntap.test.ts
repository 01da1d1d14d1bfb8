import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tapAddLines, tapDelete, tapStagingName } from "../../../provider/kernel/tuntap";
import { interfaceNameProblems } from "../../../provider/schema/names";
import { scriptedIp } from "../../helpers/kernelRunner";

describe("tapAddLines", () => {
  it("adds under the staging name with numeric owner/group and flags, sets the link group, then renames", () => {
    assert.deepEqual(
      tapAddLines("up", {
        owner: 1000,
        group: 100,
        multiQueue: true,
        vnetHdr: true,
        linkGroup: 28275,
        stagingName: "pnsabc",
      }),
      [
        [
          "tuntap",
          "add",
          "dev",
          "pnsabc",
          "mode",
          "tap",
          "user",
          "1000",
          "group",
          "100",
          "multi_queue",
          "vnet_hdr",
        ],
        ["link", "set", "dev", "pnsabc", "group", "28275"],
        ["link", "set", "dev", "pnsabc", "name", "up"],
      ],
    );
  });

  it("minimal tap", () => {
    assert.deepEqual(tapAddLines("tap0", { linkGroup: 5, stagingName: "pnsx" })[0], [
      "tuntap",
      "add",
      "dev",
      "pnsx",
      "mode",
      "tap",
    ]);
  });
});

describe("tapStagingName", () => {
  it("is a valid interface name, fixed per mark, different between marks", () => {
    const a = tapStagingName("i1/p/s/TapDevice/a");
    assert.match(a, /^pns[a-z2-7]{12}$/);
    assert.deepEqual(interfaceNameProblems(a), []);
    assert.equal(tapStagingName("i1/p/s/TapDevice/a"), a);
    assert.notEqual(tapStagingName("i2/p/s/TapDevice/a"), a);
  });
});

describe("tapDelete", () => {
  it("link delete, already gone is success", async () => {
    const { ip, scripted } = scriptedIp([{ exitCode: 1, stderr: 'Cannot find device "t"\n' }]);
    await tapDelete("n", "t", ip);
    assert.deepEqual(scripted.argvs, [["ip", "-n", "n", "link", "delete", "dev", "t"]]);
  });
});
