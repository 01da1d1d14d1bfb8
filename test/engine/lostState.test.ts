// A run whose state never reached the backend (killed with PULUMI_SKIP_CHECKPOINTS, or a state
// file lost): the next `up` of the same stack finds its objects by their marks and takes them
// back, the same devices, instead of failing on "File exists".
import assert from "node:assert/strict";
import { test } from "node:test";
import * as netns from "pulumi-netns";
import { inlineStack } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import { linkOf, namespaceNames } from "../helpers/readback";
import { requireRoot } from "../helpers/root";

test("up after the state was lost takes back the stack's own objects", async (t) => {
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
    const before = linkOf(`${p}-ns`, "a0").ifindex;
    // Forget the stack: its state goes, the kernel objects stay.
    await first.stack.workspace.removeStack(first.stack.name, { force: true });
    second = await inlineStack({ stackName: `${p}-lost`, program });
    const up = await second.stack.up();
    assert.equal(up.summary.resourceChanges?.create, 5, "every resource is created in the new state");
    assert.equal(linkOf(`${p}-ns`, "a0").ifindex, before, "by taking back the same devices");
    await second.stack.preview({ expectNoChanges: true });
    await second.stack.destroy();
    assert.deepEqual(
      namespaceNames().filter((n) => n.startsWith(p)),
      [],
    );
  } finally {
    await second?.dispose();
    await first.dispose().catch(() => undefined);
  }
});
