// The Lan's handlers against the fake kernel: what each plans (its `ip -batch` lines, per
// namespace and in order), with no root and no kernel. test/kernel/provider/lan.test.ts runs the
// same handlers for real.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type * as pulumi from "@pulumi/pulumi";
import { onHost } from "../../../provider/kernel/host";
import { linkGroupFor, MARK_PREFIX } from "../../../provider/kernel/ip";
import { hostMark, lanKind, type LanOutputs } from "../../../provider/lan";
import { ownerMark } from "../../../provider/ownership";
import { validate } from "../../../provider/schema/checkFailures";
import { lanSchema, type LanResolved } from "../../../provider/schema/lan";
import { FakeKernel } from "../../helpers/fakeKernel";

const owner = { managedBy: "p/s/Lan/lab", stackInstance: "i" };
const mark = ownerMark(owner);
const alias = (m: string) => MARK_PREFIX + m;
const provider = lanKind.provider as Required<pulumi.dynamic.ResourceProvider>;

function lan(hosts: Record<string, unknown>): LanResolved {
  const { inputs, failures } = validate(lanSchema, { namespace: "hub", hosts, ...owner });
  assert.deepEqual(failures, []);
  return inputs as LanResolved;
}

const twoHosts = lan({
  h1: { addresses: ["10.0.0.2/24"], gateway: "10.0.0.1" },
  h2: { addresses: ["10.0.0.3/24"] },
});

/** What a create killed right after its first batch leaves: namespaces and cables, unmarked, claimed. */
function halfMade(kernel: FakeKernel, keys: readonly string[]) {
  kernel.addNamespace("hub");
  kernel.writeRecord("hub", mark);
  kernel.addLink("hub", { name: "br", kind: "bridge", group: linkGroupFor(mark), mtu: 1500 });
  for (const key of keys) {
    const group = linkGroupFor(hostMark(mark, key));
    kernel.addNamespace(key);
    kernel.writeRecord(key, hostMark(mark, key));
    kernel.addLink(key, { name: "eth0", kind: "veth", group, mtu: 1500 });
    kernel.addLink("hub", { name: key, kind: "veth", group, mtu: 1500 });
  }
}

/** Someone else's namespace under the name: a marked loopback that is not ours. */
function lookAlike(kernel: FakeKernel, name: string) {
  kernel.addNamespace(name).links.get("lo")!.alias = alias("j/other/stack/Namespace/x");
}

async function created(kernel: FakeKernel, inputs: LanResolved): Promise<LanOutputs> {
  const { outs } = await onHost(kernel.host, () => provider.create(inputs));
  kernel.events.length = 0;
  return outs as LanOutputs;
}

const hubLines = (keys: readonly string[]) => [
  `link set dev lo alias ${alias(mark)}`,
  "link set dev lo up",
  `link set dev br alias ${alias(mark)}`,
  "link set dev br up",
  ...keys.flatMap((k) => [
    `link set dev ${k} alias ${alias(hostMark(mark, k))}`,
    `link set dev ${k} master br`,
    `link set dev ${k} up`,
  ]),
];

/** A fresh host's batch: loopback marked and up, its end without link-local, marked, addressed, up. */
const hostLines = (key: string, address: string, route: readonly string[]) => [
  `link set dev lo alias ${alias(hostMark(mark, key))}`,
  "link set dev lo up",
  "link set dev eth0 addrgenmode none",
  `link set dev eth0 alias ${alias(hostMark(mark, key))}`,
  `address add ${address} dev eth0`,
  "link set dev eth0 up",
  ...route,
];

