import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { commandFiles, onHost, type Host } from "../../../provider/kernel/host";
import { recordClaim, recordList, recordRead, recordRelease } from "../../../provider/kernel/records";
import { execaRunner, type Runner } from "../../../provider/kernel/runner";
import { remoteCommandLine } from "../../../provider/kernel/ssh";

// What sshd does with the command line ssh sends: the login shell parses it. So this runner goes
// through a real shell's parser exactly as a remote command does, without a remote machine.
const throughShell: Runner = (file, args, options) =>
  execaRunner("sh", ["-c", remoteCommandLine([file, ...args])], options);

const shellHost: Host = {
  label: "test-shell",
  runner: throughShell,
  files: commandFiles(throughShell, "test-shell"),
  ownsPids: false,
};

// Names a shell would expand, split or run if they were not quoted.
const HOSTILE = ["a b", "it's", "$(touch pwned)", "`id`", "x;rm -rf y", "*", "-rf", "new\nline", "é ü"];

describe("commandFiles through a shell's parser", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pnt-host-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("the remote command line gives every argument back unchanged", async () => {
    const out = await throughShell("printf", ["%s\\0", ...HOSTILE]);
    assert.equal(out.exitCode, 0, out.stderr);
    assert.deepEqual(out.stdout.split("\0").slice(0, -1), HOSTILE);
  });

  it("writes, reads, lists, links, renames and removes files with hostile names, data on stdin", async () => {
    const { files } = shellHost;
    await files.mkdirp(join(dir, "sub dir"));
    for (const name of HOSTILE) {
      const path = join(dir, "sub dir", name);
      await files.writeFile(path, `${name}\n'"$HOME`);
      assert.equal(await readFile(path, "utf8"), `${name}\n'"$HOME`);
      assert.equal(await files.readFile(path), `${name}\n'"$HOME`);
    }
    assert.deepEqual((await files.readdir(join(dir, "sub dir"))).sort(), [...HOSTILE].sort());
    await assert.rejects(files.readFile(join(dir, "nope")), { code: "ENOENT" });
    await assert.rejects(files.readdir(join(dir, "nope")), { code: "ENOENT" });
    await assert.rejects(files.stat(join(dir, "nope")), { code: "ENOENT" });
    const [first, second] = HOSTILE.map((n) => join(dir, "sub dir", n));
    await assert.rejects(files.link(first!, second!), { code: "EEXIST" });
    await files.link(first!, join(dir, "linked"));
    assert.equal((await files.stat(join(dir, "linked"))).ino, (await files.stat(first!)).ino);
    await files.rename(join(dir, "linked"), second!);
    assert.equal(await files.readFile(second!), await files.readFile(first!));
    await files.remove(second!);
    await files.remove(second!);
    await assert.rejects(files.readFile(second!), { code: "ENOENT" });
    assert.ok(Number.isInteger(await files.fsType(dir)));
    assert.ok(Math.abs((await files.stat(first!)).mtimeMs - Date.now()) < 5_000);
  });

  it("nothing a name asked the shell to run ran", async () => {
    await assert.rejects(readFile(join(process.cwd(), "pwned")), { code: "ENOENT" });
  });

  it("records claim, refuse a fresh foreign claim, list and release on the host's files", async () => {
    const records = join(dir, "records");
    await onHost(shellHost, async () => {
      assert.deepEqual(await recordClaim(records, "ns 1", { mark: "i/p/s/Namespace/a", details: [] }), {
        claimed: true,
      });
      assert.deepEqual(await recordClaim(records, "ns 1", { mark: "i/p/s/Namespace/b", details: [] }), {
        claimed: false,
        owner: "i/p/s/Namespace/a",
      });
      assert.equal((await recordRead(records, "ns 1"))?.mark, "i/p/s/Namespace/a");
      // Ten minutes later the claim no longer stands for a create in progress.
      const later = Date.now() + 600_000;
      assert.deepEqual(
        await recordClaim(records, "ns 1", { mark: "i/p/s/Namespace/b", details: ["x"] }, later),
        { claimed: true },
      );
      const listed = await recordList(records);
      assert.deepEqual([...listed.keys()], ["ns 1"]);
      assert.deepEqual(listed.get("ns 1")?.details, ["x"]);
      await recordRelease(records, "ns 1", "i/p/s/Namespace/a");
      assert.ok(await recordRead(records, "ns 1"), "a release by a loser leaves the winner's record");
      await recordRelease(records, "ns 1", "i/p/s/Namespace/b");
      assert.equal(await recordRead(records, "ns 1"), undefined);
    });
  });

  it("a remote host sweeps temporary files by age, not by a pid that is not its own", async () => {
    const records = join(dir, "sweep");
    await onHost(shellHost, async () => {
      await recordClaim(records, "x", { mark: "m", details: [] });
      // A writer that died long ago (its pid may well be alive here: it is another machine's).
      await writeFile(join(records, `.tmp-${process.pid}-old`), "m\n");
      await recordClaim(records, "y", { mark: "m", details: [] }, Date.now() + 3_600_000);
      assert.deepEqual((await shellHost.files.readdir(records)).sort(), ["x", "y"]);
      await writeFile(join(records, `.tmp-${process.pid}-new`), "m\n");
      await recordClaim(records, "z", { mark: "m", details: [] });
      assert.ok((await shellHost.files.readdir(records)).includes(`.tmp-${process.pid}-new`));
    });
  });
});
