// A Lan through the real CLI: examples/star with `lan: true` (one netns.Lan for the whole star):
// up, a no-op preview, one host changed (preview --diff names it; only it changes), one host
// re-made inside the Lan's update, drift found by refresh and repaired by up, destroy.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";
import { projectStack, repoRoot, type TestStack } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import { addressesOf, ip, linkOf, namespaceNames } from "../helpers/readback";
import { requireRoot } from "../helpers/root";
import { leakSnapshot } from "../leakSnapshot";

const ping = (namespace: string, address: string) =>
  execFileSync("ip", ["netns", "exec", namespace, "ping", "-c", "1", "-W", "2", address], {
    stdio: "ignore",
  });

async function setConfig(s: TestStack, values: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(values)) await s.stack.setConfig(key, { value });
}

/** The preview's operation counts (without the unchanged) and its `--diff` text. */
async function preview(s: TestStack): Promise<{ changes: Record<string, number>; text: string }> {
  let text = "";
  const { changeSummary } = await s.stack.preview({ diff: true, onOutput: (o) => (text += o) });
  const changes = Object.fromEntries(Object.entries(changeSummary).filter(([op]) => op !== "same"));
  return { changes, text };
}

test("examples/star as one Lan through the CLI", async (t) => {
  if (!requireRoot(t)) return;
  const p = uniquePrefix();
  const s = await projectStack({ stackName: `${p}-lan`, workDir: path.join(repoRoot, "examples", "star") });
  const hosts = 5;
  const h = (i: number) => `${p}-h${i}`;
  try {
    await setConfig(s, { namespacePrefix: `${p}-`, hosts: `${hosts}`, lan: "true" });
    const up = await s.stack.up();
    assert.deepEqual(up.summary.resourceChanges, { create: 3 }, "the stack, its StackInstance, one Lan");
    for (let i = 1; i <= hosts; i++) assert.equal(linkOf(`${p}-hub`, `h${i}`).master, "br");
    ping(h(1), `10.20.0.${hosts}`);
    assert.deepEqual((await preview(s)).changes, {}, "a no-op preview");

    // One more host: the Lan is updated; preview names the host.
    await setConfig(s, { hosts: `${hosts + 1}` });
    const grown = await preview(s);
    assert.deepEqual(grown.changes, { update: 1 });
    t.diagnostic(grown.text);
    assert.match(grown.text, new RegExp(`\\+ ${p}-h6: \\{`), grown.text);
    const h2Index = linkOf(h(2), "eth0").ifindex;
    await s.stack.up();
    ping(h(6), "10.20.0.1");
    assert.equal(linkOf(h(2), "eth0").ifindex, h2Index, "the other hosts untouched");

    // The MTU reaches every host in place.
    await setConfig(s, { mtu: "9000" });
    const mtu = await preview(s);
    assert.deepEqual(mtu.changes, { update: 1 });
    t.diagnostic(mtu.text);
    assert.match(mtu.text, /mtu/);
    await s.stack.up();
    assert.equal(linkOf(h(2), "eth0").mtu, 9000);
    assert.equal(linkOf(h(2), "eth0").ifindex, h2Index, "in place");

    // Drift: a host deleted, an address flushed; refresh sees it, up repairs only those.
    ip(["netns", "delete", h(3)]);
    ip(["-n", h(4), "address", "flush", "dev", "eth0"]);
    await s.stack.refresh();
    const drift = await preview(s);
    assert.deepEqual(drift.changes, { update: 1 });
    await s.stack.up();
    assert.deepEqual(addressesOf(h(4), "eth0"), ["10.20.0.4/16"]);
    ping(h(3), "10.20.0.1");
    assert.deepEqual((await preview(s)).changes, {}, "repaired: no-op again");

    await s.stack.destroy();
    assert.deepEqual(
      namespaceNames().filter((n) => n.startsWith(p)),
      [],
      "destroy leaves no namespace",
    );
    assert.deepEqual(
      leakSnapshot().filter((l) => l.includes(p)),
      [],
      "nor a link or record",
    );
  } finally {
    await s.dispose();
  }
});
