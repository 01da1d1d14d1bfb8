// A stack's objects swapped for look-alikes: removed by hand and re-created under the same names by
// someone else. refresh must report them gone, up must refuse them, destroy must leave them, and
// every look-alike must be untouched after each step. One swap of each kind: a namespace, a link
// in the host namespace, a link inside a namespace, a tap, a veth end and a route (protocol 110,
// as another stack's would have).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, statSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import * as netns from "pulumi-netns";
import { ROUTE_RECORD_DIR, routeRecordFile, routeWriteRecord } from "../../provider/kernel/route";
import { inlineStack, type TestStack } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import { ip, ipJson, removeByPrefix } from "../helpers/readback";
import { failureOf, figure } from "../helpers/reliability";
import { isRoot, requireRoot } from "../helpers/root";

const p = uniquePrefix();
const nsX = `${p}-x`;
const nsY = `${p}-y`;
const hostBridge = `${p}hb`;
const ROUTE = "10.92.0.0/24";

/** Every resource whose object the test swaps, by its name in the program. */
const SWAPPED = ["x", "hostBridge", "bridgeY", "tapY", "pair", "route"];

// nsY is the test's own namespace, not the stack's: destroying the stack must not take the
// look-alikes inside it down with a namespace of ours.
const program = async () => {
  new netns.Namespace("x", { name: nsX });
  new netns.Bridge("hostBridge", { name: hostBridge });
  new netns.Bridge("bridgeY", { name: "br", namespace: nsY });
  new netns.TapDevice("tapY", { name: "tap0", namespace: nsY });
  const pair = new netns.VethPair("pair", {
    a: { name: "va", namespace: nsY },
    b: { name: "vb", namespace: nsY, addresses: ["10.91.0.1/24"] },
  });
  // The route needs the pair's address on the first up; after the swap, up must try the route
  // itself even though the pair fails, so it no longer waits for the pair.
  new netns.Route(
    "route",
    { namespace: nsY, destination: ROUTE, via: "10.91.0.2" },
    { dependsOn: routeWaitsForPair ? [pair] : [] },
  );
};
let routeWaitsForPair = true;

/** Removes our objects by hand and makes foreign ones of the same names, the way another user or stack would. */
async function swap(): Promise<void> {
  ip(["netns", "delete", nsX]);
  ip(["netns", "add", nsX]);
  ip(["-n", nsX, "link", "set", "dev", "lo", "up"]);
  ip(["link", "delete", "dev", hostBridge]);
  ip(["link", "add", "name", hostBridge, "type", "bridge"]);
  ip(["-n", nsY, "link", "delete", "dev", "br"]);
  ip(["-n", nsY, "link", "add", "name", "br", "type", "bridge"]);
  ip(["-n", nsY, "link", "delete", "dev", "tap0"]);
  ip(["-n", nsY, "tuntap", "add", "dev", "tap0", "mode", "tap"]);
  // Deleting the pair drops our route with its device; the foreign pair gets the same address and
  // a route at the same key with protocol 110, as another pulumi-netns stack's would carry.
  ip(["-n", nsY, "link", "delete", "dev", "va"]);
  ip(["-n", nsY, "link", "add", "name", "va", "type", "veth", "peer", "name", "vb"]);
  ip(["-n", nsY, "address", "add", "10.91.0.1/24", "dev", "vb"]);
  ip(["-n", nsY, "link", "set", "dev", "vb", "up"]);
  ip(["-n", nsY, "link", "set", "dev", "va", "up"]);
  ip(["-n", nsY, "route", "add", ROUTE, "via", "10.91.0.2", "dev", "vb", "proto", "110"]);
  await routeWriteRecord(nsY, { destination: ROUTE, table: 254, metric: 0 }, OTHER_STACK_ROUTE);
}

/** The mark another stack's route resource would record for its route. */
const OTHER_STACK_ROUTE = "0ddba11c0ddba11c/other/dev/Route/r";
const routeRecordPath = () =>
  `${ROUTE_RECORD_DIR}/${routeRecordFile(nsY, { destination: ROUTE, table: 254, metric: 0 })}`;

/** Everything the test made: its namespaces and host links, and the foreign route record. */
function cleanUp(): void {
  removeByPrefix(p);
  rmSync(routeRecordPath(), { force: true });
}

