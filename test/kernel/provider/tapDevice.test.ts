import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { uniquePrefix } from "../../helpers/names";
import { ip, ipJson, linkOf, removeByPrefix } from "../../helpers/readback";
import { isRoot, requireRoot } from "../../helpers/root";
import { driver, managedBy } from "./harness";

const p = uniquePrefix();
const tap = driver("TapDevice");
const bridge = driver("Bridge");
const n1 = `${p}-1`;

describe("TapDevice provider against the kernel", { concurrency: false }, () => {
  before(() => {
    if (!isRoot()) return;
    removeByPrefix(p);
    ip(["netns", "add", n1]);
  });
  after(() => removeByPrefix(p));

  test("a persistent tap owned by a user, on a bridge; flags replace, master updates", async (t) => {
    if (!requireRoot(t)) return;
    const br = await bridge.create({ name: "br0", namespace: n1, managedBy: managedBy(p, "Bridge", "br0") });
    const inputs = {
      name: "tap0",
      namespace: n1,
      master: "br0",
      owner: 1000,
      group: 1000,
      multiQueue: true,
      vnetHdr: true,
      managedBy: managedBy(p, "TapDevice", "tap0"),
    };
    const { id, outs } = await tap.create(inputs);
    const [shown] = ipJson<{ ifname: string; user: number; group: number; flags: string[] }[]>([
      "-n",
      n1,
      "tuntap",
      "show",
    ]);
    assert.equal(shown?.user, 1000);
    assert.equal(shown?.group, 1000);
    const data = (linkOf(n1, "tap0").linkinfo as { info_data: Record<string, unknown> }).info_data;
    assert.equal(data.multi_queue, true);
    assert.equal(data.vnet_hdr, true);
    assert.equal(data.persist, true);
    assert.equal(linkOf(n1, "tap0").master, "br0");
    assert.equal(outs.owner, 1000);

    const detached = await tap.update(id, outs, { ...inputs, master: undefined });
    assert.deepEqual(detached.diff.replaces, []);
    assert.equal(linkOf(n1, "tap0").master, undefined);

    const flagged = await tap.checked({ ...inputs, vnetHdr: false });
    const diff = await tap.provider.diff(id, detached.result.outs, flagged);
    assert.deepEqual(diff.replaces, ["vnetHdr"]);
    assert.equal(diff.deleteBeforeReplace, true, "the same name must be freed first");

    await tap.delete(id, detached.result.outs);
    assert.equal(ipJson(["-n", n1, "tuntap", "show"]).length, 0);
    await tap.delete(id, detached.result.outs);
    await bridge.delete(br.id, br.outs);
  });
});
