// Stacks side by side: disjoint stacks deploy in parallel; a second stack that wants a namespace
// the first one has fails clearly and leaves the first untouched.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import * as netns from "pulumi-netns";
import { providers } from "../../provider";
import { netnsReadMark } from "../../provider/kernel/netns";
import { inlineStack } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import {
  assertNoLeaks,
  failureOf,
  figure,
  leftovers,
  linkSnapshot,
  netnsInode,
  pingEventually,
  scrub,
} from "../helpers/reliability";
import { isRoot, requireRoot } from "../helpers/root";
import { hostAddress, starProgram } from "./star";

const a = uniquePrefix();
const b = uniquePrefix();
const c = uniquePrefix();

function pairProgram(shared: string, other: string) {
  return async () => {
    const s = new netns.Namespace("shared", { name: shared });
    const o = new netns.Namespace("other", { name: other });
    new netns.VethPair("cable", {
      a: { name: "eth0", namespace: s.name, addresses: ["10.30.0.1/24"] },
      b: { name: "eth0", namespace: o.name, addresses: ["10.30.0.2/24"] },
    });
  };
}

describe("concurrent stacks", { concurrency: false }, () => {
  after(() => {
    if (isRoot()) assertNoLeaks(a, b, c);
  });

  test("two stacks with disjoint names deploy in parallel and both work", async (t) => {
    if (!requireRoot(t)) return;
    const stacks = await Promise.all([
      inlineStack({ stackName: `${a}-par`, program: starProgram(a, 4) }),
      inlineStack({ stackName: `${b}-par`, program: starProgram(b, 4) }),
    ]);
    try {
      const ups = await Promise.all(stacks.map((s) => s.stack.up({ onOutput: () => undefined })));
      assert.deepEqual(
        ups.map((u) => u.summary.result),
        ["succeeded", "succeeded"],
      );
      assert.ok(await pingEventually(`${a}h1`, hostAddress(4)));
      assert.ok(await pingEventually(`${b}h1`, hostAddress(4)));
    } finally {
      await Promise.all(stacks.map((s) => s.dispose()));
    }
  });

  test("a second stack wanting the same namespace fails clearly; the first is untouched and works", async (t) => {
    if (!requireRoot(t)) return;
    const first = await inlineStack({ stackName: `${c}-one`, program: pairProgram(`${c}same`, `${c}o1`) });
    const second = await inlineStack({ stackName: `${c}-two`, program: pairProgram(`${c}same`, `${c}o2`) });
    try {
      await first.stack.up({ onOutput: () => undefined });
      const before = { inode: netnsInode(`${c}same`), links: linkSnapshot(`${c}same`) };
      const error = await failureOf(second.stack.up({ onOutput: () => undefined }));
      const output = `${(error as { stderr?: string } | undefined)?.stderr ?? ""}${error?.message ?? ""}`;
      assert.match(output, new RegExp(`Network namespace "${c}same" already exists`));
      assert.match(
        output,
        new RegExp(`managed by Namespace "shared" of stack pnt/${c}-one \\(stack instance [0-9a-f]{16}\\)`),
        "it names the owner",
      );
      figure(`concurrency: second stack refused, first untouched`);
      assert.equal(netnsInode(`${c}same`), before.inode);
      assert.deepEqual(linkSnapshot(`${c}same`), before.links);
      assert.ok(await pingEventually(`${c}same`, "10.30.0.2"), "the first stack still works");
      await second.stack.destroy({ onOutput: () => undefined });
      assert.equal(netnsInode(`${c}same`), before.inode, "destroying the second stack leaves it alone");
      await first.stack.preview({ expectNoChanges: true, onOutput: () => undefined });
    } finally {
      await second.dispose();
      await first.dispose();
    }
    assert.deepEqual(leftovers(c), { namespaces: [], links: [], records: [] });
  });

  // Two creates of one namespace name racing (two stacks' `up`s at the same moment): both see no
  // namespace, both write the record, one `ip netns add` fails and its rollback removes the
  // record, which by then may be the winner's. The winner's namespace is left without a record,
  // so its own `delete` skips it: it leaks.
  test("racing creates of one namespace leave the winner's ownership record in place", async (t) => {
    if (!requireRoot(t)) return;
    const name = `${c}race`;
    const inputs = (stack: string) => ({
      name,
      sysctls: {},
      adopt: false,
      managedBy: `pnt/${stack}/Namespace/race`,
    });
    const ns = providers.Namespace as Required<typeof providers.Namespace>;
    try {
      const results = await Promise.allSettled([ns.create(inputs("s1")), ns.create(inputs("s2"))]);
      const won = results.findIndex((r) => r.status === "fulfilled");
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1, "exactly one create wins");
      const winner = inputs(won === 0 ? "s1" : "s2");
      assert.equal(await netnsReadMark(name), winner.managedBy, "the record names the winner");
      await ns.delete(name, { ...winner, inode: 0 });
      assert.deepEqual(leftovers(name).namespaces, [], "the winner's delete removes its namespace");
    } finally {
      scrub(name);
    }
  });
});
