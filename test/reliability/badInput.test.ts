// Bad input fails at `preview` (the real CLI), naming its field, and creates nothing. The engine
// stops at the first resource whose check fails, so each preview holds one bad resource; that
// resource carries several bad fields at once (check reports every failure, each with its own
// property path), which keeps the number of previews small. Names that are `ip` keywords or
// shell metacharacters are valid: they must deploy and appear in the kernel literally.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import * as netns from "pulumi-netns";
import { inlineStack } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import { ipJson } from "../helpers/readback";
import { assertNoLeaks, failureOf, figure, leftovers } from "../helpers/reliability";
import { isRoot, requireRoot } from "../helpers/root";

const p = uniquePrefix();
const hubName = `${p}hub`;

/** One expected failure: the bad resource's property and a pattern its reason must match. */
type Expect = readonly [property: string, reason: RegExp];

interface Preview {
  readonly title: string;
  /** Declares supporting resources and one resource named "bad". */
  readonly program: () => void;
  readonly expect: readonly Expect[];
}

const BYTES = /1-15 bytes/;
const NS_BYTES = /1-255 bytes/;
const WS = /whitespace/;
const CTRL = /control characters/;
const MTU = /mtu is an integer from 68/;
const MAC = /MAC addresses/;
const CIDR = /prefix length|not an IPv4 address|zone index|need a prefix/;

const hub = () => new netns.Namespace("hub", { name: hubName });

