import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { UNKNOWN } from "../../../provider/schema/unknown";
import { kinds, type ResourceKind } from "../../../provider/kinds";
import type { InputDiff } from "../../../provider/schema/diff";

/** The pure input diff of `kind`, as its descriptor in the registry has it. */
const diffInputs = (kind: ResourceKind, olds: unknown, news: unknown) => kinds[kind].diffInputs(olds, news);

const managedBy = "proj/dev/X/x";
const bases: Record<Exclude<ResourceKind, "Route">, Record<string, unknown>> = {
  Namespace: { name: "blue", sysctls: { "net.ipv4.ip_forward": "1" }, managedBy },
  Bridge: { name: "br0", namespace: "blue", addresses: ["10.0.0.1/24"], managedBy },
  TapDevice: { name: "tap0", namespace: "blue", managedBy },
  VethPair: { a: { name: "va" }, b: { name: "vb", namespace: "blue" }, managedBy },
  Vxlan: {
    name: "vx0",
    namespace: "blue",
    vni: 42,
    remote: "10.0.0.2",
    local: "10.0.0.1",
    dev: "u0",
    managedBy,
  },
  Macvlan: { name: "mv0", namespace: "blue", parent: "eth0", parentNamespace: "hub", managedBy },
  Macvtap: { name: "mt0", namespace: "blue", parent: "eth0", managedBy },
  Lan: { namespace: "hub", hosts: { h1: { addresses: ["10.0.0.1/24"] } }, managedBy },
  Service: { namespace: "blue", name: "web", command: ["/usr/bin/true"], managedBy },
};

const noChange: InputDiff = { changes: false, replaces: [], updates: [], deleteBeforeReplace: false };

/** Sets `path` (dotted, one level of nesting) on a copy of `obj`. */
function set(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, tail] = path.split(".");
  if (tail === undefined) return { ...obj, [head]: value };
  return { ...obj, [head]: { ...(obj[head] as object), [tail]: value } };
}

