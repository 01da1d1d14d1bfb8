// A run whose state never reached the backend (killed with PULUMI_SKIP_CHECKPOINTS, or a state
// file lost): a new state is a new stack instance, so its `up` refuses the old objects, naming
// their instance; pinning that instance (`pulumi config set pulumi-netns:stackInstance ID`) is the
// deliberate step that takes them back, the same devices.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as netns from "pulumi-netns";
import { inlineStack } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import { linkOf, namespaceNames, removeByPrefix } from "../helpers/readback";
import { requireRoot } from "../helpers/root";

test("after the state was lost, up refuses the old objects until the old instance is pinned, then takes them back", async (t) => {
  if (!requireRoot(t)) return;
  const p = uniquePrefix();
  const program = async () => {
    const ns = new netns.Namespace("ns", { name: `${p}-ns` });
    const br = new netns.Bridge("br", { name: "br", namespace: ns.name });
    const pair = new netns.VethPair("pair", {
      a: { name: "a0", namespace: ns.name, master: br.name },
      b: { name: "b0", namespace: ns.name, addresses: ["10.66.0.1/24"] },
    });
    new netns.Route("r", {
      namespace: ns.name,
      destination: "10.67.0.0/24",
      via: "10.66.0.2",
      dev: pair.b.name,
    });
  };
  const first = await inlineStack({ stackName: `${p}-lost`, program });
  let second: typeof first | undefined;
  try {
    await first.stack.up();
    const before = linkOf(`${p}-ns`, "a0");
    const deployment = await first.stack.exportStack();
    const instance = (
      deployment.deployment.resources as { type: string; outputs?: { instance?: string } }[]
    ).find((r) => r.type.endsWith(":StackInstance"))?.outputs?.instance;
    assert.match(instance ?? "", /^[0-9a-f]{16}$/);
    assert.equal(
      before.ifalias,
      `pulumi-netns:${instance}/pnt/${p}-lost/Bridge/br`.replace("Bridge/br", "VethPair/pair"),
    );
    // Forget the stack: its state goes, the kernel objects stay.
    await first.stack.workspace.removeStack(first.stack.name, { force: true });
    second = await inlineStack({ stackName: `${p}-lost`, program });
    await assert.rejects(second.stack.up(), (e: Error) => {
      assert.match(e.message, new RegExp(`stack instance ${instance}`));
      return true;
    });
    const identity = (l: Record<string, unknown>) => [l.ifindex, l.ifalias, l.group, l.master, l.flags];
    assert.deepEqual(
      identity(linkOf(`${p}-ns`, "a0")),
      identity(before),
      "the refused up left the old objects untouched",
    );
    await second.stack.setConfig("pulumi-netns:stackInstance", { value: instance! });
    const up = await second.stack.up();
    assert.equal(up.summary.resourceChanges?.create, 4, "the resources the refused up did not make");
    assert.equal(linkOf(`${p}-ns`, "a0").ifindex, before.ifindex, "by taking back the same devices");
    await second.stack.preview({ expectNoChanges: true });
    await second.stack.destroy();
    assert.deepEqual(
      namespaceNames().filter((n) => n.startsWith(p)),
      [],
    );
  } finally {
    await second?.dispose();
    await first.dispose().catch(() => undefined);
    removeByPrefix(p);
  }
});
