import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PermissionError } from "../../../provider/kernel/errors";
import {
  loopbackUpWithAlias,
  netnsAdd,
  netnsDelete,
  netnsExists,
  netnsIdentity,
  netnsList,
  netnsReadMark,
  netnsRemoveMark,
  netnsWriteMark,
  parseNetnsList,
} from "../../../provider/kernel/netns";
import { netnsList as recordedNetnsList } from "../../helpers/kernelFixtures";
import { scriptedIp } from "../../helpers/kernelRunner";

describe("netns commands", () => {
  it("netnsAdd / loopbackUpWithAlias argv; keyword-like names are plain arguments", async () => {
    const { ip, scripted } = scriptedIp();
    await netnsAdd("help", ip);
    await loopbackUpWithAlias("help", "pulumi-netns:i/p/s/Namespace/help", ip);
    assert.deepEqual(scripted.argvs, [
      ["ip", "netns", "add", "help"],
      ["ip", "-n", "help", "link", "set", "dev", "lo", "up", "alias", "pulumi-netns:i/p/s/Namespace/help"],
    ]);
  });

  it("netnsDelete: already gone is success", async () => {
    const stderr = 'Cannot remove namespace file "/run/netns/x": No such file or directory\n';
    const { ip, scripted } = scriptedIp([{ exitCode: 1, stderr }]);
    await netnsDelete("x", ip);
    assert.deepEqual(scripted.argvs, [["ip", "netns", "delete", "x"]]);
  });

  it("netnsDelete: other failures propagate", async () => {
    const { ip } = scriptedIp([{ exitCode: 1, stderr: "Operation not permitted\n" }]);
    await assert.rejects(netnsDelete("x", ip), PermissionError);
  });

  it("refuses names that are not plain file names", async () => {
    const { ip, scripted } = scriptedIp();
    for (const bad of ["", ".", "..", "a/b", "/etc"]) {
      await assert.rejects(netnsAdd(bad, ip), /invalid network namespace name/);
      await assert.rejects(netnsDelete(bad, ip), /invalid network namespace name/);
    }
    assert.equal(scripted.calls.length, 0);
  });

  it("netnsList parses ip -j netns list", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: recordedNetnsList }, { stdout: "" }]);
    assert.deepEqual(await netnsList(ip), ["pnkx-a", "pnkx-b"]);
    assert.deepEqual(await netnsList(ip), []);
    assert.deepEqual(scripted.argvs[0], ["ip", "-j", "netns", "list"]);
    assert.deepEqual(parseNetnsList([{ name: "b", id: 3 }, { name: "a" }]), ["a", "b"]);
  });
});

describe("netns files", () => {
  let dir = "";
  before(async () => (dir = await mkdtemp(join(tmpdir(), "pnk-unit-"))));
  after(async () => rm(dir, { recursive: true, force: true }));

  it("identity: absent and stale (not nsfs) files are no namespace", async () => {
    assert.equal(await netnsIdentity("absent", dir), undefined);
    await writeFile(join(dir, "stale"), "");
    assert.equal(await netnsIdentity("stale", dir), undefined);
    assert.equal(await netnsExists("stale", dir), false);
  });

  it("ownership records: write, read, overwrite, remove, remove again", async () => {
    const marks = join(dir, "marks", "netns");
    assert.equal(await netnsReadMark("n1", marks), undefined);
    await netnsWriteMark("n1", "proj/stack/Namespace/a", marks);
    assert.equal(await netnsReadMark("n1", marks), "proj/stack/Namespace/a");
    await netnsWriteMark("n1", "proj/stack/Namespace/b", marks);
    assert.equal(await netnsReadMark("n1", marks), "proj/stack/Namespace/b");
    assert.deepEqual(await readdir(marks), ["n1"]);
    await netnsRemoveMark("n1", marks);
    await netnsRemoveMark("n1", marks);
    assert.equal(await netnsReadMark("n1", marks), undefined);
  });

  it("ownership records refuse path-like names", async () => {
    await assert.rejects(netnsWriteMark("../x", "m", dir), /invalid network namespace name/);
    await assert.rejects(netnsReadMark("..", dir), /invalid network namespace name/);
  });
});
