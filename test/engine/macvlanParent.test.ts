// The kernel deletes a macvlan with its parent. When the parent's resource is replaced while
// the macvlan's inputs stay the same (a plain-string parent, so no output of the parent flows
// into it and the engine sees only an ordering dependency), the macvlan must be replaced with it
// (the SDK's replaceWith), or the next up would leave it deleted and the state claiming it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as netns from "pulumi-netns";
import { inlineStack } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import { linkOf, namespaceNames, removeByPrefix } from "../helpers/readback";
import { isRoot, requireRoot } from "../helpers/root";

const p = uniquePrefix();
const hub = `${p}-hub`;
let peerName = "up1";

const program = async () => {
  new netns.Namespace("hub", { name: hub });
  new netns.VethPair("uplink", { a: { name: "up0", namespace: hub }, b: { name: peerName, namespace: hub } });
  const mv = new netns.Macvlan("mv", { name: "mv0", namespace: hub, parent: "up0" });
  const tap = new netns.Macvtap("tap", { name: "mt0", namespace: hub, parent: "up0", mode: "vepa" });
  return { ifindex: mv.ifindex, tap: { path: tap.devicePath, major: tap.deviceMajor, mode: tap.mode } };
};

describe("a macvlan whose parent is replaced", { concurrency: false }, () => {
  before(() => {
    if (isRoot()) removeByPrefix(p);
  });
  after(() => removeByPrefix(p));

  test("is replaced with it, even when it names the parent by a plain string", async (t) => {
    if (!requireRoot(t)) return;
    const s = await inlineStack({ stackName: `${p}-parent`, program });
    try {
      const first = await s.stack.up();
      assert.equal(linkOf(hub, "mv0").link, "up0");
      // The SDK's Macvtap reports its character device.
      const tap = first.outputs.tap?.value as { path: string; major: number; mode: string };
      assert.equal(tap.path, `/dev/tap${linkOf(hub, "mt0").ifindex}`);
      assert.ok(tap.major > 0);
      assert.equal(tap.mode, "vepa");

      peerName = "up2";
      const { changeSummary } = await s.stack.preview();
      assert.equal(changeSummary.replace, 3, "the pair, the macvlan and the macvtap");
      const second = await s.stack.up();
      assert.equal(linkOf(hub, "mv0").link, "up0", "made again on the new parent");
      assert.equal(linkOf(hub, "mt0").link, "up0");
      assert.notEqual(second.outputs.ifindex?.value, first.outputs.ifindex?.value);
      await s.stack.preview({ expectNoChanges: true });

      await s.stack.destroy();
      assert.ok(!namespaceNames().includes(hub), "destroy took the namespace and all in it");
    } finally {
      await s.dispose();
    }
  });
});
