// Two checkouts of one project, each with its own state backend, both on the same stack name: the
// marks name the stack instance, so the second is refused instead of taking the first's objects,
// its destroy leaves them alone, and the first still owns and destroys them.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as netns from "pulumi-netns";
import { inlineStack } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import { ipJson, namespaceNames, removeByPrefix } from "../helpers/readback";
import { failureOf, figure } from "../helpers/reliability";
import { requireRoot } from "../helpers/root";

test("a second checkout with equal project and stack names is refused and never touches the first's objects", async (t) => {
  if (!requireRoot(t)) return;
  const p = uniquePrefix();
  const program = async () => {
    const lab = new netns.Namespace("lab", { name: `${p}-lab` });
    const br = new netns.Bridge("br", { name: "br", namespace: lab.name });
    new netns.Bridge("hostBridge", { name: `${p}b` });
    new netns.VethPair("cable", {
      a: { name: `${p}h`, addresses: ["10.93.0.1/24"] },
      b: { name: "port", namespace: lab.name, master: br.name },
    });
    new netns.Route(
      "r",
      { namespace: lab.name, destination: "10.94.0.0/24", dev: "br" },
      { dependsOn: [br] },
    );
  };
  // Same project ("pnt") and stack name; inlineStack gives each its own work directory and backend.
  const first = await inlineStack({ stackName: `${p}-dev`, program });
  const second = await inlineStack({ stackName: `${p}-dev`, program });
  const snapshot = () => ({
    lab: ipJson(["-n", `${p}-lab`, "-d", "link", "show"]).map((l) => [
      l.ifname,
      l.ifindex,
      l.ifalias,
      l.master,
    ]),
    host: [`${p}h`, `${p}b`].map((dev) =>
      ipJson(["link", "show", "dev", dev]).map((l) => [l.ifindex, l.ifalias]),
    ),
    route: ipJson(["-n", `${p}-lab`, "route", "show", "10.94.0.0/24"]),
  });
  try {
    await first.stack.up({ onOutput: () => undefined });
    const before = snapshot();

    const failure = await failureOf(second.stack.up({ onOutput: () => undefined, continueOnError: true }));
    const said = `${(failure as { stderr?: string } | undefined)?.stderr ?? ""}${failure?.message ?? ""}`;
    assert.match(
      said,
      new RegExp(`Network namespace "${p}-lab" already exists and this stack did not create it`),
    );
    assert.match(said, new RegExp(`Interface "${p}b" in the host namespace already exists`));
    assert.match(
      said,
      /managed by Namespace "lab" of stack pnt\/pnt[0-9a-f]{4}-dev \(stack instance [0-9a-f]{16}\)/,
      "it names the other owner, down to its instance",
    );
    assert.deepEqual(snapshot(), before, "the refused up changed nothing of the first's");

    await second.stack.destroy({ onOutput: () => undefined });
    assert.deepEqual(snapshot(), before, "the second's destroy left the first's objects alone");

    await first.stack.preview({ expectNoChanges: true, onOutput: () => undefined });
    await first.stack.destroy({ onOutput: () => undefined });
    assert.deepEqual(
      namespaceNames().filter((n) => n.startsWith(p)),
      [],
    );
    assert.deepEqual(
      ipJson(["link", "show"]).filter((l) => String(l.ifname).startsWith(p)),
      [],
    );
    figure("two checkouts: the second refused, the first untouched and destroyed cleanly");
  } finally {
    await second.dispose().catch(() => undefined);
    await first.dispose();
    removeByPrefix(p);
  }
});
