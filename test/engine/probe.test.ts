// netns.Probe through the real engine and the real command plugin: it passes on a working bridge
// and fails `pulumi up`, naming both ends and what it saw, once a port has left the bridge.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as netns from "pulumi-netns";
import { inlineStack } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import { ip, linkOf } from "../helpers/readback";
import { requireRoot } from "../helpers/root";

test("a probe passes on a working bridge and fails up, naming both ends, when a port is detached", async (t) => {
  if (!requireRoot(t)) return;
  const p = uniquePrefix();
  const [hubName, h1Name, h2Name] = [`${p}-hub`, `${p}-h1`, `${p}-h2`];
  /** Bumped to make the probe run again on the next up. */
  let round = 1;
  const { stack, dispose } = await inlineStack({
    stackName: `${p}-probe`,
    program: async () => {
      const hub = new netns.Namespace("hub", { name: hubName });
      const br = new netns.Bridge("br", { name: "br", namespace: hub.name });
      const cables = [h1Name, h2Name].map((name, i) => {
        const host = new netns.Namespace(`h${i + 1}`, { name });
        return new netns.VethPair(`h${i + 1}-cable`, {
          a: { name: "eth0", namespace: host.name, addresses: [`10.78.0.${i + 1}/24`] },
          b: { name: `${p}-p${i + 1}`, namespace: hub.name, master: br.name },
        });
      });
      const probe = new netns.Probe(
        "h1-to-h2",
        { from: h1Name, to: "10.78.0.2", replies: 2, deadlineSeconds: 3, triggers: [round] },
        { dependsOn: cables },
      );
      return { seen: probe.seen };
    },
  });
  try {
    const up = await stack.up();
    assert.match(
      String(up.outputs.seen?.value),
      /^ping 10\.78\.0\.2 from namespace .*-h1: 2 packets transmitted, 2 received/,
    );
    await stack.preview({ expectNoChanges: true });

    ip(["-n", hubName, "link", "set", "dev", `${p}-p2`, "nomaster"]);
    assert.equal(linkOf(hubName, `${p}-p2`).master, undefined);
    round = 2;
    await assert.rejects(stack.up(), (e: Error) => {
      assert.match(
        e.message,
        new RegExp(`namespace ${h1Name} did not get 2 echo replies from 10\\.78\\.0\\.2 within 3 s`),
      );
      assert.match(e.message, /Seen: \d+ packets transmitted, 0 received/);
      return true;
    });

    // Refresh sees the detached port, up re-attaches it, and the probe passes again.
    await stack.refresh();
    round = 3;
    await stack.up();
    assert.equal(linkOf(hubName, `${p}-p2`).master, "br");
  } finally {
    await dispose();
  }
});
