import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";
import { defaultIp } from "../../provider/kernel/ip";
import { pingFrom, tcpConnectFrom } from "../../provider/kernel/probe";
import { PROBE_SPEC_VARIABLE } from "../../provider/schema/probe";
import { kernelSuite } from "../helpers/kernelSandbox";

/** The program netns.Probe has @pulumi/command run. */
const probeProgram = path.resolve(__dirname, "../../provider/probe.js");

kernelSuite("probe against the kernel", (sb) => {
  /** Two hosts on a bridge in a hub: h1 10.66.0.1, h2 10.66.0.2. */
  async function star(tag: string) {
    const [hub, h1, h2] = [
      await sb.netns(`${tag}hub`),
      await sb.netns(`${tag}h1`),
      await sb.netns(`${tag}h2`),
    ];
    const ip = defaultIp();
    await ip.batch(hub, [
      ["link", "add", "name", "br", "type", "bridge"],
      ["link", "set", "dev", "br", "up"],
    ]);
    for (const [host, n] of [[h1, 1] as const, [h2, 2] as const]) {
      await ip.batch(hub, [
        ["link", "add", "name", `p${n}`, "type", "veth", "peer", "name", "eth0", "netns", host],
      ]);
      await ip.batch(hub, [
        ["link", "set", "dev", `p${n}`, "master", "br"],
        ["link", "set", "dev", `p${n}`, "up"],
      ]);
      await ip.batch(host, [
        ["address", "add", `10.66.0.${n}/24`, "dev", "eth0"],
        ["link", "set", "dev", "eth0", "up"],
      ]);
    }
    return { hub, h1, h2 };
  }

  /** Runs the probe program as @pulumi/command does: the spec in the environment. */
  function probeProgramRun(spec: object) {
    return spawnSync(process.execPath, [probeProgram, "description"], {
      encoding: "utf8",
      env: { ...process.env, [PROBE_SPEC_VARIABLE]: JSON.stringify(spec) },
    });
  }

  test("ping reaches across the bridge, and stops when a port leaves it", async () => {
    const { hub, h1 } = await star("p");
    const up = await pingFrom(h1, "10.66.0.2", { replies: 2, deadlineSeconds: 5 });
    assert.equal(up.reached, true, up.seen);
    assert.match(up.seen, /2 received/);
    const passed = probeProgramRun({ from: h1, to: "10.66.0.2", replies: 2, deadlineSeconds: 5 });
    assert.equal(passed.status, 0, passed.stderr);
    assert.match(
      passed.stdout,
      new RegExp(`^ping 10\\.66\\.0\\.2 from namespace ${h1}: 2 packets transmitted, 2 received`),
    );

    await defaultIp().batch(hub, [["link", "set", "dev", "p2", "nomaster"]]);
    const down = await pingFrom(h1, "10.66.0.2", { replies: 1, deadlineSeconds: 2 });
    assert.equal(down.reached, false);
    assert.match(down.seen, /0 received/);
    const failed = probeProgramRun({ from: h1, to: "10.66.0.2", replies: 1, deadlineSeconds: 2 });
    assert.equal(failed.status, 1);
    assert.match(
      failed.stderr,
      new RegExp(`namespace ${h1} did not get 1 echo replies from 10\\.66\\.0\\.2`),
    );
    assert.match(failed.stderr, /Seen: \d+ packets transmitted, 0 received/);
  });

  test("TCP connects once something listens, and reports a refusal", async () => {
    const { h1, h2 } = await star("t");
    const refused = await tcpConnectFrom(h1, "10.66.0.2", 5299, {
      deadlineSeconds: 1,
      node: process.execPath,
    });
    assert.equal(refused.reached, false);
    assert.match(refused.seen, /no connection within 1 s \(\d+ attempts\); last: ECONNREFUSED/);

    const server = spawn(
      "ip",
      [
        "netns",
        "exec",
        h2,
        process.execPath,
        "-e",
        'require("node:net").createServer((s) => s.end()).listen(5299, "10.66.0.2")',
      ],
      { stdio: "ignore" },
    );
    try {
      // The connect retries until the server listens: no sleep needed.
      const connected = await tcpConnectFrom(h1, "10.66.0.2", 5299, {
        deadlineSeconds: 10,
        node: process.execPath,
      });
      assert.equal(connected.reached, true, connected.seen);
      assert.match(connected.seen, /^connected after \d+ ms/);
    } finally {
      server.kill();
    }
  });

  test("a missing namespace is reported, not thrown", async () => {
    const outcome = await pingFrom(`${sb.prefix}absent`, "10.66.0.2", { replies: 1, deadlineSeconds: 1 });
    assert.equal(outcome.reached, false);
    assert.match(outcome.seen, /Cannot open network namespace/);
    const failed = probeProgramRun({ from: `${sb.prefix}absent`, to: "10.66.0.2" });
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /Cannot open network namespace/);
  });
});
