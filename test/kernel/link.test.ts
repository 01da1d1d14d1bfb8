import assert from "node:assert/strict";
import { it } from "node:test";
import { NotFoundError } from "../../provider/kernel/errors";
import { defaultIp, LEGACY_OWNED_LINK_GROUP, linkGroupFor, MARK_PREFIX } from "../../provider/kernel/ip";
import {
  linkDelete,
  linkList,
  linkOwnership,
  linkSetAlias,
  linkSetDown,
  linkSetGroup,
  linkSetMaster,
  linkSetMtu,
  linkSetUp,
  linkShow,
} from "../../provider/kernel/link";
import { vethAdd } from "../../provider/kernel/veth";
import { kernelSuite } from "../helpers/kernelSandbox";

kernelSuite("links (real kernel)", (sb) => {
  it("ownership marks: our group only is half made, our alias is ours, another group is foreign", async () => {
    const n = await sb.netns("o");
    const me = "0123456789abcdef/proj/stack/VethPair/o";
    await vethAdd({ a: { name: "a", netns: n }, b: { name: "b", netns: n }, group: linkGroupFor(me) });
    assert.equal(linkOwnership((await linkShow(n, "a"))!, me), "ours-half-made");
    assert.equal(
      linkOwnership((await linkShow(n, "a"))!, "fedcba9876543210/proj/stack/VethPair/o"),
      "foreign",
    );
    await defaultIp().batch(n, [linkSetAlias("a", MARK_PREFIX + me)]);
    assert.equal(linkOwnership((await linkShow(n, "a"))!, me), "ours");
    await defaultIp().batch(n, [linkSetGroup("b", 0)]);
    assert.equal(linkOwnership((await linkShow(n, "b"))!, me), "foreign");
  });

  it("up / down and linkList", async () => {
    const n = await sb.netns("u");
    await vethAdd({
      a: { name: "up", netns: n },
      b: { name: "down", netns: n },
      group: LEGACY_OWNED_LINK_GROUP,
    });
    await defaultIp().batch(n, [linkSetUp("up"), linkSetUp("down")]);
    assert.equal((await linkShow(n, "up"))?.adminUp, true);
    await defaultIp().batch(n, [linkSetDown("up")]);
    const all = await linkList(n);
    assert.deepEqual(all.map((l) => [l.name, l.adminUp]).sort(), [
      ["down", true],
      ["lo", false],
      ["up", false],
    ]);
  });

  it("a batch stops at the failing line, which the error names", async () => {
    const n = await sb.netns("s");
    await vethAdd({ a: { name: "x", netns: n }, b: { name: "y", netns: n }, group: LEGACY_OWNED_LINK_GROUP });
    await assert.rejects(
      defaultIp().batch(n, [linkSetMtu("x", 1400), linkSetMaster("x", "nobridge"), linkSetMtu("x", 1300)]),
      (e: unknown) => e instanceof NotFoundError && e.batchLine?.number === 2,
    );
    assert.equal((await linkShow(n, "x"))?.mtu, 1400);
  });

  it("missing links: linkShow undefined, linkDelete success (twice)", async () => {
    const n = await sb.netns("m");
    assert.equal(await linkShow(n, "nothere"), undefined);
    await linkDelete(n, "nothere");
    await vethAdd({
      a: { name: "del", netns: n },
      b: { name: "del2", netns: n },
      group: LEGACY_OWNED_LINK_GROUP,
    });
    await linkDelete(n, "del");
    await linkDelete(n, "del");
    assert.equal(await linkShow(n, "del2"), undefined);
  });
});
