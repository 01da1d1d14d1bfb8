// examples/two-machines through its whole life with the real CLI, on two "machines" reached over
// SSH (scripts/machines.ts): up, a host on A pings a host on B across the VXLAN, the key
// never in state in plain text, drift made by hand on B found by refresh and repaired by up, an
// unreachable B failing cleanly (one sentence, no stack trace) and converging once back, destroy
// leaving nothing on either.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import { projectStack, repoRoot, type TestStack } from "../helpers/engine";
import { startMachines, type Machine, type Machines } from "../../scripts/machines";
import { uniquePrefix } from "../helpers/names";
import { isRoot, requireRoot } from "../helpers/root";

const p = uniquePrefix();
const json = async (m: Machine, args: readonly string[]) =>
  JSON.parse((await m.run("ip", ["-j", ...args])) || "[]") as Record<string, unknown>[];
const ours = async (m: Machine) => ({
  namespaces: (await json(m, ["netns", "list"])).map((n) => String(n.name)).sort(),
  links: (await json(m, ["link", "show"]))
    .map((l) => String(l.ifname))
    // Without the machines' own cables (to the test, `${p}ai`; the underlay, `${p}ua`).
    .filter((n) => n.startsWith(p) && !new RegExp(`^${p}(u[ab]|[ab]i)$`).test(n))
    .sort(),
  records: (await m.run("find", ["/run/pulumi-netns", "-type", "f"])).split("\n").filter(Boolean),
});