const previews: Preview[] = [
  {
    title: "veth pair: empty and 18-byte names, blank and control namespaces, mtu, multicast MAC, /33",
    program: () =>
      new netns.VethPair("bad", {
        a: { name: "", namespace: "a b", mtu: 67, addresses: ["10.0.0.1/33"] },
        b: { name: "ééééééééé", namespace: "x\u0001y", macAddress: "01:00:5e:00:00:01" },
        mtu: 70000,
      }),
    expect: [
      ["a.name", /"" is 0 bytes/],
      ["a.namespace", WS],
      ["a.mtu", MTU],
      ["a.addresses[0]", /0-32/],
      ["b.name", /"ééééééééé" is 18 bytes/],
      ["b.namespace", CTRL],
      ["b.macAddress", /multicast/],
      ["mtu", MTU],
    ],
  },
  {
    title: "veth pair: 16-byte name, '/' in names, no prefix, short MAC, /129, fractional mtu",
    program: () =>
      new netns.VethPair("bad", {
        a: {
          name: "sixteen-chars-16",
          namespace: "a/b",
          addresses: ["10.0.0.1"],
          macAddress: "02:00:00:00:00",
        },
        b: { name: "a/b", namespace: "", addresses: ["fd00::1/129"], mtu: 1500.5 },
      }),
    expect: [
      ["a.name", /is 16 bytes/],
      ["a.namespace", /cannot contain "\/"/],
      ["a.addresses[0]", /need a prefix length/],
      ["a.macAddress", /six colon-separated hex octets/],
      ["b.name", /cannot contain "\/" or ":"/],
      ["b.namespace", NS_BYTES],
      ["b.addresses[0]", /0-128/],
      ["b.mtu", MTU],
    ],
  },
  {
    title: "veth pair: blank, bell, tab, '..', bad IPv4/IPv6, non-hex and broadcast MACs",
    program: () =>
      new netns.VethPair("bad", {
        a: { name: "a b", namespace: "a\tb", addresses: ["256.1.1.1/24"], macAddress: "zz:00:00:00:00:01" },
        b: { name: "a\u0007b", namespace: "..", addresses: ["fd00:::1/64"], macAddress: "ff:ff:ff:ff:ff:ff" },
      }),
    expect: [
      ["a.name", WS],
      ["a.namespace", WS],
      ["a.addresses[0]", CIDR],
      ["a.macAddress", MAC],
      ["b.name", CTRL],
      ["b.namespace", /"\." or "\.\."/],
      ["b.addresses[0]", CIDR],
      ["b.macAddress", /broadcast/],
    ],
  },
  {
    title: "veth pair: ':' and 0xA0 names, quote and 256-byte namespaces, negative prefix, zone, mtu 0",
    program: () =>
      new netns.VethPair("bad", {
        a: { name: "eth0:1", namespace: "a'b", addresses: ["10.0.0.1/-1"] },
        b: { name: "à", namespace: "é".repeat(128), addresses: ["fe80::1%eth0/64"] },
        mtu: 0,
      }),
    expect: [
      ["a.name", /cannot contain "\/" or ":"/],
      ["a.namespace", /ip -batch/],
      ["a.addresses[0]", CIDR],
      ["b.name", /0xA0/],
      ["b.namespace", /256 bytes/],
      ["b.addresses[0]", CIDR],
      ["mtu", MTU],
    ],
  },
  {
    title: "namespace: empty name, sysctl outside net.",
    program: () => new netns.Namespace("bad", { name: "", sysctls: { "kernel.hostname": "x" } }),
    expect: [
      ["name", NS_BYTES],
      ['sysctls["kernel.hostname"]', /start with "net\."/],
    ],
  },
  {
    title: "namespace: newline and shell text in the name",
    program: () => new netns.Namespace("bad", { name: "x\nrm -rf /" }),
    expect: [["name", WS]],
  },
  {
    title: "namespace: '#' in the name",
    program: () => new netns.Namespace("bad", { name: `${p}#x` }),
    expect: [["name", /ip -batch/]],
  },
  {
    title: "bridge: empty name, mtu, MAC, duplicate address, forwardDelay, ageingTime",
    program: () =>
      new netns.Bridge("bad", {
        name: "",
        namespace: hub().name,
        mtu: 65536,
        macAddress: "03:00:00:00:00:01",
        addresses: ["10.0.0.1/24", "10.0.0.1/24"],
        forwardDelay: 31,
        ageingTime: -1,
      }),
    expect: [
      ["name", BYTES],
      ["mtu", MTU],
      ["macAddress", /multicast/],
      ["addresses[1]", /listed once/],
      ["forwardDelay", /0-30 seconds/],
      ["ageingTime", /seconds/],
    ],
  },
  {
    title: "bridge: a name the kernel would rewrite as a template (x%d becomes x0)",
    program: () => new netns.Bridge("bad", { name: "br%d", namespace: hub().name }),
    expect: [["name", /template/]],
  },
  {
    title: "tap: an MTU above the tun driver's 65521",
    program: () => new netns.TapDevice("bad", { name: "t0", namespace: hub().name, mtu: 65535 }),
    expect: [["mtu", /at most 65521/]],
  },
  {
    title: "routes: two resources wanting one route key",
    program: () => {
      const h = hub();
      const first = new netns.Route("first", { namespace: h.name, destination: "10.9.0.0/24", dev: "lo" });
      new netns.Route(
        "bad",
        { namespace: h.name, destination: "10.9.0.0/24", dev: "lo" },
        { dependsOn: [first] },
      );
    },
    expect: [["destination", /also declared by Route first/]],
  },
  {
    title: "bridge: STP with a forwardDelay under 2 s",
    program: () => new netns.Bridge("bad", { name: "b0", namespace: hub().name, stp: true, forwardDelay: 1 }),
    expect: [["forwardDelay", /with stp on/]],
  },
  {
    title: "bridge: its own master",
    program: () => new netns.Bridge("bad", { name: "b0", namespace: hub().name, master: "b0" }),
    expect: [["master", /its own master/]],
  },
  {
    title: "tap: backslash name, negative owner and group, mtu",
    program: () =>
      new netns.TapDevice("bad", { name: "t\\1", namespace: hub().name, owner: -1, group: -5, mtu: 10 }),
    expect: [
      ["name", /ip -batch/],
      ["owner", /owner is a uid/],
      ["group", /group is a gid/],
      ["mtu", MTU],
    ],
  },
  {
    title: "tap: owner 2^32-1, fractional group, '#' namespace",
    program: () =>
      new netns.TapDevice("bad", { name: "t1", namespace: "a#b", owner: 2 ** 32 - 1, group: 1.5 }),
    expect: [
      ["owner", /owner is a uid/],
      ["group", /group is a gid/],
      ["namespace", /ip -batch/],
    ],
  },
  {
    title: "tap: a plain-string namespace neither declared nor existing",
    program: () => new netns.TapDevice("bad", { name: "t1", namespace: `${p}nowhere` }),
    expect: [["namespace", /not declared in this stack and does not exist/]],
  },
  {
    title: "veth pair: a master in another namespace",
    program: () => {
      const h = hub();
      const br = new netns.Bridge("br", { name: "br", namespace: h.name });
      const host = new netns.Namespace("host", { name: `${p}h` });
      new netns.VethPair(
        "bad",
        { a: { name: "v0", namespace: host.name, master: "br" }, b: { name: "v1", namespace: h.name } },
        { dependsOn: [br] },
      );
    },
    expect: [["a.master", /a port and its bridge must share a namespace/]],
  },
  {
    title: "tap: a master that is a veth, not a bridge",
    program: () => {
      const h = hub();
      const host = new netns.Namespace("host", { name: `${p}h` });
      const pair = new netns.VethPair("pair", {
        a: { name: "v0", namespace: h.name },
        b: { name: "v1", namespace: host.name },
      });
      new netns.TapDevice("bad", { name: "t0", namespace: h.name, master: "v0" }, { dependsOn: [pair] });
    },
    expect: [["master", /is a veth, not a bridge/]],
  },
  {
    title: "duplicate namespace name within one stack",
    program: () => {
      const first = new netns.Namespace("first", { name: `${p}dup` });
      new netns.Namespace("bad", { name: `${p}dup` }, { dependsOn: [first] });
    },
    expect: [["name", /also declared by Namespace first/]],
  },
  {
    title: "duplicate interface name within one stack (bridge and tap)",
    program: () => {
      const h = hub();
      const br = new netns.Bridge("br", { name: "br", namespace: h.name });
      new netns.TapDevice("bad", { name: "br", namespace: h.name }, { dependsOn: [br] });
    },
    expect: [["name", /also declared by Bridge br/]],
  },
  {
    title: "duplicate veth end within one stack",
    program: () => {
      const h = hub();
      const host = new netns.Namespace("host", { name: `${p}h` });
      const first = new netns.VethPair("first", {
        a: { name: "x", namespace: h.name },
        b: { name: "y", namespace: host.name },
      });
      new netns.VethPair(
        "bad",
        { a: { name: "x", namespace: h.name }, b: { name: "z", namespace: host.name } },
        { dependsOn: [first] },
      );
    },
    expect: [["a.name", /also declared by VethPair first/]],
  },
  {
    title: "veth pair: both ends the same interface",
    program: () =>
      new netns.VethPair("bad", {
        a: { name: "x", namespace: hub().name },
        b: { name: "x", namespace: hubName },
      }),
    expect: [["b.name", /two ends of a veth pair must differ/]],
  },
];

