// The engine tier's smoke test: a small topology through up, a no-change preview, refresh and
// destroy with the real CLI, the provider running in the real dynamic-provider plugin.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import * as netns from "pulumi-netns";
import { inlineStack } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import { requireRoot } from "../helpers/root";

const ipJson = (args: string[]) => JSON.parse(execFileSync("ip", ["-j", ...args], { encoding: "utf8" }));

test("a two-host bridge goes through up, preview, refresh and destroy", async (t) => {
  if (!requireRoot(t)) return;
  const p = uniquePrefix();
  const { stack, dispose } = await inlineStack({
    stackName: `${p}-smoke`,
    program: async () => {
      const hub = new netns.Namespace("hub", { name: `${p}-hub` });
      const br = new netns.Bridge("br", { name: "br", namespace: hub.name });
      const host = new netns.Namespace("host", { name: `${p}-h1` });
      const cable = new netns.VethPair("cable", {
        a: { name: "eth0", namespace: host.name, addresses: ["10.77.0.1/24"] },
        b: { name: `${p}-h1`, namespace: hub.name, master: br.name },
      });
      return { ifindex: cable.a.ifindex };
    },
  });
  try {
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    const [eth0] = ipJson(["-n", `${p}-h1`, "addr", "show", "dev", "eth0"]);
    assert.deepEqual(
      eth0.addr_info
        .filter((a: { family: string }) => a.family === "inet")
        .map((a: { local: string }) => a.local),
      ["10.77.0.1"],
    );
    const [port] = ipJson(["-n", `${p}-hub`, "link", "show", "dev", `${p}-h1`]);
    assert.equal(port.master, "br");
    assert.equal(up.outputs.ifindex?.value, eth0.ifindex);

    const preview = await stack.preview({ expectNoChanges: true });
    assert.equal(preview.changeSummary.same, 6, "five resources and the StackInstance");

    const refresh = await stack.refresh();
    assert.equal(refresh.summary.result, "succeeded");

    await stack.destroy();
    const names = ipJson(["netns", "list"]).map((n: { name: string }) => n.name);
    assert.ok(!names.includes(`${p}-hub`) && !names.includes(`${p}-h1`), "destroy removed the namespaces");
  } finally {
    await dispose();
  }
});
