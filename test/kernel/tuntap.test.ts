import assert from "node:assert/strict";
import { it } from "node:test";
import { defaultIp, OWNED_LINK_GROUP } from "../../provider/kernel/ip";
import { linkSetMtu, linkSetUp, linkShow } from "../../provider/kernel/link";
import { tapAdd, tapDelete } from "../../provider/kernel/tuntap";
import { kernelSuite, roundTrip } from "../helpers/kernelSandbox";

kernelSuite("tap (real kernel)", (sb) => {
  it("named type, owner/group/multi_queue/vnet_hdr, persistent; updated; deleted", async () => {
    const n = await sb.netns("t");
    await roundTrip({
      add: () =>
        tapAdd(n, "type", {
          owner: 1,
          group: 65534,
          multiQueue: true,
          vnetHdr: true,
          linkGroup: OWNED_LINK_GROUP,
        }),
      read: () => linkShow(n, "type"),
      checkAdded: (t) => {
        assert.equal(t.kind, "tun");
        assert.equal(t.group, OWNED_LINK_GROUP);
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
  });

  it("minimal tap: no owner, single queue", async () => {
    const n = await sb.netns("m");
    await tapAdd(n, "dev", { linkGroup: OWNED_LINK_GROUP });
    assert.deepEqual((await linkShow(n, "dev"))?.tun, {
      mode: "tap",
      multiQueue: false,
      vnetHdr: false,
      persist: true,
      owner: undefined,
      group: undefined,
    });
  });

  it("a taken name fails and leaves the existing device alone", async () => {
    const n = await sb.netns("x");
    await tapAdd(n, "t0", { owner: 1, linkGroup: 7 });
    await assert.rejects(tapAdd(n, "t0", { linkGroup: OWNED_LINK_GROUP }));
    const t = await linkShow(n, "t0");
    assert.equal(t?.group, 7);
    assert.equal(t?.tun?.owner, 1);
  });
});