/** `property -> reasons` of resource `name`, parsed from the engine's diagnostics. */
function failuresOf(output: string, name: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const line = new RegExp(
    `resource '${name}': property (\\S+) value \\{[\\s\\S]*?\\} has a problem: (.*)$`,
    "gm",
  );
  for (const m of output.matchAll(line)) {
    const [, property, reason] = m as unknown as [string, string, string];
    const reasons = found.get(property) ?? [];
    if (!reasons.includes(reason)) reasons.push(reason);
    found.set(property, reasons);
  }
  return found;
}

/** Runs `tasks` with at most `width` at a time. */
async function pool<T>(tasks: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

const figures = { refused: 0, cases: previews.reduce((n, pr) => n + pr.expect.length, 0) };

describe("bad input is refused at preview, naming its field, and nothing is created", () => {
  after(() => {
    figure(`bad inputs refused ${figures.refused}/${figures.cases} (in ${previews.length} previews)`);
    if (isRoot()) assertNoLeaks(p);
  });

  test(`${figures.cases} bad inputs in ${previews.length} previews`, async (t) => {
    if (!requireRoot(t)) return;
    const started = Date.now();
    // Three stacks previewing side by side, each swapping its inline program between previews:
    // a stack per preview would cost a stack creation and a destroy each.
    const LANES = 3;
    const stacks = await Promise.all(
      Array.from({ length: LANES }, (_, i) =>
        inlineStack({ stackName: `${p}-bad${i}`, program: async () => {} }),
      ),
    );
    const idle = [...stacks];
    let outcomes;
    try {
      outcomes = await pool(
        previews.map((preview) => async () => {
          const ts = idle.pop()!;
          try {
            (ts.stack.workspace as LocalWorkspace).program = async () => preview.program();
            const error = await failureOf(ts.stack.preview({ onOutput: () => undefined }));
            const output = `${(error as { stderr?: string } | undefined)?.stderr ?? ""}${error?.message ?? ""}`;
            return { preview, error, failures: failuresOf(output, "bad") };
          } finally {
            idle.push(ts);
          }
        }),
        LANES,
      );
    } finally {
      await Promise.all(stacks.map((ts) => ts.dispose()));
    }
    t.diagnostic(`${previews.length} previews took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const missed: string[] = [];
    for (const { preview, error, failures } of outcomes) {
      if (!error) {
        missed.push(`${preview.title}: preview succeeded`);
        continue;
      }
      for (const [property, reason] of preview.expect) {
        const reasons = failures.get(property) ?? [];
        if (reasons.some((r) => reason.test(r))) figures.refused += 1;
        else
          missed.push(
            `${preview.title}: no failure at ${property} matching ${reason} (got ${JSON.stringify([...failures])})`,
          );
      }
    }
    assert.deepEqual(missed, []);
    assert.deepEqual(leftovers(p), { namespaces: [], links: [], records: [] }, "preview created nothing");
  });

  test("names that are ip keywords or shell metacharacters deploy literally", async (t) => {
    if (!requireRoot(t)) return;
    const kw = `${p}kw`;
    const odd = `${p}$(id);x|y&z`;
    const ts = await inlineStack({
      stackName: `${p}-names`,
      program: async () => {
        const a = new netns.Namespace("kw", { name: kw });
        const b = new netns.Namespace("odd", { name: odd });
        const master = new netns.Bridge("master", { name: "master", namespace: a.name });
        new netns.Bridge("br", { name: "br", namespace: a.name });
        new netns.VethPair("up", {
          a: { name: "up", namespace: a.name, master: master.name, addresses: ["10.99.0.1/24"] },
          b: { name: "dev", namespace: b.name, addresses: ["10.99.0.2/24"] },
        });
        new netns.TapDevice("help", { name: "help", namespace: a.name });
        new netns.TapDevice("type", { name: "type", namespace: a.name });
        for (const name of ["$(id)", "a;b", "a|b", "a&b", "*", "~"])
          new netns.TapDevice(`tap ${name}`, { name, namespace: b.name });
        return { ok: pulumi.output(true) };
      },
    });
    try {
      const up = await ts.stack.up({ onOutput: () => undefined });
      assert.equal(up.summary.result, "succeeded");
      const names = (ns: string) =>
        ipJson<{ ifname: string }[]>(["-n", ns, "link", "show"]).map((l) => l.ifname);
      assert.deepEqual(names(kw).sort(), ["br", "help", "lo", "master", "type", "up"]);
      assert.deepEqual(names(odd).sort(), ["$(id)", "*", "a&b", "a;b", "a|b", "dev", "lo", "~"].sort());
      const [up0] = ipJson<{ master?: string }[]>(["-n", kw, "link", "show", "dev", "up"]);
      assert.equal(up0?.master, "master", "the keyword-named veth end is a port of the keyword-named bridge");
      await ts.stack.preview({ expectNoChanges: true, onOutput: () => undefined });
    } finally {
      await ts.dispose();
    }
    assert.deepEqual(leftovers(p), { namespaces: [], links: [], records: [] });
  });

  // The kernel layer refuses a backtick in any `ip -batch` argument (provider/kernel/ip.ts
  // unsafeInBatch), but the schema's BATCH_SPECIAL does not: such a name passes preview and the
  // `up` fails halfway. It must fail at preview like '#' and quotes do.
  test("a backtick in a name is refused at preview, as the kernel layer refuses it", async (t) => {
    if (!requireRoot(t)) return;
    const ts = await inlineStack({
      stackName: `${p}-tick`,
      program: async () => {
        new netns.TapDevice("bad", { name: "a`b", namespace: hub().name });
      },
    });
    try {
      const error = await failureOf(ts.stack.preview({ onOutput: () => undefined }));
      const output = `${(error as { stderr?: string } | undefined)?.stderr ?? ""}${error?.message ?? ""}`;
      assert.ok(failuresOf(output, "bad").has("name"), "preview names the field `name`");
    } finally {
      await ts.dispose();
    }
  });
});
