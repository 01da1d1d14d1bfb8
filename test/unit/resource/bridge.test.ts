// A single-link kind's handlers (singleLinkKind, through Bridge) against the fake kernel: the one
// `ip -batch` create sends in the link's namespace, and what it does about a link already there.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type * as pulumi from "@pulumi/pulumi";
import { bridgeKind } from "../../../provider/bridge";
import { onHost } from "../../../provider/kernel/host";
import { linkGroupFor, MARK_PREFIX } from "../../../provider/kernel/ip";
import { ownerMark } from "../../../provider/ownership";
import { validate } from "../../../provider/schema/checkFailures";
import { bridgeSchema } from "../../../provider/schema/bridge";
import { FakeKernel } from "../../helpers/fakeKernel";

const owner = { managedBy: "p/s/Bridge/br0", stackInstance: "i" };
const mark = ownerMark(owner);
const group = linkGroupFor(mark);
const provider = bridgeKind.provider as Required<pulumi.dynamic.ResourceProvider>;
const { inputs } = validate(bridgeSchema, {
  name: "br0",
  namespace: "blue",
  addresses: ["10.0.0.1/24"],
  ...owner,
});
const FOREIGN_ALIAS = `${MARK_PREFIX}j/other/stack/Bridge/br0`;

function kernelWithNamespace(): FakeKernel {
  const kernel = new FakeKernel();
  kernel.addNamespace("blue");
  return kernel;
}

describe("Bridge create", () => {
  test("adds, marks, addresses and ups the bridge in one batch in its namespace, read back in it", async () => {
    const kernel = kernelWithNamespace();
    const { outs } = await onHost(kernel.host, () => provider.create(inputs));
    assert.deepEqual(kernel.changes, [
      {
        netns: "blue",
        lines: [
          `link add name br0 group ${group} type bridge stp_state 0`,
          `link set dev br0 alias ${MARK_PREFIX}${mark}`,
          "address add 10.0.0.1/24 dev br0",
          "link set dev br0 up",
        ],
      },
    ]);
    const ip = kernel.events.find((e) => e.kind === "ip");
    assert.deepEqual(ip, {
      kind: "ip",
      netns: "blue",
      lines: [...kernel.changes[0]!.lines, "address show dev br0"],
    });
    assert.equal(
      (outs as { ifindex: number }).ifindex,
      kernel.namespaces.get("blue")!.links.get("br0")!.ifindex,
    );
  });

  test("resumes a bridge of its own left half made (its group, no mark yet)", async () => {
    const kernel = kernelWithNamespace();
    const ifindex = kernel.addLink("blue", { name: "br0", kind: "bridge", group, mtu: 1500 }).ifindex;
    await onHost(kernel.host, () => provider.create(inputs));
    assert.deepEqual(kernel.changes.at(-1), {
      netns: "blue",
      lines: [
        `link set dev br0 alias ${MARK_PREFIX}${mark}`,
        "address add 10.0.0.1/24 dev br0",
        "link set dev br0 up",
      ],
    });
    assert.equal(kernel.namespaces.get("blue")!.links.get("br0")!.ifindex, ifindex);
  });

  test("refuses a look-alike: its add fails on the taken name, and nothing else is sent", async () => {
    const kernel = kernelWithNamespace();
    kernel.addLink("blue", { name: "br0", kind: "bridge", group: 0, mtu: 1500, alias: FOREIGN_ALIAS });
    await assert.rejects(
      onHost(kernel.host, () => provider.create(inputs)),
      /Interface "br0" in namespace "blue" already exists and this stack did not create it/,
    );
    // The one change attempted is the add, which the kernel refused as a whole.
    assert.deepEqual(
      kernel.changes.map((c) => c.lines[0]),
      [`link add name br0 group ${group} type bridge stp_state 0`],
    );
    assert.equal(kernel.namespaces.get("blue")!.links.get("br0")!.alias, FOREIGN_ALIAS);
  });

  test("a failure after the add deletes the bridge it added, and only that", async () => {
    const kernel = kernelWithNamespace();
    kernel.addLink("blue", { name: "other", kind: "bridge", group, mtu: 1500 });
    kernel.refuse = (_netns, line) =>
      line.startsWith("address add") ? "Error: an address the kernel refuses." : undefined;
    await assert.rejects(
      onHost(kernel.host, () => provider.create(inputs)),
      /an address the kernel refuses/,
    );
    assert.deepEqual(kernel.changes.at(-1), { netns: "blue", lines: ["link delete dev br0"] });
    assert.deepEqual([...kernel.namespaces.get("blue")!.links.keys()], ["lo", "other"]);
  });
});

describe("Bridge delete", () => {
  test("sends no delete for a look-alike in its place", async () => {
    const kernel = kernelWithNamespace();
    const { outs } = await onHost(kernel.host, () => provider.create(inputs));
    kernel.namespaces.get("blue")!.links.get("br0")!.alias = FOREIGN_ALIAS;
    kernel.events.length = 0;
    await onHost(kernel.host, () => provider.delete("blue/br0", outs));
    assert.deepEqual(kernel.changes, []);
    assert.ok(kernel.namespaces.get("blue")!.links.has("br0"));
  });

  test("deletes its own", async () => {
    const kernel = kernelWithNamespace();
    const { outs } = await onHost(kernel.host, () => provider.create(inputs));
    kernel.events.length = 0;
    await onHost(kernel.host, () => provider.delete("blue/br0", outs));
    assert.deepEqual(kernel.changes, [{ netns: "blue", lines: ["link delete dev br0"] }]);
  });
});
