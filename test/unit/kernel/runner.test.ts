import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { execaRunner, SpawnError } from "../../../provider/kernel/runner";

describe("execaRunner", () => {
  it("passes each argument as one argv element, never through a shell", async () => {
    const r = await execaRunner("printf", ["%s|", "$(id)", ";", "a b", "`x`", "*"]);
    assert.deepEqual(r, { stdout: "$(id)|;|a b|`x`|*|", stderr: "", exitCode: 0 });
  });

  it("resolves on a non-zero exit, with stderr", async () => {
    const r = await execaRunner("sh", ["-c", "echo oops >&2; exit 3"]);
    assert.equal(r.exitCode, 3);
    assert.equal(r.stderr, "oops\n");
  });

  it("feeds input on stdin", async () => {
    assert.equal((await execaRunner("cat", [], { input: "line 1\nline 2\n" })).stdout, "line 1\nline 2\n");
  });

  it("reports death by a signal as 128 + signal number", async () => {
    assert.equal((await execaRunner("sh", ["-c", "kill -9 $$"])).exitCode, 137);
  });

  it("rejects only when the program cannot be started", async () => {
    await assert.rejects(execaRunner("/nonexistent/pulumi-netns-no-such-binary", []), (e: unknown) => {
      assert.ok(e instanceof SpawnError);
      assert.equal(e.code, "ENOENT");
      assert.match(e.message, /not installed or not on PATH/);
      return true;
    });
  });
});
