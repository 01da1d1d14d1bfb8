// The Namespace handlers against the fake kernel: the commands each sends, with no root.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type * as pulumi from "@pulumi/pulumi";
import { onHost } from "../../../provider/kernel/host";
import { MARK_PREFIX } from "../../../provider/kernel/ip";
import { namespaceKind, type NamespaceOutputs } from "../../../provider/namespace";
import { ownerMark } from "../../../provider/ownership";
import { validate } from "../../../provider/schema/checkFailures";
import { namespaceSchema } from "../../../provider/schema/namespace";
import { FakeKernel } from "../../helpers/fakeKernel";

const owner = { managedBy: "p/s/Namespace/blue", stackInstance: "i" };
const mark = ownerMark(owner);
const provider = namespaceKind.provider as Required<pulumi.dynamic.ResourceProvider>;
const { inputs } = validate(namespaceSchema, { name: "blue", ...owner });
const FOREIGN_ALIAS = `${MARK_PREFIX}j/other/stack/Namespace/blue`;

describe("Namespace create", () => {
  test("claims its record, then adds the namespace, then marks its loopback", async () => {
    const kernel = new FakeKernel();
    const { outs } = await onHost(kernel.host, () => provider.create(inputs));
    const claim = kernel.events.findIndex((e) => e.kind === "file" && e.op === "claim");
    const add = kernel.events.findIndex((e) => e.kind === "ip" && e.lines[0] === "netns add blue");
    assert.ok(claim >= 0 && claim < add, "the record is claimed before the add");
    assert.deepEqual(kernel.changes, [
      { netns: undefined, lines: ["netns add blue"] },
      { netns: "blue", lines: [`link set dev lo up alias ${MARK_PREFIX}${mark}`] },
    ]);
    assert.equal((outs as NamespaceOutputs).inode, kernel.namespaces.get("blue")!.inode);
  });

  test("refuses a look-alike and changes nothing", async () => {
    const kernel = new FakeKernel();
    kernel.addNamespace("blue").links.get("lo")!.alias = FOREIGN_ALIAS;
    await assert.rejects(
      onHost(kernel.host, () => provider.create(inputs)),
      /already exists and this stack did not create it \(it is marked as managed by/,
    );
    assert.deepEqual(kernel.changes, []);
    assert.deepEqual(kernel.files, new Map(), "no record claimed");
  });

  test("resumes a namespace of its own left half made (added, not yet marked)", async () => {
    const kernel = new FakeKernel();
    kernel.addNamespace("blue");
    kernel.writeRecord("blue", mark);
    await onHost(kernel.host, () => provider.create(inputs));
    assert.deepEqual(kernel.changes, [
      { netns: "blue", lines: [`link set dev lo up alias ${MARK_PREFIX}${mark}`] },
    ]);
  });

  test("a failure after the add deletes the namespace and releases the record", async () => {
    const kernel = new FakeKernel();
    kernel.refuse = (netns) => (netns === "blue" ? "RTNETLINK answers: Operation not supported" : undefined);
    await assert.rejects(
      onHost(kernel.host, () => provider.create(inputs)),
      /Operation not supported/,
    );
    assert.deepEqual(kernel.changes.at(-1), { netns: undefined, lines: ["netns delete blue"] });
    assert.equal(kernel.namespaces.size, 0);
    assert.equal(kernel.record("blue"), undefined);
  });
});

describe("Namespace delete", () => {
  test("deletes its own namespace and releases the record", async () => {
    const kernel = new FakeKernel();
    const { outs } = await onHost(kernel.host, () => provider.create(inputs));
    kernel.events.length = 0;
    await onHost(kernel.host, () => provider.delete("blue", outs));
    assert.deepEqual(kernel.changes, [{ netns: undefined, lines: ["netns delete blue"] }]);
    assert.equal(kernel.record("blue"), undefined);
  });

  test("sends no delete for a look-alike that took the name", async () => {
    const kernel = new FakeKernel();
    const { outs } = await onHost(kernel.host, () => provider.create(inputs));
    kernel.namespaces.delete("blue");
    kernel.addNamespace("blue").links.get("lo")!.alias = FOREIGN_ALIAS;
    kernel.events.length = 0;
    await onHost(kernel.host, () => provider.delete("blue", outs));
    assert.deepEqual(kernel.changes, []);
    assert.equal(kernel.namespaces.get("blue")!.links.get("lo")!.alias, FOREIGN_ALIAS);
  });
});
