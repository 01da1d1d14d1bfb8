import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, statfs, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  commandFiles,
  localHost,
  onHost,
  parseClaimAttempt,
  parseFileStat,
  parseFoundFiles,
  type Host,
} from "../../../provider/kernel/host";
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

  // The same contract on this machine (in-process fs) and through the shell (one script each).
  for (const host of [localHost, shellHost]) {
    it(`${host.label}: writes, reads, lists, stats, renames and removes files with hostile names, data on stdin`, async () => {
      const { files } = host;
      const sub = join(dir, host.label, "sub dir");
      const text = (name: string) => `${name}\n'"$HOME\n\n`;
      for (const name of HOSTILE) await files.writeAtomic(sub, `.tmp-${name}`, name, text(name));
      for (const name of HOSTILE) {
        assert.equal(await readFile(join(sub, name), "utf8"), text(name));
        assert.equal(await files.readFile(join(sub, name)), text(name));
      }
      assert.deepEqual((await readdir(sub)).sort(), [...HOSTILE].sort(), "no temporary file is left");
      const found = await files.readFiles(sub);
      assert.deepEqual(found.map((f) => [f.name, f.text]).sort(), HOSTILE.map((n) => [n, text(n)]).sort());
      for (const f of found) assert.ok(Math.abs(f.mtimeMs - Date.now()) < 5_000);
      await assert.rejects(files.readFile(join(dir, "nope")), { code: "ENOENT" });
      await assert.rejects(files.readFiles(join(dir, "nope")), { code: "ENOENT" });
      await assert.rejects(files.stat(join(dir, "nope")), { code: "ENOENT" });
      const [first, second] = HOSTILE.map((n) => join(sub, n));
      const s = await files.stat(first!);
      assert.equal(s.fsType, (await statfs(first!)).type);
      assert.equal(s.size, Buffer.byteLength(text(HOSTILE[0]!)));
      await files.rename(first!, second!);
      assert.equal((await files.stat(second!)).ino, s.ino);
      await files.remove(second!);
      await files.remove(second!);
      await assert.rejects(files.readFile(second!), { code: "ENOENT" });
      const third = join(sub, HOSTILE[2]!);
      await files.removeIfFirstLine(third, HOSTILE[2]!.slice(1));
      assert.equal(await files.readFile(third), text(HOSTILE[2]!), "another first line: kept");
      await files.removeIfFirstLine(third, HOSTILE[2]!);
      await assert.rejects(files.readFile(third), { code: "ENOENT" });
      await files.removeIfFirstLine(third, HOSTILE[2]!);
    });

    it(`${host.label}: a claim links its file, or keeps it and returns the holder's`, async () => {
      const { files } = host;
      const claims = join(dir, host.label, "claims");
      const sweep = { now: Date.now(), tempMaxAgeMs: 600_000 };
      assert.deepEqual(await files.claim(claims, ".tmp-1-a", "x y", "first\n", sweep), { linked: true });
      assert.deepEqual(await readdir(claims), ["x y"]);
      const held = await files.claim(claims, ".tmp-1-b", "x y", "second\n\n", sweep);
      assert.equal(held.linked, false);
      assert.ok(!held.linked && held.text === "first\n" && Math.abs(held.mtimeMs - Date.now()) < 5_000);
      assert.deepEqual((await readdir(claims)).sort(), [".tmp-1-b", "x y"], "the loser's file is kept");
      assert.equal(await readFile(join(claims, ".tmp-1-b"), "utf8"), "second\n\n");
    });
  }

  it("parses what the scripts print, and refuses anything else", () => {
    assert.deepEqual(parseClaimAttempt("linked\n"), { linked: true });
    assert.deepEqual(parseClaimAttempt("exists\n1700000000\nm\n\nx"), {
      linked: false,
      mtimeMs: 1_700_000_000_000,
      text: "m\n\nx",
    });
    assert.throws(() => parseClaimAttempt(""), /unexpected output of a record claim/);
    assert.throws(() => parseClaimAttempt("exists\nsoon\n"), /unexpected output/);
    assert.deepEqual(parseFileStat("1700000000 42 4 0\n6e736673\n"), {
      mtimeMs: 1_700_000_000_000,
      ino: 42,
      dev: 4,
      size: 0,
      fsType: 0x6e736673,
    });
    assert.throws(() => parseFileStat("1700000000 42 4\n"), /unexpected output of stat/);
    assert.deepEqual(parseFoundFiles("a\x001\x00m\n\x00b c\x002\x00\x00"), [
      { name: "a", mtimeMs: 1000, text: "m\n" },
      { name: "b c", mtimeMs: 2000, text: "" },
    ]);
    assert.deepEqual(parseFoundFiles(""), []);
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
      assert.deepEqual((await readdir(records)).sort(), ["x", "y"]);
      await writeFile(join(records, `.tmp-${process.pid}-new`), "m\n");
      await recordClaim(records, "z", { mark: "m", details: [] });
      assert.ok((await readdir(records)).includes(`.tmp-${process.pid}-new`));
    });
  });
});