describe("Lan create", () => {
  test("claims every record, then adds every namespace and link in one host batch, then one batch in the hub and one per host", async () => {
    const kernel = new FakeKernel();
    const { outs } = await onHost(kernel.host, () => provider.create(twoHosts));

    const claims = kernel.events.flatMap((e, i) => (e.kind === "file" && e.op === "claim" ? [i] : []));
    const firstAdd = kernel.events.findIndex(
      (e) => e.kind === "ip" && e.lines.some((l) => l.includes(" add ")),
    );
    assert.equal(claims.length, 3);
    assert.ok(Math.max(...claims) < firstAdd, "every record is claimed before anything is added");
    const [g1, g2] = ["h1", "h2"].map((k) => linkGroupFor(hostMark(mark, k)));
    assert.deepEqual(kernel.changes, [
      {
        netns: undefined,
        lines: [
          "netns add hub",
          "netns add h1",
          "netns add h2",
          `link add name br netns hub group ${linkGroupFor(mark)} type bridge`,
          `link add name eth0 netns h1 group ${g1} type veth peer name h1 netns hub group ${g1}`,
          `link add name eth0 netns h2 group ${g2} type veth peer name h2 netns hub group ${g2}`,
        ],
      },
      { netns: "hub", lines: hubLines(["h1", "h2"]) },
      { netns: "h1", lines: hostLines("h1", "10.0.0.2/24", ["route replace default via 10.0.0.1 dev eth0"]) },
      { netns: "h2", lines: hostLines("h2", "10.0.0.3/24", []) },
    ]);
    // The outputs are the read-back, not the inputs.
    const h1 = kernel.namespaces.get("h1")!.links.get("eth0")!;
    assert.deepEqual((outs as LanOutputs).hosts.h1, {
      interface: "eth0",
      port: "h1",
      addresses: ["10.0.0.2/24"],
      mtu: 1500,
      macAddress: h1.mac,
      gateway: "10.0.0.1",
      ipv6LinkLocal: false,
    });
  });

  test("resumes a half-made Lan of its own: nothing added again, every object marked", async () => {
    const kernel = new FakeKernel();
    halfMade(kernel, ["h1", "h2"]);
    const ifindex = kernel.namespaces.get("h1")!.links.get("eth0")!.ifindex;
    await onHost(kernel.host, () => provider.create(twoHosts));

    assert.deepEqual(
      kernel.changes.map((c) => c.netns),
      ["hub", "h1", "h2"],
      "no host-namespace batch: nothing is added",
    );
    assert.deepEqual(kernel.changes[0]!.lines, hubLines(["h1", "h2"]));
    assert.equal(kernel.namespaces.get("h1")!.links.get("eth0")!.ifindex, ifindex, "the cable is kept");
    assert.equal(kernel.namespaces.get("h2")!.links.get("eth0")!.alias, alias(hostMark(mark, "h2")));
  });

  test("refuses a look-alike among its names before any change, naming it", async () => {
    const kernel = new FakeKernel();
    lookAlike(kernel, "h2");
    await assert.rejects(
      onHost(kernel.host, () => provider.create(twoHosts)),
      /Network namespace "h2" \(a host of the Lan\) already exists and this stack did not create it/,
    );
    assert.deepEqual(kernel.changes, []);
    assert.deepEqual(
      kernel.events.filter((e) => e.kind === "file" && !["readFile", "stat"].includes(e.op)),
      [],
      "no record claimed or written",
    );
    assert.deepEqual([...kernel.namespaces.keys()], ["h2"]);
  });

  test("a failure rolls back only the namespaces this create added", async () => {
    const kernel = new FakeKernel();
    halfMade(kernel, []);
    kernel.refuse = (netns, line) =>
      netns === "h2" && line.startsWith("address add") ? "Error: an address the kernel refuses." : undefined;
    await assert.rejects(
      onHost(kernel.host, () => provider.create(twoHosts)),
      /an address the kernel refuses/,
    );
    assert.deepEqual(kernel.changes.at(-1), {
      netns: undefined,
      lines: ["netns delete h1", "netns delete h2"],
    });
    assert.deepEqual([...kernel.namespaces.keys()], ["hub"], "the hub it found stays, for the next run");
    assert.equal(kernel.record("hub"), mark);
    assert.equal(kernel.record("h1"), undefined);
    assert.equal(kernel.record("h2"), undefined);
  });
});

describe("Lan delete", () => {
  test("deletes its hosts in one batch, then the hub", async () => {
    const kernel = new FakeKernel();
    const props = await created(kernel, twoHosts);
    await onHost(kernel.host, () => provider.delete("hub", props));
    assert.deepEqual(kernel.changes, [
      { netns: undefined, lines: ["netns delete h1", "netns delete h2"] },
      { netns: undefined, lines: ["netns delete hub"] },
    ]);
    assert.deepEqual([...kernel.files.keys()], [], "every record released");
  });

  test("leaves a look-alike that took a host's name, deleting the rest", async () => {
    const kernel = new FakeKernel();
    const props = await created(kernel, twoHosts);
    // Someone deleted h2 and made their own under the name.
    kernel.namespaces.delete("h2");
    lookAlike(kernel, "h2");
    await onHost(kernel.host, () => provider.delete("hub", props));
    assert.deepEqual(kernel.changes, [
      { netns: undefined, lines: ["netns delete h1"] },
      { netns: undefined, lines: ["netns delete hub"] },
    ]);
    assert.ok(kernel.namespaces.has("h2"));
  });
});