type Decision = "update" | "replace";
const fieldCases: [keyof typeof bases, string, unknown, Decision][] = [
  ["Namespace", "name", "red", "replace"],
  ["Namespace", "adopt", true, "update"],
  ["Namespace", "managedBy", "proj/prod/Namespace/x", "update"],
  ["Bridge", "name", "br1", "replace"],
  ["Bridge", "namespace", "red", "replace"],
  ["Bridge", "addresses", ["10.0.0.2/24"], "update"],
  ["Bridge", "mtu", 9000, "update"],
  ["Bridge", "macAddress", "02:00:00:00:00:01", "update"],
  ["Bridge", "up", false, "update"],
  ["Bridge", "master", "vrf0", "update"],
  ["Bridge", "stp", true, "update"],
  ["Bridge", "vlanFiltering", true, "update"],
  ["Bridge", "forwardDelay", 4, "update"],
  ["Bridge", "ageingTime", 30, "update"],
  ["Bridge", "adopt", true, "update"],
  ["TapDevice", "name", "tap1", "replace"],
  ["TapDevice", "namespace", "red", "replace"],
  ["TapDevice", "owner", 1000, "replace"],
  ["TapDevice", "group", 1000, "replace"],
  ["TapDevice", "multiQueue", true, "replace"],
  ["TapDevice", "vnetHdr", true, "replace"],
  ["TapDevice", "mtu", 1400, "update"],
  ["TapDevice", "master", "br0", "update"],
  ["VethPair", "a.name", "vc", "replace"],
  ["VethPair", "a.namespace", "red", "replace"],
  ["VethPair", "b.name", "vd", "replace"],
  ["VethPair", "b.namespace", "red", "replace"],
  ["VethPair", "a.addresses", ["fd00::1/64"], "update"],
  ["VethPair", "b.mtu", 9000, "update"],
  ["VethPair", "a.up", false, "update"],
  ["VethPair", "b.master", "br0", "update"],
  ["VethPair", "a.rate", { bitsPerSecond: 10_000_000 }, "update"],
  ["TapDevice", "rate", { bitsPerSecond: 10_000_000 }, "update"],
  ["Vxlan", "rate", { bitsPerSecond: 10_000_000 }, "update"],
  ["Macvlan", "rate", { bitsPerSecond: 10_000_000 }, "update"],
  ["Macvtap", "rate", { bitsPerSecond: 10_000_000 }, "update"],
  ["VethPair", "a.macAddress", "02:00:00:00:00:02", "update"],
  ["VethPair", "adopt", true, "update"],
  ["Vxlan", "vni", 43, "replace"],
  ["Vxlan", "dstPort", 4790, "replace"],
  ["Vxlan", "srcPortRange", [1000, 2000], "replace"],
  ["Vxlan", "dev", "u1", "update"],
  ["Vxlan", "ttl", 64, "update"],
  ["Vxlan", "learning", false, "update"],
  ["Vxlan", "mtu", 1400, "update"],
  ["Vxlan", "master", "br0", "update"],
  ["Vxlan", "name", "vx1", "replace"],
  ["Macvlan", "name", "mv1", "replace"],
  ["Macvlan", "namespace", "red", "replace"],
  ["Macvlan", "parent", "eth1", "replace"],
  ["Macvlan", "parentNamespace", "red", "replace"],
  ["Macvlan", "mtu", 1400, "update"],
  ["Macvlan", "master", "br0", "update"],
  ["Macvlan", "addresses", ["10.0.0.9/24"], "update"],
  ["Macvtap", "name", "mt1", "replace"],
  ["Macvtap", "parent", "eth1", "replace"],
  ["Macvtap", "parentNamespace", "hub", "replace"],
  ["Macvtap", "macAddress", "02:00:00:00:00:03", "update"],
  ["Service", "namespace", "red", "replace"],
  ["Service", "name", "web2", "replace"],
  ["Service", "command", ["/usr/bin/false"], "update"],
  ["Service", "workingDirectory", "/tmp", "update"],
  ["Service", "user", "nobody", "update"],
  ["Service", "files", [{ path: "/etc/x.conf", content: "x" }], "update"],
  ["Service", "readiness", { tcpPort: 80 }, "update"],
  ["Service", "stop", { signal: "SIGINT" }, "update"],
  ["Lan", "namespace", "hub2", "replace"],
  ["Lan", "bridge", "br1", "replace"],
  // A host added (or re-made) is an update of the Lan, never its replacement.
  ["Lan", "hosts.h2", { addresses: ["10.0.0.2/24"] }, "update"],
];

describe("diffInputs: a macvlan's mode changes in place except into or out of passthru", () => {
  const withMode = (mode: unknown) => ({ ...bases.Macvlan, mode });
  const cases: [unknown, unknown, Decision][] = [
    ["bridge", "private", "update"],
    ["private", "vepa", "update"],
    ["vepa", "source", "update"],
    ["source", "bridge", "update"],
    ["bridge", "passthru", "replace"],
    ["passthru", "vepa", "replace"],
    // Unknown could be passthru: preview says replace rather than promise an update.
    ["bridge", UNKNOWN, "replace"],
  ];
  for (const [from, to, decision] of cases) {
    test(`${String(from)} -> ${String(to)}: ${decision}`, () => {
      const d = diffInputs("Macvlan", withMode(from), withMode(to));
      assert.deepEqual(decision === "replace" ? d.replaces : d.updates, ["mode"]);
      assert.deepEqual(decision === "replace" ? d.updates : d.replaces, []);
      assert.equal(d.deleteBeforeReplace, decision === "replace", "the same name is freed first");
    });
  }
  test("a macvtap's too (the same netlink attributes, tried the same way)", () => {
    const tap = (mode: string) => ({ ...bases.Macvtap, mode });
    assert.deepEqual(diffInputs("Macvtap", tap("bridge"), tap("vepa")).updates, ["mode"]);
    assert.deepEqual(diffInputs("Macvtap", tap("vepa"), tap("passthru")).replaces, ["mode"]);
  });
  test("the default mode is bridge", () => {
    assert.deepEqual(diffInputs("Macvlan", bases.Macvlan, withMode("bridge")), noChange);
  });
  test("a parent namespace equal to the macvlan's own is the same as none", () => {
    const same = { ...bases.Macvlan, parentNamespace: "blue" };
    const none = { ...bases.Macvlan, parentNamespace: undefined };
    assert.deepEqual(diffInputs("Macvlan", same, none), noChange);
    assert.deepEqual(diffInputs("Macvlan", none, same), noChange);
  });
});

