import assert from "node:assert/strict";
import { closeSync, openSync } from "node:fs";
import { it } from "node:test";
import { KernelCommandError, NotFoundError } from "../../provider/kernel/errors";
import { linkDelete, linkShow } from "../../provider/kernel/link";
import {
  loopbackUpWithAlias,
  netnsLoopback,
  netnsAdd,
  netnsDelete,
  netnsExists,
  netnsIdentity,
  netnsList,
  netnsReadMark,
  netnsRemoveMark,
  netnsWriteMark,
} from "../../provider/kernel/netns";
import { kernelSuite, roundTrip } from "../helpers/kernelSandbox";

kernelSuite("netns (real kernel)", (sb) => {
  it("add -> read -> loopback up -> delete, with ownership record, deletes idempotent", async () => {
    const name = sb.prefix + "rt";
    const managedBy = "proj/stack/Namespace/rt";
    await roundTrip({
      add: async () => {
        await netnsWriteMark(name, managedBy);
        await netnsAdd(name);
      },
      read: async () =>
        (await netnsExists(name))
          ? { identity: await netnsIdentity(name), list: await netnsList() }
          : undefined,
      checkAdded: (s) => {
        assert.ok(s.list.includes(name));
        assert.ok(s.identity && s.identity.inode > 0);
      },
      update: () => loopbackUpWithAlias(name, "pulumi-netns:" + managedBy),
      checkUpdated: () => undefined,
      remove: async () => {
        await netnsDelete(name);
        await netnsRemoveMark(name);
      },
    });
    assert.equal(await netnsReadMark(name), undefined);
    assert.ok(!(await netnsList()).includes(name));
  });

  it("loopback comes up carrying the namespace's mark; a fresh namespace is pristine, a used one not", async () => {
    const n = await sb.netns("lo");
    assert.deepEqual(await netnsLoopback(n), { alias: undefined, pristine: true });
    await loopbackUpWithAlias(n, "pulumi-netns:i/p/s/Namespace/lo");
    assert.equal((await linkShow(n, "lo"))?.adminUp, true);
    assert.deepEqual(await netnsLoopback(n), { alias: "pulumi-netns:i/p/s/Namespace/lo", pristine: false });
    const other = await sb.netns("lo2");
    await linkDelete(other, "nothing-here");
    assert.equal((await netnsLoopback(other)).pristine, true);
  });

  it("identity: stable while the namespace lives, new when re-created under the same name", async () => {
    const n = await sb.netns("id");
    const first = await netnsIdentity(n);
    assert.deepEqual(await netnsIdentity(n), first);
    // The kernel reuses a freed namespace's inode number for the next one: holding the first open
    // keeps it alive, as a namespace re-created while the old one still runs somewhere would be.
    const held = openSync(`/run/netns/${n}`, "r");
    try {
      await netnsDelete(n);
      assert.equal(await netnsIdentity(n), undefined);
      await netnsAdd(n);
      assert.notEqual((await netnsIdentity(n))?.inode, first?.inode);
    } finally {
      closeSync(held);
    }
  });

  it("ownership records", async () => {
    const n = await sb.netns("mark");
    assert.equal(await netnsReadMark(n), undefined);
    await netnsWriteMark(n, "p/s/Namespace/m");
    assert.equal(await netnsReadMark(n), "p/s/Namespace/m");
    await netnsRemoveMark(n);
    await netnsRemoveMark(n);
    assert.equal(await netnsReadMark(n), undefined);
  });

  it("adding a taken name fails with a hint; it is not a NotFoundError", async () => {
    const n = await sb.netns("dup");
    await assert.rejects(netnsAdd(n), (e: unknown) => {
      return (
        e instanceof KernelCommandError && !(e instanceof NotFoundError) && /File exists/.test(e.message)
      );
    });
  });

  it("a missing namespace: NotFoundError(netns) from reads, success from deletes", async () => {
    const gone = sb.prefix + "gone";
    await netnsDelete(gone);
    assert.equal(await netnsExists(gone), false);
    await assert.rejects(
      linkShow(gone, "lo"),
      (e: unknown) => e instanceof NotFoundError && e.missing === "netns",
    );
    await assert.rejects(
      linkDelete(gone, "lo"),
      (e: unknown) => e instanceof NotFoundError && e.missing === "netns",
    );
  });
});
