import { execFileSync } from "node:child_process";
import assert from "node:assert/strict";
import { it } from "node:test";
import { bridgeAdd, bridgeSet } from "../../provider/kernel/bridge";
import { KernelCommandError } from "../../provider/kernel/errors";
import { defaultIp, LEGACY_OWNED_LINK_GROUP } from "../../provider/kernel/ip";
import { linkDelete, linkSetMaster, linkSetMtu, linkSetNoMaster, linkShow } from "../../provider/kernel/link";
import { vethAdd } from "../../provider/kernel/veth";
import { kernelSuite, roundTrip } from "../helpers/kernelSandbox";

kernelSuite("bridge (real kernel)", (sb) => {
  it("named br, STP on with timers in seconds; updated in place; deleted", async () => {
    const n = await sb.netns("b");
    await roundTrip({
      add: () =>
        bridgeAdd(n, "br", {
          stp: true,
          forwardDelay: 4,
          ageingTime: 300,
          mtu: 1450,
          group: LEGACY_OWNED_LINK_GROUP,
        }),
      read: () => linkShow(n, "br"),
      checkAdded: (b) => {
        assert.equal(b.kind, "bridge");
        assert.equal(b.mtu, 1450);
        assert.equal(b.group, LEGACY_OWNED_LINK_GROUP);
        assert.deepEqual(b.bridge, { stp: true, vlanFiltering: false, forwardDelay: 4, ageingTime: 300 });
      },
      update: () =>
        defaultIp().batch(n, [
          bridgeSet("br", { stp: false, forwardDelay: 10, ageingTime: 60 }),
          linkSetMtu("br", 1400),
        ]),
      checkUpdated: (b) => {
        assert.deepEqual(b.bridge, { stp: false, vlanFiltering: false, forwardDelay: 10, ageingTime: 60 });
        assert.equal(b.mtu, 1400);
      },
      remove: () => linkDelete(n, "br"),
    });
  });

  it("ports attach and detach (names master, up)", async () => {
    const n = await sb.netns("p");
    await bridgeAdd(n, "master", { group: LEGACY_OWNED_LINK_GROUP });
    await vethAdd({
      a: { name: "up", netns: n },
      b: { name: "up2", netns: n },
      group: LEGACY_OWNED_LINK_GROUP,
    });
    await defaultIp().batch(n, [linkSetMaster("up", "master")]);
    assert.equal((await linkShow(n, "up"))?.master, "master");
    await defaultIp().batch(n, [linkSetNoMaster("up")]);
    assert.equal((await linkShow(n, "up"))?.master, undefined);
  });

  it("forward delay outside 2-30 s: clamped when STP starts at create, refused with a hint later", async () => {
    const n = await sb.netns("r");
    await bridgeAdd(n, "b0", { stp: true, forwardDelay: 1, group: LEGACY_OWNED_LINK_GROUP });
    assert.equal((await linkShow(n, "b0"))?.bridge?.forwardDelay, 2);
    await assert.rejects(defaultIp().batch(n, [bridgeSet("b0", { forwardDelay: 1 })]), (e: unknown) => {
      return e instanceof KernelCommandError && /2 to 30 s/.test(e.hint);
    });
  });

  it("VLAN filtering: works where the kernel has it, and fails with the hint where it lacks it", async () => {
    const n = await sb.netns("v");
    // Whether this kernel has CONFIG_BRIDGE_VLAN_FILTERING, told by the kernel itself: a bridge's
    // sysfs directory has `vlan_filtering` only then.
    await bridgeAdd(n, "probe", { group: LEGACY_OWNED_LINK_GROUP });
    const supported = execFileSync("ip", ["netns", "exec", n, "ls", "/sys/class/net/probe/bridge"], {
      encoding: "utf8",
    })
      .split("\n")
      .includes("vlan_filtering");
    const attempt = bridgeAdd(n, "bv", { vlanFiltering: true, group: LEGACY_OWNED_LINK_GROUP });
    if (supported) {
      await attempt;
      assert.equal((await linkShow(n, "bv"))?.bridge?.vlanFiltering, true);
    } else {
      await assert.rejects(attempt, (e: unknown) => {
        assert.ok(e instanceof KernelCommandError, String(e));
        assert.match(e.hint, /does not support VLAN filtering on bridges \(CONFIG_BRIDGE_VLAN_FILTERING\)/);
        return true;
      });
      assert.equal(await linkShow(n, "bv"), undefined);
    }
  });
});