describe("diffInputs: update or replace per field", () => {
  for (const [kind, path, value, decision] of fieldCases) {
    test(`${kind} ${path} -> ${decision}`, () => {
      const d = diffInputs(kind, bases[kind], set(bases[kind], path, value));
      assert.equal(d.changes, true);
      assert.deepEqual(decision === "replace" ? d.replaces : d.updates, [path]);
      assert.deepEqual(decision === "replace" ? d.updates : d.replaces, []);
    });
    test(`${kind} ${path} unknown -> ${decision}`, () => {
      const d = diffInputs(kind, bases[kind], set(bases[kind], path, UNKNOWN));
      assert.deepEqual(decision === "replace" ? d.replaces : d.updates, [path]);
    });
  }
});

describe("diffInputs: what is not a change", () => {
  test("identical inputs", () => {
    for (const kind of Object.keys(bases) as (keyof typeof bases)[])
      assert.deepEqual(diffInputs(kind, bases[kind], bases[kind]), noChange);
  });
  test("defaults written out on one side only", () => {
    const explicit = { ...bases.Bridge, up: true, stp: false, vlanFiltering: false, adopt: false };
    assert.deepEqual(diffInputs("Bridge", bases.Bridge, explicit), noChange);
    assert.deepEqual(
      diffInputs("Namespace", { name: "n", managedBy }, { name: "n", sysctls: {}, managedBy }),
      noChange,
    );
  });
  test("address order and spelling", () => {
    const olds = { ...bases.Bridge, addresses: ["10.0.0.1/24", "fd00::1/64", "::ffff:1.2.3.4/96"] };
    const news = { ...bases.Bridge, addresses: ["::FFFF:1.2.3.4/96", "FD00:0:0:0::1/64", "10.0.0.1/24"] };
    assert.deepEqual(diffInputs("Bridge", olds, news), noChange);
  });
  test("any permutation of addresses", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.ipV4(), { minLength: 1, maxLength: 8 }), fc.nat(), (ips, seed) => {
        const list = ips.map((ip) => `${ip}/24`);
        const shuffled = [...list].sort(
          (x, y) => ((x.length * 31 + seed) % 7) - ((y.length * 31 + seed) % 7),
        );
        return !diffInputs(
          "TapDevice",
          { ...bases.TapDevice, addresses: list },
          { ...bases.TapDevice, addresses: shuffled },
        ).changes;
      }),
    );
  });
  test("MAC case", () => {
    const olds = { ...bases.TapDevice, macAddress: "02:aa:bb:cc:dd:ee" };
    assert.deepEqual(diffInputs("TapDevice", olds, { ...olds, macAddress: "02:AA:BB:CC:DD:EE" }), noChange);
  });
  test("a sysctl integer and its string", () => {
    const news = { ...bases.Namespace, sysctls: { "net.ipv4.ip_forward": 1 } };
    assert.deepEqual(diffInputs("Namespace", bases.Namespace, news), noChange);
  });
  test("output-only properties in the old state", () => {
    const olds = { ...bases.Bridge, ifindex: 7, operstate: "UP", __provider: "x" };
    assert.deepEqual(diffInputs("Bridge", olds, { ...bases.Bridge, __provider: "y" }), noChange);
  });
  test("a veth mtu moved from the pair to both ends", () => {
    const olds = { ...bases.VethPair, mtu: 1400 };
    const news = {
      ...bases.VethPair,
      a: { name: "va", mtu: 1400 },
      b: { name: "vb", namespace: "blue", mtu: 1400 },
    };
    assert.deepEqual(diffInputs("VethPair", olds, news), noChange);
  });
});

