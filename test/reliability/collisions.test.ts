// Objects made by hand with `ip` whose names a stack wants are never modified or deleted: `up`
// fails naming each and saying how to adopt it. `adopt: true` takes them over, and from then on
// the stack owns them: `destroy` deletes what it adopted.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, describe, test } from "node:test";
import * as netns from "pulumi-netns";
import { inlineStack } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import { ip, namespaceNames } from "../helpers/readback";
import { assertNoLeaks, failureOf, figure, linkSnapshot, netnsInode } from "../helpers/reliability";
import { isRoot, requireRoot } from "../helpers/root";

const p = uniquePrefix();
const pre = `${p}pre`; // a namespace made by hand that the stack declares
const host = `${p}host`; // a namespace made by hand that holds devices the stack declares

function program(adopt: boolean) {
  return async () => {
    new netns.Namespace("pre", { name: pre, adopt });
    new netns.Bridge("br", { name: "br", namespace: host, adopt });
    new netns.TapDevice("tap", { name: "t0", namespace: host, adopt });
    new netns.VethPair("pair", {
      a: { name: "v0", namespace: host },
      b: { name: "v1", namespace: host },
      adopt,
    });
  };
}

const expected = [
  `Network namespace "${pre}" already exists`,
  `Interface "br" in namespace "${host}" already exists`,
  `Interface "t0" in namespace "${host}" already exists`,
  `Interface "v0" in namespace "${host}" already exists`,
];

describe("collisions with objects made by hand", { concurrency: false }, () => {
  // The leak check sees what the test left; it scrubs only what it reports.
  after(() => {
    if (isRoot()) assertNoLeaks(p);
  });

  test("up refuses, names each object, says how to adopt; nothing is touched; adopt takes over; destroy deletes", async (t) => {
    if (!requireRoot(t)) return;
    ip(["netns", "add", pre]);
    ip(["-n", pre, "link", "add", "name", "keep", "type", "veth", "peer", "name", "keep2"]);
    ip(["netns", "add", host]);
    ip(["-n", host, "link", "add", "name", "br", "mtu", "1400", "type", "bridge"]);
    ip(["-n", host, "tuntap", "add", "dev", "t0", "mode", "tap"]);
    ip(["-n", host, "link", "add", "name", "v0", "type", "veth", "peer", "name", "v1"]);
    ip(["-n", host, "link", "set", "dev", "v0", "alias", "made by hand"]);
    const before = { inode: netnsInode(pre), pre: linkSnapshot(pre), host: linkSnapshot(host) };

    const ts = await inlineStack({ stackName: `${p}-coll`, program: program(false) });
    try {
      const error = await failureOf(ts.stack.up({ continueOnError: true, onOutput: () => undefined }));
      const output = `${`${(error as { stderr?: string } | undefined)?.stderr ?? ""}${error?.message ?? ""}`}`;
      assert.ok(error, "up fails");
      const refused = expected.filter((m) => output.includes(m));
      figure(`collisions refused ${refused.length}/${expected.length}`);
      assert.deepEqual(refused, expected, output);
      assert.ok((output.match(/set `adopt: true` on the resource/g) ?? []).length >= expected.length);
      assert.equal(netnsInode(pre), before.inode, "the namespace is the same one");
      assert.deepEqual(linkSnapshot(pre), before.pre, "nothing in it changed");
      assert.deepEqual(linkSnapshot(host), before.host, "no device changed");
      assert.ok(!existsSync(`/run/pulumi-netns/netns/${pre}`), "no ownership record was written");

      (ts.stack.workspace as { program?: unknown }).program = program(true);
      await ts.stack.refresh({ onOutput: () => undefined });
      const up = await ts.stack.up({ onOutput: () => undefined });
      assert.equal(up.summary.result, "succeeded");
      assert.equal(netnsInode(pre), before.inode, "adopting keeps the namespace");
      const alias = (dev: string) => (linkSnapshot(host, dev) as { ifalias?: string }[])[0]?.ifalias ?? "";
      for (const dev of ["br", "t0", "v0", "v1"])
        assert.match(alias(dev), /^pulumi-netns:/, `${dev} is marked ours`);
      await ts.stack.preview({ expectNoChanges: true, onOutput: () => undefined });

      await ts.stack.destroy({ onOutput: () => undefined });
      assert.ok(!namespaceNames().includes(pre), "destroy deletes an adopted namespace");
      const left = (linkSnapshot(host) as { ifname: string }[]).map((l) => l.ifname);
      assert.deepEqual(left, ["lo"], "destroy deletes adopted devices");
    } finally {
      await ts.dispose();
      // The namespace the devices were made in is the test's own, not the stack's.
      if (namespaceNames().includes(host)) ip(["netns", "delete", host]);
    }
  });
});
