import assert from "node:assert/strict";
import { it } from "node:test";
import { defaultIp, LEGACY_OWNED_LINK_GROUP, linkGroupFor, MARK_PREFIX } from "../../provider/kernel/ip";
import { KernelCommandError } from "../../provider/kernel/errors";
import {
  linkDelete,
  linkOwnership,
  linkSetAddress,
  linkSetAlias,
  linkSetMtu,
  linkSetUp,
  linkShow,
} from "../../provider/kernel/link";
import { vethAdd } from "../../provider/kernel/veth";
import { kernelSuite, roundTrip } from "../helpers/kernelSandbox";

kernelSuite("veth (real kernel)", (sb) => {
  it("ends in two namespaces: one call, mtu and group on both, update in place, delete takes both", async () => {
    const [n1, n2] = [await sb.netns("a"), await sb.netns("b")];
    const managedBy = "0123456789abcdef/proj/stack/VethPair/v";
    await roundTrip({
      add: () =>
        vethAdd({
          a: { name: "up", netns: n1 },
          b: { name: "dev", netns: n2 },
          mtu: 1400,
          group: linkGroupFor(managedBy),
        }),
      read: () => linkShow(n1, "up"),
      checkAdded: (a) => {
        assert.equal(a.kind, "veth");
        assert.equal(a.mtu, 1400);
        assert.equal(a.group, linkGroupFor(managedBy));
        assert.equal(a.adminUp, false);
        assert.equal(linkOwnership(a, managedBy), "ours-half-made");
        assert.notEqual(a.veth?.netnsId, undefined, "peer is in another namespace");
      },
      update: async () => {
        await defaultIp().batch(n1, [
          linkSetMtu("up", 1300),
          linkSetAddress("up", "02:00:00:AA:BB:01"),
          linkSetAlias("up", MARK_PREFIX + managedBy),
          linkSetUp("up"),
        ]);
      },
      checkUpdated: (a) => {
        assert.equal(a.mtu, 1300);
        assert.equal(a.mac, "02:00:00:aa:bb:01");
        assert.equal(a.adminUp, true);
        assert.equal(a.alias, MARK_PREFIX + managedBy);
        assert.equal(linkOwnership(a, managedBy), "ours");
      },
      remove: () => linkDelete(n1, "up"),
    });
    assert.equal(await linkShow(n2, "dev"), undefined, "deleting one end deletes its peer");
  });

  it("the peer end carries mtu and group too", async () => {
    const [n1, n2] = [await sb.netns("c"), await sb.netns("d")];
    await vethAdd({
      a: { name: "type", netns: n1 },
      b: { name: "br", netns: n2 },
      mtu: 1280,
      group: LEGACY_OWNED_LINK_GROUP,
    });
    const b = await linkShow(n2, "br");
    assert.equal(b?.mtu, 1280);
    assert.equal(b?.group, LEGACY_OWNED_LINK_GROUP);
    assert.equal(b?.kind, "veth");
    assert.equal(b?.veth?.ifindex, (await linkShow(n1, "type"))?.ifindex);
  });

  it("both ends in one namespace: no peer netnsid", async () => {
    const n = await sb.netns("e");
    await vethAdd({
      a: { name: "help", netns: n },
      b: { name: "master", netns: n },
      group: LEGACY_OWNED_LINK_GROUP,
    });
    const [a, b] = [await linkShow(n, "help"), await linkShow(n, "master")];
    assert.deepEqual(a?.veth, { name: "master", ifindex: undefined, netnsId: undefined });
    assert.equal(b?.veth?.name, "help");
    assert.equal(a?.mtu, 1500);
  });

  it("all or nothing: a taken peer name leaves no half pair behind", async () => {
    const [n1, n2] = [await sb.netns("f"), await sb.netns("g")];
    await vethAdd({ a: { name: "x0", netns: n2 }, b: { name: "taken", netns: n2 }, group: 1 });
    await assert.rejects(
      vethAdd({
        a: { name: "fresh", netns: n1 },
        b: { name: "taken", netns: n2 },
        group: LEGACY_OWNED_LINK_GROUP,
      }),
      (e: unknown) => e instanceof KernelCommandError && /already exists/.test(e.hint),
    );
    assert.equal(await linkShow(n1, "fresh"), undefined);
  });
});