/** What identifies each look-alike, and what any change by us would alter. */
function foreignSnapshot(): unknown {
  const link = (ns: string | undefined, dev: string) => {
    const [l] = ipJson<Record<string, unknown>[]>([
      ...(ns ? ["-n", ns] : []),
      "-d",
      "link",
      "show",
      "dev",
      dev,
    ]);
    return [l?.ifindex, l?.ifalias, l?.group, l?.master, l?.mtu, l?.flags];
  };
  const [lo] = ipJson<{ ifalias?: string; flags: string[] }[]>(["-n", nsX, "link", "show", "dev", "lo"]);
  return {
    namespace: [statSync(`/run/netns/${nsX}`).ino, lo?.ifalias, lo?.flags],
    hostBridge: link(undefined, hostBridge),
    bridgeY: link(nsY, "br"),
    tapY: link(nsY, "tap0"),
    pair: [link(nsY, "va"), link(nsY, "vb")],
    route: ipJson(["-n", nsY, "-d", "route", "show", ROUTE]),
    routeRecord: readFileSync(routeRecordPath(), "utf8"),
  };
}

const swappedUrns = async (s: TestStack) => {
  const state = await s.stack.exportStack();
  const names = (state.deployment.resources as { urn: string }[]).map((r) => r.urn.split("::").pop());
  return SWAPPED.filter((n) => names.includes(n));
};

describe("look-alikes are never taken", { concurrency: false }, () => {
  before(() => {
    if (!isRoot()) return;
    removeByPrefix(p);
    ip(["netns", "add", nsY]);
  });
  after(() => {
    if (isRoot()) cleanUp();
  });

  test("refresh reports every swapped object gone, up refuses each look-alike, both leave them untouched", async (t) => {
    if (!requireRoot(t)) return;
    const s = await inlineStack({ stackName: `${p}-alike`, program });
    try {
      await s.stack.up({ onOutput: () => undefined });
      await swap();
      const foreign = foreignSnapshot();

      const refresh = await s.stack.refresh({ onOutput: () => undefined });
      assert.equal(refresh.summary.resourceChanges?.delete, SWAPPED.length, "refresh shows each deletion");
      assert.deepEqual(await swappedUrns(s), [], "and the state forgets them");
      assert.deepEqual(foreignSnapshot(), foreign, "refresh left the look-alikes untouched");

      routeWaitsForPair = false;
      const failure = await failureOf(s.stack.up({ onOutput: () => undefined, continueOnError: true }));
      routeWaitsForPair = true;
      const said = `${(failure as { stderr?: string } | undefined)?.stderr ?? ""}${failure?.message ?? ""}`;
      for (const what of [
        `Network namespace "${nsX}" already exists`,
        `Interface "${hostBridge}" in the host namespace already exists`,
        `Interface "br" in namespace "${nsY}" already exists`,
        `Interface "tap0" in namespace "${nsY}" already exists`,
        `Interface "va" in namespace "${nsY}" already exists`,
        `Route ${ROUTE} (table main, metric 0) in namespace "${nsY}" (proto 110) already exists`,
      ]) {
        assert.ok(said.includes(what), `up refuses: ${what}`);
      }
      assert.deepEqual(foreignSnapshot(), foreign, "up left the look-alikes untouched");
      figure(`look-alikes: ${SWAPPED.length}/${SWAPPED.length} swaps survived refresh and up`);
    } finally {
      await s.dispose();
      cleanUp();
      ip(["netns", "add", nsY]);
    }
  });

  test("destroy leaves every look-alike untouched and says so", async (t) => {
    if (!requireRoot(t)) return;
    const s = await inlineStack({ stackName: `${p}-alike2`, program });
    try {
      await s.stack.up({ onOutput: () => undefined });
      await swap();
      const foreign = foreignSnapshot();
      let log = "";
      await s.stack.destroy({ onOutput: (o) => (log += o) });
      assert.deepEqual(foreignSnapshot(), foreign, "destroy left the look-alikes untouched");
      assert.match(log, /was left untouched: it is not the one this stack made/);
      assert.deepEqual(
        ipJson(["-n", nsY, "link", "show", "type", "veth"]).length,
        2,
        "the foreign pair stays",
      );
      figure(`look-alikes: ${SWAPPED.length}/${SWAPPED.length} swaps survived destroy`);
    } finally {
      await s.dispose();
      cleanUp();
    }
    assert.deepEqual(
      execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
        .split("\n")
        .filter((l) => l.startsWith(p)),
      [],
    );
  });
});