describe("diffInputs: Vxlan addresses", () => {
  const vx = bases.Vxlan;
  test("remote, local and group change in place within their family", () => {
    assert.deepEqual(diffInputs("Vxlan", vx, { ...vx, remote: "10.0.0.3", local: "10.0.0.9" }).updates, [
      "remote",
      "local",
    ]);
    const toGroup = diffInputs("Vxlan", vx, { ...vx, remote: undefined, group: "239.1.1.1" });
    assert.deepEqual([toGroup.replaces, toGroup.updates], [[], ["remote", "group"]]);
    assert.deepEqual(diffInputs("Vxlan", vx, { ...vx, local: undefined }).updates, ["local"]);
  });
  test("a new address family replaces the device (the kernel refuses it in place)", () => {
    const d = diffInputs("Vxlan", vx, { ...vx, remote: "fd00::2", local: "fd00::1" });
    assert.deepEqual([d.replaces, d.updates, d.deleteBeforeReplace], [["remote", "local"], [], true]);
    const none = diffInputs(
      "Vxlan",
      { ...vx, local: undefined, remote: "fd00::2" },
      { ...vx, local: undefined, remote: undefined },
    );
    assert.deepEqual(none.replaces, ["remote"], "no address at all is IPv4");
  });
  test("an address not known yet may change the family: replace", () => {
    assert.deepEqual(diffInputs("Vxlan", vx, { ...vx, remote: UNKNOWN }).replaces, ["remote"]);
  });
  test("removing the underlay replaces (ip cannot unset it); setting one does not", () => {
    assert.deepEqual(diffInputs("Vxlan", vx, { ...vx, dev: undefined }).replaces, ["dev"]);
    assert.deepEqual(diffInputs("Vxlan", { ...vx, dev: undefined }, vx).updates, ["dev"]);
  });
  test("spelling: an address, ttl auto, the default port range", () => {
    const news = {
      ...vx,
      remote: "10.0.0.2",
      ttl: "auto",
      srcPortRange: [0, 0],
      dstPort: 4789,
      learning: true,
    };
    assert.deepEqual(diffInputs("Vxlan", { ...vx, remote: "10.0.0.2", ttl: 0 }, news), noChange);
    const v6 = { ...vx, remote: "fd00::2", local: "FD00:0::1" };
    assert.deepEqual(diffInputs("Vxlan", { ...v6, local: "fd00::1" }, v6), noChange);
  });
});

describe("diffInputs: details", () => {
  test("sysctls diff per key", () => {
    const news = {
      ...bases.Namespace,
      sysctls: { "net.ipv4.ip_forward": "0", "net.ipv6.conf.all.forwarding": UNKNOWN },
    };
    const d = diffInputs("Namespace", bases.Namespace, news);
    assert.deepEqual(d.updates, [
      'sysctls["net.ipv4.ip_forward"]',
      'sysctls["net.ipv6.conf.all.forwarding"]',
    ]);
  });
  test("unknown sysctls as a whole", () => {
    assert.deepEqual(
      diffInputs("Namespace", bases.Namespace, { ...bases.Namespace, sysctls: UNKNOWN }).updates,
      ["sysctls"],
    );
  });
  test("an unknown address element", () => {
    const d = diffInputs("Bridge", bases.Bridge, { ...bases.Bridge, addresses: ["10.0.0.1/24", UNKNOWN] });
    assert.deepEqual(d.updates, ["addresses"]);
  });
  test("a veth pair mtu changes the ends that inherit it", () => {
    const olds = { ...bases.VethPair, a: { name: "va", mtu: 9000 }, mtu: 1400 };
    const d = diffInputs("VethPair", olds, { ...olds, mtu: 1500 });
    assert.deepEqual(d.updates, ["b.mtu"]);
  });
  test("an unknown end replaces both of its identity fields", () => {
    const d = diffInputs("VethPair", bases.VethPair, { ...bases.VethPair, b: UNKNOWN });
    assert.deepEqual(d.replaces, ["b.name", "b.namespace"]);
    assert.equal(d.deleteBeforeReplace, true);
  });
});

