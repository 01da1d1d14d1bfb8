import assert from "node:assert/strict";
import { it } from "node:test";
import { addressAdd, addressDelete, addressList } from "../../provider/kernel/address";
import { NotFoundError } from "../../provider/kernel/errors";
import { defaultIp, LEGACY_OWNED_LINK_GROUP } from "../../provider/kernel/ip";
import { linkSetUp } from "../../provider/kernel/link";
import { vethAdd } from "../../provider/kernel/veth";
import { kernelSuite } from "../helpers/kernelSandbox";

kernelSuite("addresses (real kernel)", (sb) => {
  it("IPv4 + IPv6 added in one batch, usable at once, listed normalised, link-local skipped; deleted", async () => {
    const n = await sb.netns("a");
    const ip = defaultIp();
    await vethAdd({
      a: { name: "dev", netns: n },
      b: { name: "peer", netns: n },
      group: LEGACY_OWNED_LINK_GROUP,
    });
    await ip.batch(n, [
      linkSetUp("dev"),
      linkSetUp("peer"),
      addressAdd("10.20.0.1/24", "dev"),
      addressAdd("2001:DB8:0:0::1/64", "dev"),
    ]);
    assert.deepEqual(await addressList(n, "dev"), ["10.20.0.1/24", "2001:db8::1/64"]);
    const raw = await ip.json<{ addr_info: { local: string; tentative?: boolean; scope: string }[] }[]>(
      ["address", "show", "dev", "dev"],
      { netns: n },
    );
    const v6 = raw[0]?.addr_info.find((a) => a.local === "2001:db8::1");
    assert.equal(v6?.tentative, undefined, "nodad: not tentative");

    await ip.batch(n, [addressDelete("2001:db8::1/64", "dev")]);
    assert.deepEqual(await addressList(n, "dev"), ["10.20.0.1/24"]);
  });

  it("deleting an address that is not there is NotFoundError(address)", async () => {
    const n = await sb.netns("b");
    await vethAdd({
      a: { name: "up", netns: n },
      b: { name: "up2", netns: n },
      group: LEGACY_OWNED_LINK_GROUP,
    });
    await assert.rejects(defaultIp().batch(n, [addressDelete("10.9.9.9/24", "up")]), (e: unknown) => {
      return e instanceof NotFoundError && e.missing === "address";
    });
  });
});
