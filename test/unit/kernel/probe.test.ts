import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pingFrom, summarizePing, tcpConnectFrom } from "../../../provider/kernel/probe";
import { scriptedIp } from "../../helpers/kernelRunner";

// What iputils ping (Debian 12) prints, captured between namespaces on this kernel.
const REPLIED = `PING 10.0.1.2 (10.0.1.2) 56(84) bytes of data.
64 bytes from 10.0.1.2: icmp_seq=1 ttl=64 time=0.061 ms
64 bytes from 10.0.1.2: icmp_seq=2 ttl=64 time=0.048 ms

--- 10.0.1.2 ping statistics ---
2 packets transmitted, 2 received, 0% packet loss, time 201ms
rtt min/avg/max/mdev = 0.048/0.054/0.061/0.006 ms
`;
const UNREACHABLE = `PING 10.0.1.2 (10.0.1.2) 56(84) bytes of data.
From 10.0.1.1 icmp_seq=1 Destination Host Unreachable
From 10.0.1.1 icmp_seq=2 Destination Host Unreachable

--- 10.0.1.2 ping statistics ---
10 packets transmitted, 0 received, +2 errors, 100% packet loss, time 1843ms
`;

describe("probe (kernel layer)", () => {
  it("pings from inside the namespace until the replies arrive or the deadline passes", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: REPLIED }]);
    const outcome = await pingFrom("net0", "10.0.1.2", { replies: 2, deadlineSeconds: 5 }, ip);
    assert.deepEqual(scripted.argvs, [
      ["ip", "netns", "exec", "net0", "ping", "-n", "-c", "2", "-w", "5", "-i", "0.2", "10.0.1.2"],
    ]);
    assert.equal(outcome.reached, true);
    assert.equal(
      outcome.seen,
      "2 packets transmitted, 2 received, 0% packet loss; average round trip 0.054 ms",
    );
  });

  it("no reply is an answer, not an error: it says what came back", async () => {
    const { ip } = scriptedIp([{ stdout: UNREACHABLE, exitCode: 1 }]);
    // Its whole deadline gone (a scripted answer comes at once: a deadline of 1 s leaves no retry).
    const outcome = await pingFrom("net0", "10.0.1.2", { replies: 3, deadlineSeconds: 1 }, ip);
    assert.equal(outcome.reached, false);
    assert.equal(
      outcome.seen,
      "10 packets transmitted, 0 received, +2 errors, 100% packet loss; Destination Host Unreachable",
    );
    assert.match(outcome.command, /^ip netns exec net0 ping /);
  });

  it("an unreachable network ends ping early: it runs again while a second of the deadline is left", async () => {
    // A route a routing daemon has not installed yet: the router answers "Net Unreachable".
    const early = UNREACHABLE.replace(
      "10 packets transmitted, 0 received, +2 errors",
      "1 packets transmitted, 0 received, +1 errors",
    );
    const { ip, scripted } = scriptedIp([{ stdout: early, exitCode: 1 }, { stdout: REPLIED }]);
    const outcome = await pingFrom("net0", "10.0.1.2", { replies: 2, deadlineSeconds: 5 }, ip);
    assert.equal(outcome.reached, true);
    assert.deepEqual(
      scripted.argvs.map((argv) => argv[argv.indexOf("-w") + 1]),
      ["5", "4"],
      "the second ping gets what is left of the deadline",
    );
    // No route at all in the namespace: the same. A missing namespace is not retried.
    const noRoute = scriptedIp([
      { stderr: "ping: connect: Network is unreachable\n", exitCode: 2 },
      { stdout: REPLIED },
    ]);
    assert.equal(
      (await pingFrom("net0", "10.0.1.2", { replies: 2, deadlineSeconds: 5 }, noRoute.ip)).reached,
      true,
    );
    const gone = scriptedIp([
      { stderr: 'Cannot open network namespace "net0": No such file or directory\n', exitCode: 255 },
    ]);
    assert.equal(
      (await pingFrom("net0", "10.0.1.2", { replies: 2, deadlineSeconds: 5 }, gone.ip)).reached,
      false,
    );
    assert.equal(gone.scripted.argvs.length, 1);
  });

  it("summarizes what ping says on stderr when it cannot send at all", () => {
    assert.equal(
      summarizePing("", "ping: connect: Network is unreachable\n"),
      "connect: Network is unreachable",
    );
    assert.equal(
      summarizePing("", 'Cannot open network namespace "gone": No such file or directory\n'),
      'Cannot open network namespace "gone": No such file or directory',
    );
    assert.equal(summarizePing("", ""), "ping printed nothing");
  });

  it("refuses a namespace name that is not a file name before anything runs", async () => {
    const { ip, scripted } = scriptedIp();
    await assert.rejects(
      pingFrom("../x", "10.0.0.1", { replies: 1, deadlineSeconds: 1 }, ip),
      /invalid network namespace name/,
    );
    assert.deepEqual(scripted.argvs, []);
  });

  it("TCP: runs node inside the namespace with the target as separate arguments", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: "connected after 3 ms (1 attempt)\n" }]);
    const outcome = await tcpConnectFrom(
      "net0",
      "fd00::2",
      5201,
      { deadlineSeconds: 4, node: "/usr/bin/node" },
      ip,
    );
    const argv = scripted.argvs[0] ?? [];
    assert.deepEqual(argv.slice(0, 6), ["ip", "netns", "exec", "net0", "/usr/bin/node", "-e"]);
    assert.deepEqual(argv.slice(7), ["fd00::2", "5201", "4000"]);
    assert.deepEqual(outcome, {
      reached: true,
      seen: "connected after 3 ms (1 attempt)",
      command: "ip netns exec net0 node -e CONNECT_SCRIPT fd00::2 5201",
    });
  });

  it("TCP: a refused connection is reported with what the last attempt saw", async () => {
    const { ip } = scriptedIp([
      { stdout: "no connection within 1 s (5 attempts); last: ECONNREFUSED\n", exitCode: 1 },
    ]);
    const outcome = await tcpConnectFrom("net0", "10.0.1.2", 80, { deadlineSeconds: 1, node: "node" }, ip);
    assert.equal(outcome.reached, false);
    assert.equal(outcome.seen, "no connection within 1 s (5 attempts); last: ECONNREFUSED");
  });
});