describe("diffInputs: deleteBeforeReplace", () => {
  const veth = (a: [string | undefined, string], b: [string | undefined, string]) => ({
    a: { namespace: a[0], name: a[1] },
    b: { namespace: b[0], name: b[1] },
    managedBy,
  });
  const cases: [string, keyof typeof bases, Record<string, unknown>, Record<string, unknown>, boolean][] = [
    [
      "veth: swap ends",
      "VethPair",
      veth([undefined, "x"], ["n", "y"]),
      veth(["n", "y"], [undefined, "x"]),
      true,
    ],
    [
      "veth: rename one end",
      "VethPair",
      veth([undefined, "x"], ["n", "y"]),
      veth([undefined, "z"], ["n", "y"]),
      true,
    ],
    [
      "veth: move one end",
      "VethPair",
      veth([undefined, "x"], ["n", "y"]),
      veth(["m", "x"], ["n", "y"]),
      true,
    ],
    [
      "veth: new a takes old b's place",
      "VethPair",
      veth(["n", "x"], ["n", "y"]),
      veth(["n", "y"], ["n", "z"]),
      true,
    ],
    [
      "veth: rename both ends",
      "VethPair",
      veth([undefined, "x"], ["n", "y"]),
      veth([undefined, "p"], ["n", "q"]),
      false,
    ],
    ["veth: move both ends", "VethPair", veth(["m", "x"], ["n", "y"]), veth(["o", "x"], ["p", "y"]), false],
    [
      "veth: unknown new name",
      "VethPair",
      veth([undefined, "x"], ["n", "y"]),
      veth([undefined, UNKNOWN], ["n", "q"]),
      true,
    ],
    ["tap: multiQueue flag", "TapDevice", bases.TapDevice, { ...bases.TapDevice, multiQueue: true }, true],
    ["tap: owner", "TapDevice", bases.TapDevice, { ...bases.TapDevice, owner: 0 }, true],
    ["tap: rename", "TapDevice", bases.TapDevice, { ...bases.TapDevice, name: "tap1" }, false],
    [
      "tap: rename and vnetHdr",
      "TapDevice",
      bases.TapDevice,
      { ...bases.TapDevice, name: "tap1", vnetHdr: true },
      false,
    ],
    ["bridge: move to the host", "Bridge", bases.Bridge, { ...bases.Bridge, namespace: undefined }, false],
    ["bridge: unknown namespace", "Bridge", bases.Bridge, { ...bases.Bridge, namespace: UNKNOWN }, true],
    ["namespace: rename", "Namespace", bases.Namespace, { ...bases.Namespace, name: "red" }, false],
    ["namespace: unknown name", "Namespace", bases.Namespace, { ...bases.Namespace, name: UNKNOWN }, true],
    ["update only: never", "Bridge", bases.Bridge, { ...bases.Bridge, mtu: 1400 }, false],
  ];
  for (const [title, kind, olds, news, expected] of cases) {
    test(title, () => {
      const d = diffInputs(kind, olds, news);
      assert.equal(d.changes, true);
      assert.equal(d.deleteBeforeReplace, expected);
    });
  }
});

describe("every schema field of every registered kind is compared", () => {
  // A field not known yet could be anything: whatever rule a field has, it must show as a change.
  const inputs: Record<keyof typeof kinds, Record<string, unknown>> = {
    ...bases,
    Route: { destination: "10.1.0.0/16", via: "10.0.0.1", managedBy },
    StackInstance: { pinned: "abc" },
  };
  for (const descriptor of Object.values(kinds)) {
    for (const field of Object.keys(descriptor.schema.shape)) {
      test(`${descriptor.kind} ${field}`, () => {
        const base = inputs[descriptor.kind];
        assert.equal(descriptor.diffInputs(base, { ...base, [field]: UNKNOWN }).changes, true);
      });
    }
  }
});
