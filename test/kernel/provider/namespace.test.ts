import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { netnsReadMark, netnsRemoveMark, netnsWriteMark } from "../../../provider/kernel/netns";
import { uniquePrefix } from "../../helpers/names";
import { ip, ipJson, namespaceNames, removeByPrefix } from "../../helpers/readback";
import { requireRoot } from "../../helpers/root";
import { driver, managedBy, markOf } from "./harness";

const p = uniquePrefix();
const ns = driver("Namespace");

describe("Namespace provider against the kernel", { concurrency: false }, () => {
  before(() => removeByPrefix(p));
  after(() => removeByPrefix(p));

  test("create, read, update sysctls, delete; delete again is success", async (t) => {
    if (!requireRoot(t)) return;
    const name = `${p}-a`;
    const mark = managedBy(p, "Namespace", "a");
    const { id, outs } = await ns.create({
      name,
      managedBy: mark,
      sysctls: { "net.ipv4.ip_forward": "1" },
    });
    assert.equal(id, name);
    assert.ok(namespaceNames().includes(name));
    assert.equal(outs.inode, statSync(`/run/netns/${name}`).ino);
    const [lo] = ipJson<{ flags: string[]; ifalias?: string }[]>(["-n", name, "link", "show", "dev", "lo"]);
    assert.ok(lo?.flags.includes("UP"), "loopback is up");
    assert.equal(
      lo?.ifalias,
      `pulumi-netns:${markOf(p, "Namespace", "a")}`,
      "the namespace carries its mark",
    );
    assert.equal(await netnsReadMark(name), markOf(p, "Namespace", "a"));

    const read = await ns.read(id, outs);
    assert.deepEqual(read.props?.sysctls, { "net.ipv4.ip_forward": "1" });

    const { diff, result } = await ns.update(id, outs, {
      name,
      managedBy: mark,
      sysctls: { "net.ipv4.ip_forward": "0" },
    });
    assert.deepEqual(diff.replaces, []);
    assert.equal(result.outs.inode, outs.inode, "updated in place");
    assert.deepEqual((await ns.read(id, result.outs)).props?.sysctls, { "net.ipv4.ip_forward": "0" });

    await ns.delete(id, result.outs);
    assert.ok(!namespaceNames().includes(name));
    assert.equal(await netnsReadMark(name), undefined);
    await ns.delete(id, result.outs);
    assert.deepEqual(await ns.read(id, result.outs), {}, "read reports it gone");
  });

  test("a namespace someone else made is refused, untouched, and adoptable", async (t) => {
    if (!requireRoot(t)) return;
    const name = `${p}-b`;
    ip(["netns", "add", name]);
    const inode = statSync(`/run/netns/${name}`).ino;
    await assert.rejects(ns.create({ name, managedBy: managedBy(p, "Namespace", "b") }), (e: Error) => {
      assert.match(e.message, new RegExp(`Network namespace "${name}" already exists`));
      assert.match(e.message, /adopt: true/);
      return true;
    });
    assert.equal(statSync(`/run/netns/${name}`).ino, inode, "not re-created");
    assert.equal(await netnsReadMark(name), undefined, "not marked");

    const mark = managedBy(p, "Namespace", "b");
    const { outs } = await ns.create({ name, managedBy: mark, adopt: true });
    assert.equal(outs.inode, inode, "adopted, not re-created");
    await ns.delete(name, outs);
    assert.ok(!namespaceNames().includes(name), "an adopted namespace goes on delete");
  });

  test("create resumes a namespace its own interrupted run left", async (t) => {
    if (!requireRoot(t)) return;
    const name = `${p}-c`;
    // What a crash between `ip netns add` and marking the loopback leaves: our record, a pristine namespace.
    await netnsWriteMark(name, markOf(p, "Namespace", "c"));
    ip(["netns", "add", name]);
    const { outs } = await ns.create({ name, managedBy: managedBy(p, "Namespace", "c") });
    assert.equal(outs.inode, statSync(`/run/netns/${name}`).ino);
    await ns.delete(name, outs);
  });

  test("create gets past the empty file its own killed `ip netns add` left, and no one else's", async (t) => {
    if (!requireRoot(t)) return;
    const name = `${p}-e`;
    // Someone's `ip netns add` killed before its mount, or a stray file: no record of ours.
    writeFileSync(`/run/netns/${name}`, "");
    await assert.rejects(ns.create({ name, managedBy: managedBy(p, "Namespace", "e") }), (e: Error) => {
      assert.match(e.message, /is an empty file .* this stack did not leave it/);
      return true;
    });
    assert.ok(namespaceNames().includes(name), "left alone");
    // Ours: the claim (our record) comes before `ip netns add`, so our leftover has it.
    await netnsWriteMark(name, markOf(p, "Namespace", "e"));
    const { outs } = await ns.create({ name, managedBy: managedBy(p, "Namespace", "e") });
    assert.equal(outs.inode, statSync(`/run/netns/${name}`).ino, "a real namespace now");
    await ns.delete(name, outs);
  });

  test("refresh clears up after a delete killed half way (an empty /run/netns file, our record)", async (t) => {
    if (!requireRoot(t)) return;
    const name = `${p}-k`;
    const { outs } = await ns.create({ name, managedBy: managedBy(p, "Namespace", "k") });
    // What `ip netns delete` leaves when killed between its umount and its unlink.
    execFileSync("umount", [`/run/netns/${name}`]);
    assert.deepEqual(await ns.read(name, outs), {}, "read reports it gone");
    assert.ok(!namespaceNames().includes(name), "the empty file went too");
    assert.equal(await netnsReadMark(name), undefined);
  });

  test("delete finishes a delete killed half way; an empty file without our record stays", async (t) => {
    if (!requireRoot(t)) return;
    const name = `${p}-h`;
    const { outs } = await ns.create({ name, managedBy: managedBy(p, "Namespace", "h") });
    execFileSync("umount", [`/run/netns/${name}`]);
    await ns.delete(name, outs);
    assert.ok(!namespaceNames().includes(name), "the empty file was removed");
    assert.equal(await netnsReadMark(name), undefined, "and our record");
    writeFileSync(`/run/netns/${name}`, "");
    await ns.delete(name, outs);
    assert.deepEqual(await ns.read(name, outs), {});
    assert.ok(namespaceNames().includes(name), "not ours: left alone by delete and read");
    execFileSync("rm", ["-f", `/run/netns/${name}`]);
  });

  test("delete leaves a namespace of the same name that someone else re-created", async (t) => {
    if (!requireRoot(t)) return;
    const name = `${p}-d`;
    const { outs } = await ns.create({ name, managedBy: managedBy(p, "Namespace", "d") });
    ip(["netns", "delete", name]);
    ip(["netns", "add", name]);
    await netnsRemoveMark(name);
    await ns.delete(name, outs);
    assert.ok(namespaceNames().includes(name), "not ours any more: left alone");
    ip(["netns", "delete", name]);
  });
});
