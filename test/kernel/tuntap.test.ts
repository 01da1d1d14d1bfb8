import assert from "node:assert/strict";
import { it } from "node:test";
import { defaultIp, linkGroupFor } from "../../provider/kernel/ip";
import { linkSetMtu, linkSetUp, linkShow } from "../../provider/kernel/link";
import { tapAddLines, tapDelete, tapStagingName, type TapOptions } from "../../provider/kernel/tuntap";
import { kernelSuite, roundTrip } from "../helpers/kernelSandbox";

const mark = "0123456789abcdef/proj/stack/TapDevice/t";
const tapAdd = (n: string, name: string, options: Omit<TapOptions, "linkGroup" | "stagingName">) =>
  defaultIp().batch(
    n,
    tapAddLines(name, { ...options, linkGroup: linkGroupFor(mark), stagingName: tapStagingName(mark) }),
  );

kernelSuite("tap (real kernel)", (sb) => {
  it("named type, owner/group/multi_queue/vnet_hdr, persistent, in the owner's group; updated; deleted", async () => {
    const n = await sb.netns("t");
    await roundTrip({
      add: () => tapAdd(n, "type", { owner: 1, group: 65534, multiQueue: true, vnetHdr: true }),
      read: () => linkShow(n, "type"),
      checkAdded: (t) => {
        assert.equal(t.kind, "tun");
        assert.equal(t.group, linkGroupFor(mark));
        assert.deepEqual(t.tun, {
          mode: "tap",
          multiQueue: true,
          vnetHdr: true,
          persist: true,
          owner: 1,
          group: 65534,
        });
      },
      update: () => defaultIp().batch(n, [linkSetMtu("type", 9000), linkSetUp("type")]),
      checkUpdated: (t) => {
        assert.equal(t.mtu, 9000);
        assert.equal(t.adminUp, true);
        assert.equal(t.operstate, "DOWN", "no process attached: no carrier");
      },
      remove: () => tapDelete(n, "type"),
    });
    assert.equal(
      await linkShow(n, tapStagingName(mark)),
      undefined,
      "the staging name is gone after the rename",
    );
  });

  it("minimal tap: no owner, single queue", async () => {
    const n = await sb.netns("m");
    await tapAdd(n, "dev", {});
    assert.deepEqual((await linkShow(n, "dev"))?.tun, {
      mode: "tap",
      multiQueue: false,
      vnetHdr: false,
      persist: true,
      owner: undefined,
      group: undefined,
    });
  });

  it("a taken name fails at the rename and leaves the existing device alone", async () => {
    const n = await sb.netns("x");
    await defaultIp().batch(n, [
      ["tuntap", "add", "dev", "t0", "mode", "tap", "user", "1"],
      ["link", "set", "dev", "t0", "group", "7"],
    ]);
    await assert.rejects(tapAdd(n, "t0", {}), /File exists|exists/);
    const t = await linkShow(n, "t0");
    assert.equal(t?.group, 7);
    assert.equal(t?.tun?.owner, 1);
    const staged = await linkShow(n, tapStagingName(mark));
    assert.equal(
      staged?.group,
      linkGroupFor(mark),
      "what the failed add left is recognisable by name and group",
    );
  });
});
