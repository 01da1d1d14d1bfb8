// The ownership proofs (provider/proof.ts), from facts shaped as the kernel shows them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { linkGroupFor, MARK_PREFIX } from "../../provider/kernel/ip";
import type { NamespaceFacts } from "../../provider/kernel/netns";
import { OWNED_ROUTE_PROTOCOL } from "../../provider/kernel/route";
import {
  proveLink,
  proveNamespace,
  proveRecord,
  proveRoute,
  recordOutlivedItsObject,
} from "../../provider/proof";

const MARK = "0a1b2c3d4e5f6071/lab/dev/Namespace/h1";
const OTHER = "1b2c3d4e5f607182/lab/prod/Namespace/h1";
const HOST = `${MARK}/h1`;

const lo = (alias: string | undefined, adminUp: boolean) => ({ name: "lo", alias, group: 0, adminUp });
const mounted = (...links: NamespaceFacts["links"]): NamespaceFacts => ({ file: "mounted", inode: 7, links });
const STALE: NamespaceFacts = { file: "stale", links: [] };

describe("proveNamespace", () => {
  it("ours by the loopback's alias, whatever the record says", () => {
    assert.deepEqual(proveNamespace(mounted(lo(MARK_PREFIX + MARK, true)), MARK, undefined), {
      verdict: "ours",
    });
    assert.deepEqual(proveNamespace(mounted(lo(MARK_PREFIX + MARK, true)), MARK, OTHER), { verdict: "ours" });
  });

  it("half made: our record and exactly what `ip netns add` leaves (lo down, unmarked, alone)", () => {
    assert.deepEqual(proveNamespace(mounted(lo(undefined, false)), MARK, MARK), { verdict: "half-made" });
    assert.deepEqual(proveNamespace(mounted(lo("", false)), MARK, MARK), { verdict: "half-made" });
  });

  it("not half made once used: lo up, another link, or no record of ours", () => {
    const foreign = { verdict: "foreign", carried: undefined };
    assert.deepEqual(proveNamespace(mounted(lo(undefined, true)), MARK, MARK), foreign);
    const eth = { name: "eth0", alias: undefined, group: linkGroupFor(MARK), adminUp: false };
    assert.deepEqual(proveNamespace(mounted(lo(undefined, false), eth), MARK, MARK), foreign);
    assert.deepEqual(proveNamespace(mounted(lo(undefined, false)), MARK, undefined), foreign);
    assert.deepEqual(proveNamespace(mounted(lo(undefined, false)), MARK, OTHER), {
      verdict: "foreign",
      carried: OTHER,
    });
  });

  it("a Lan's half-made namespace may hold links its create adds, in its groups only", () => {
    const groups = new Set([linkGroupFor(HOST)]);
    const end = { name: "eth0", alias: undefined, group: linkGroupFor(HOST), adminUp: false };
    assert.deepEqual(
      proveNamespace(mounted(lo(undefined, false), end), HOST, HOST, { halfMadeGroups: groups }),
      {
        verdict: "half-made",
      },
    );
    const stranger = { ...end, name: "x", group: 0 };
    assert.equal(
      proveNamespace(mounted(lo(undefined, false), end, stranger), HOST, HOST, { halfMadeGroups: groups })
        .verdict,
      "foreign",
    );
  });

  it("foreign: another mark on the loopback, which is what it says it carries", () => {
    assert.deepEqual(proveNamespace(mounted(lo(MARK_PREFIX + OTHER, true)), MARK, MARK), {
      verdict: "foreign",
      carried: OTHER,
    });
  });

  it("an empty /run/netns file is a leftover of ours only with our record", () => {
    assert.deepEqual(proveNamespace(STALE, MARK, MARK), { verdict: "leftover" });
    assert.deepEqual(proveNamespace(STALE, MARK, undefined), { verdict: "foreign", carried: undefined });
    assert.deepEqual(proveNamespace(STALE, MARK, OTHER), { verdict: "foreign", carried: OTHER });
  });

  it("absent is absent; state of earlier versions is proven by record and inode", () => {
    assert.deepEqual(proveNamespace({ file: "absent", links: [] }, MARK, MARK), { verdict: "absent" });
    const used = mounted(lo(undefined, true));
    assert.deepEqual(proveNamespace(used, MARK, MARK, { legacyInode: 7 }), { verdict: "ours" });
    assert.equal(proveNamespace(used, MARK, MARK, { legacyInode: 8 }).verdict, "foreign");
  });
});

describe("proveLink, proveRoute, proveRecord", () => {
  it("a link: alias, or its mark's group without an alias", () => {
    assert.deepEqual(proveLink({ alias: MARK_PREFIX + MARK, group: 0 }, MARK), { verdict: "ours" });
    assert.deepEqual(proveLink({ alias: undefined, group: linkGroupFor(MARK) }, MARK), {
      verdict: "half-made",
    });
    assert.deepEqual(proveLink({ alias: MARK_PREFIX + OTHER, group: linkGroupFor(MARK) }, MARK), {
      verdict: "foreign",
      carried: OTHER,
    });
    assert.deepEqual(proveLink(undefined, MARK), { verdict: "absent" });
  });

  it("a route: protocol 110 and our record, both", () => {
    assert.deepEqual(proveRoute({ protocol: OWNED_ROUTE_PROTOCOL }, MARK, MARK), { verdict: "ours" });
    assert.equal(proveRoute({ protocol: 4 }, MARK, MARK).verdict, "foreign");
    assert.deepEqual(proveRoute({ protocol: OWNED_ROUTE_PROTOCOL }, OTHER, MARK), {
      verdict: "foreign",
      carried: OTHER,
    });
    assert.deepEqual(proveRoute(undefined, MARK, MARK), { verdict: "absent" });
    // State of earlier versions: the protocol alone, while no record names anyone.
    assert.equal(
      proveRoute({ protocol: OWNED_ROUTE_PROTOCOL }, undefined, MARK, { legacy: true }).verdict,
      "ours",
    );
    assert.equal(
      proveRoute({ protocol: OWNED_ROUTE_PROTOCOL }, OTHER, MARK, { legacy: true }).verdict,
      "foreign",
    );
    assert.equal(proveRoute({ protocol: OWNED_ROUTE_PROTOCOL }, undefined, MARK).verdict, "foreign");
  });

  it("a record is ours when it names the mark; alone, it goes once its object is absent or foreign", () => {
    assert.deepEqual(proveRecord(MARK, MARK), { verdict: "ours" });
    assert.deepEqual(proveRecord(OTHER, MARK), { verdict: "foreign", carried: OTHER });
    assert.deepEqual(proveRecord(undefined, MARK), { verdict: "absent" });
    assert.ok(recordOutlivedItsObject({ verdict: "absent" }));
    assert.ok(recordOutlivedItsObject({ verdict: "foreign", carried: OTHER }));
    for (const verdict of ["ours", "half-made", "leftover"] as const) {
      assert.ok(!recordOutlivedItsObject({ verdict }), verdict);
    }
  });
});