describe("examples/two-machines over SSH, through the real CLI", { concurrency: false }, () => {
  let machines: Machines;
  let s: TestStack;
  before(async () => {
    if (!isRoot()) return;
    // 10.232/16, apart from the kernel tier's machines, which may run beside these.
    machines = await startMachines(p, 232);
    const { a, b } = machines;
    s = await projectStack({
      stackName: `${p}-two`,
      workDir: path.join(repoRoot, "examples", "two-machines"),
      config: {
        prefix: { value: p },
        aAddress: { value: a.address },
        bAddress: { value: b.address },
        aHostKey: { value: a.endpoint.hostKey },
        bHostKey: { value: b.endpoint.hostKey },
        privateKey: { value: a.endpoint.privateKey ?? "", secret: true },
        aUnderlay: { value: a.underlay },
        bUnderlay: { value: b.underlay },
        aUnderlayDev: { value: `${p}ua` },
        bUnderlayDev: { value: `${p}ub` },
      },
    });
  });
  after(async () => {
    try {
      await s?.dispose();
    } finally {
      await machines?.close();
    }
  });

  test("up: each machine has its half; a host on A reaches hosts on B across the tunnel", async (t) => {
    if (!requireRoot(t)) return;
    const { a, b } = machines;
    const up = await s.stack.up({ onOutput: () => undefined });
    assert.equal(up.summary.resourceChanges?.create, 14, JSON.stringify(up.summary.resourceChanges));
    assert.deepEqual((await ours(a)).namespaces, [`${p}a1`, `${p}a2`]);
    assert.deepEqual((await ours(b)).namespaces, [`${p}b1`, `${p}b2`]);
    assert.deepEqual((await ours(a)).links, [`${p}a1`, `${p}a2`, `${p}br`, `${p}vx`]);
    assert.deepEqual(
      readdirSync("/run/netns").filter((n) => n.startsWith(p)),
      [],
      "nothing on the machine that ran pulumi",
    );
    for (const to of ["10.201.0.3", "10.201.0.4"]) {
      await a.run("ip", ["netns", "exec", `${p}a1`, "ping", "-c", "1", "-W", "3", to]);
    }
    await b.run("ip", ["netns", "exec", `${p}b2`, "ping", "-c", "1", "-W", "3", "10.201.0.2"]);
    assert.deepEqual(up.outputs.where?.value, {
      a: `ssh://root@${a.address}:22`,
      b: `ssh://root@${b.address}:22`,
    });
    assert.equal(up.outputs.where?.secret, false, "where a resource lives is no secret");
    const preview = await s.stack.preview({ diff: true });
    assert.deepEqual(
      Object.keys(preview.changeSummary).filter((op) => op !== "same"),
      [],
      `a second preview changes nothing: ${preview.stdout}`,
    );
  });

  test("the private key never appears in state in plain text", async (t) => {
    if (!requireRoot(t)) return;
    const body = (machines.a.endpoint.privateKey ?? "").split("\n")[1] ?? "";
    assert.ok(body.length > 20);
    // `pulumi stack export` as a user runs it (the Automation API's exportStack shows secrets).
    const ws = s.stack.workspace as LocalWorkspace;
    const exported = execFileSync("pulumi", ["stack", "export", "--stack", s.stack.name], {
      cwd: ws.workDir,
      env: { ...process.env, ...ws.envVars, ...(ws.pulumiHome ? { PULUMI_HOME: ws.pulumiHome } : {}) },
      encoding: "utf8",
    });
    assert.ok(!exported.includes(body), "the key's base64 is not in `pulumi stack export`");
    const secrets = JSON.parse(exported).deployment.resources.filter(
      (r: { outputs?: { host?: Record<string, unknown> } }) =>
        (r.outputs?.host?.privateKey as Record<string, unknown> | undefined)?.[
          "4dabf18193072939515e22adb298388d"
        ] !== undefined,
    );
    assert.equal(secrets.length, 12, "every resource's host.privateKey output is a secret");
    // And the state files themselves, every one the backend wrote (history and backups too).
    const backend = (ws.envVars.PULUMI_BACKEND_URL ?? "").replace(/^file:\/\//, "");
    const files = readdirSync(backend, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    assert.ok(files.length > 0);
    for (const f of files) {
      const text = readFileSync(path.join(f.parentPath, f.name)).toString("latin1");
      assert.ok(!text.includes(body), `${f.name} holds the key in plain text`);
    }
  });

  test("drift made by hand on B is found by refresh and repaired by up", async (t) => {
    if (!requireRoot(t)) return;
    const { b } = machines;
    await b.run("ip", ["-n", `${p}b1`, "link", "set", "dev", "eth0", "down"]);
    await b.run("ip", ["link", "set", "dev", `${p}b2`, "nomaster"]);
    const refresh = await s.stack.refresh({ onOutput: () => undefined });
    assert.equal(refresh.summary.resourceChanges?.update, 2, JSON.stringify(refresh.summary.resourceChanges));
    const up = await s.stack.up({ onOutput: () => undefined });
    assert.equal(up.summary.resourceChanges?.update, 2, JSON.stringify(up.summary.resourceChanges));
    const eth0 = (await json(b, ["-n", `${p}b1`, "link", "show", "dev", "eth0"]))[0];
    assert.ok((eth0?.flags as string[]).includes("UP"));
    assert.equal((await json(b, ["link", "show", "dev", `${p}b2`]))[0]?.master, `${p}br`);
    await machines.a.run("ip", ["netns", "exec", `${p}a2`, "ping", "-c", "1", "-W", "3", "10.201.0.4"]);
  });

  test("an unreachable B fails up cleanly, and up converges once it is back", async (t) => {
    if (!requireRoot(t)) return;
    const { b } = machines;
    await s.stack.setConfig("mtu", { value: "1400" });
    await b.stopSsh();
    try {
      const unreachable = new RegExp(
        `cannot connect to ssh://root@${b.address.replace(/\./g, "\\.")}:22 over SSH \\(.*\\): check that the machine is up`,
      );
      await assert.rejects(s.stack.up({ onOutput: () => undefined }), (e: Error) => {
        assert.match(e.message, unreachable);
        assert.ok(!e.message.includes("    at "), e.message);
        return true;
      });
      // Refresh runs read, whose failure Pulumi's dynamic provider also writes as `${e}: ${e.stack}`.
      let printed = "";
      await assert.rejects(s.stack.refresh({ onOutput: (o) => (printed += o) }));
      assert.match(printed, new RegExp(`HostConnectionError: ${unreachable.source}`));
      assert.ok(!printed.includes("    at "), printed);
      assert.ok(!printed.includes("/tmp/"), printed);
    } finally {
      await b.startSsh();
    }
    const up = await s.stack.up({ onOutput: () => undefined });
    assert.ok((up.summary.resourceChanges?.update ?? 0) > 0, JSON.stringify(up.summary.resourceChanges));
    assert.equal((await json(b, ["link", "show", "dev", `${p}br`]))[0]?.mtu, 1400);
    assert.equal((await json(machines.a, ["link", "show", "dev", `${p}br`]))[0]?.mtu, 1400);
    const preview = await s.stack.preview();
    assert.deepEqual(
      Object.keys(preview.changeSummary).filter((op) => op !== "same"),
      [],
    );
  });

  test("destroy leaves nothing on either machine", async (t) => {
    if (!requireRoot(t)) return;
    await s.stack.destroy({ onOutput: () => undefined });
    for (const m of [machines.a, machines.b]) {
      assert.deepEqual(await ours(m), { namespaces: [], links: [], records: [] }, `machine ${m.name}`);
    }
  });
});
