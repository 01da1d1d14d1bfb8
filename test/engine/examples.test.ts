// Each example through its whole life with the real CLI: up and kernel checks, a no-change
// preview, an in-place update or a rename that replaces, drift repaired by refresh + up, destroy.
// The change its README makes is not made again here: exampleReadmes.test.ts runs the README's
// commands and compares their output, preview lines and kernel read-backs included.
// The iperf example's life is a service's: started on up, kept across updates, stopped on destroy.
// The dhcp example's hosts get their addresses from dnsmasq; destroy leaves none of its services.
// The shaped-link example's limit is measured with iperf3: applied, changed in place, repaired.
// The bgp example's routes are BGP's: sessions up on every router, gone with a bgpd, and one
// router's AS number restarts that router's bgpd alone.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { projectStack, repoRoot, type TestStack } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import { addressesOf, ip, ipJson, linkOf } from "../helpers/readback";
import { leakSnapshot } from "../leakSnapshot";
import { RECORDS_ROOT } from "../../provider/kernel/records";
import { SERVICE_RECORD_DIR } from "../../provider/kernel/service";
import { killQuietly, processesMarked } from "../helpers/processes";
import { requireRoot } from "../helpers/root";

const example = (name: string) => path.join(repoRoot, "examples", name);
const openTap = path.join(repoRoot, "test", "fixtures", "open-tap.py");

function ping(namespace: string, address: string): void {
  execFileSync("ip", ["netns", "exec", namespace, "ping", "-c", "1", "-W", "2", address], {
    stdio: "ignore",
  });
}

async function setConfig(s: TestStack, values: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(values)) await s.stack.setConfig(key, { value });
}

/** The preview's counts of operations, without the unchanged ones. */
async function previewChanges(s: TestStack): Promise<Record<string, number>> {
  const { changeSummary } = await s.stack.preview();
  return Object.fromEntries(Object.entries(changeSummary).filter(([op]) => op !== "same"));
}

/**
 * What a destroyed example left: namespaces and host links with the test's prefix, links anywhere
 * that carry the stack's marks, and namespace or route records naming the stack.
 */
function leftovers(prefix: string): string[] {
  const stackMark = new RegExp(`/${prefix}-[a-z]+/`);
  return leakSnapshot().filter(
    (line) => line.includes(prefix) || stackMark.test(line) || recordNames(line, stackMark),
  );
}

/** Whether a record line of the leak snapshot is a record whose mark names the stack. */
function recordNames(line: string, stackMark: RegExp): boolean {
  const file = /^record (netns|route)\/(.+)$/.exec(line);
  if (!file) return false;
  try {
    return stackMark.test(readFileSync(`${RECORDS_ROOT}/${file[1]}/${file[2]}`, "utf8"));
  } catch {
    return false;
  }
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Received TCP throughput in bit/s over `seconds`, from a client in namespace `from` to an iperf3
 * server on `address` in namespace `to` (`reverse`: the server sends). The server serves this one
 * test; the client retries while it does not listen yet.
 */
function iperf(
  from: string,
  to: string,
  address: string,
  options: { reverse?: boolean; seconds?: number } = {},
) {
  const server = spawn("ip", ["netns", "exec", to, "iperf3", "--server", "--one-off", "--bind", address], {
    stdio: "ignore",
  });
  try {
    const args = ["--client", address, "--time", String(options.seconds ?? 4), "--json"];
    for (let attempt = 1; ; attempt++) {
      const run = spawnSync(
        "ip",
        ["netns", "exec", from, "iperf3", ...args, ...(options.reverse ? ["--reverse"] : [])],
        { encoding: "utf8", timeout: 60_000 },
      );
      // iperf3 3.12 exits 0 with --json even when it failed; the report's `error` says why.
      const report = (run.status === 0 ? JSON.parse(run.stdout) : {}) as {
        error?: string;
        end?: { sum_received?: { bits_per_second: number } };
      };
      const received = report.end?.sum_received?.bits_per_second;
      if (report.error === undefined && received !== undefined) return received;
      if (attempt >= 50 || !/refused/.test(report.error ?? run.stdout)) {
        throw new Error(`iperf3 from ${from} to ${address} failed: ${run.stdout}${run.stderr}`);
      }
      sleepSync(100);
    }
  } finally {
    server.kill();
  }
}

/** The root qdisc of a device as `tc -j -raw` prints it. */
function rootQdisc(namespace: string, dev: string) {
  const out = execFileSync("tc", ["-j", "-raw", "-n", namespace, "qdisc", "show", "dev", dev], {
    encoding: "utf8",
  });
  const all = JSON.parse(out.trim() || "[]") as {
    kind: string;
    root?: boolean;
    options: Record<string, number>;
  }[];
  return all.find((q) => q.root === true);
}

/** Asserts that `measured` bit/s lies within 15% of `limit` bit/s. */
function assertNear(measured: number, limit: number, what: string): void {
  const ratio = measured / limit;
  assert.ok(
    ratio > 0.85 && ratio < 1.15,
    `${what}: measured ${(measured / 1e6).toFixed(2)} Mbit/s for a limit of ${limit / 1e6}`,
  );
}

describe("examples through their whole life", { concurrency: false }, () => {
  test("two-hosts-bridge", async (t) => {
    if (!requireRoot(t)) return;
    const p = uniquePrefix();
    const s = await projectStack({ stackName: `${p}-thb`, workDir: example("two-hosts-bridge") });
    try {
      await setConfig(s, { namespacePrefix: `${p}-` });
      const { outputs } = await s.stack.up();
      // The stack's own probes pinged each host from the other during up.
      assert.deepEqual(
        (outputs.reachability?.value as string[]).map((seen) =>
          seen.replace(/: .*, 3 received, .*/, ": 3 received"),
        ),
        [
          `ping 10.0.1.2 from namespace ${p}-net0: 3 received`,
          `ping 10.0.1.1 from namespace ${p}-net1: 3 received`,
        ],
      );
      const [hub, net0, net1] = ["bridge", "net0", "net1"].map((n) => `${p}-${n}`) as [
        string,
        string,
        string,
      ];
      assert.deepEqual(addressesOf(net0, "net0-bridge"), ["10.0.1.1/24"]);
      assert.deepEqual(addressesOf(net1, "net1-bridge"), ["10.0.1.2/24"]);
      assert.equal(linkOf(hub, "bridge-net0").master, "br");
      assert.equal(linkOf(hub, "bridge-net1").master, "br");
      ping(net0, "10.0.1.2");

      await s.stack.preview({ expectNoChanges: true });

      // In place: the cables' MTU. The two probes check the changed path again (replaced, re-run).
      const ifindex = linkOf(net0, "net0-bridge").ifindex;
      await setConfig(s, { mtu: "1400" });
      assert.deepEqual(await previewChanges(s), { update: 2, replace: 2 });
      await s.stack.up();
      assert.equal(linkOf(net0, "net0-bridge").mtu, 1400);
      assert.equal(linkOf(net0, "net0-bridge").ifindex, ifindex, "updated, not re-created");

      // A rename that replaces the bridge, its ports following in place, is the README run's
      // change (exampleReadmes.test.ts).

      // Drift by hand, repaired by refresh + up.
      ip(["-n", hub, "link", "set", "dev", "bridge-net0", "nomaster"]);
      ip(["-n", net0, "addr", "flush", "dev", "net0-bridge"]);
      ip(["netns", "delete", net1]);
      await s.stack.refresh();
      await s.stack.up();
      assert.equal(linkOf(hub, "bridge-net0").master, "br");
      assert.deepEqual(addressesOf(net0, "net0-bridge"), ["10.0.1.1/24"]);
      ping(net0, "10.0.1.2");
      await s.stack.preview({ expectNoChanges: true });

      await s.stack.destroy();
      assert.deepEqual(leftovers(p), []);
    } finally {
      await s.dispose();
    }
  });

  test("vm-tap", async (t) => {
    if (!requireRoot(t)) return;
    const p = uniquePrefix();
    const s = await projectStack({ stackName: `${p}-tap`, workDir: example("vm-tap") });
    const vmnet = `${p}-vmnet`;
    /** Opens the tap as user `uid` (no capabilities), as QEMU would; what the attempt printed. */
    const attachAs = (uid: number, ...flags: string[]) =>
      spawnSync(
        "ip",
        ["netns", "exec", vmnet, "python3", openTap, "tap0", "--uid", `${uid}`, "--gid", `${uid}`, ...flags],
        { encoding: "utf8" },
      ).stdout;
    try {
      await setConfig(s, { namespacePrefix: `${p}-` });
      await s.stack.up();
      const [tap] = ipJson<{ ifname: string; user: number; group: number; flags: string[] }[]>([
        "-n",
        vmnet,
        "tuntap",
        "show",
      ]);
      assert.deepEqual([tap?.ifname, tap?.user, tap?.group], ["tap0", 1000, 1000]);
      assert.equal(linkOf(vmnet, "tap0").master, "br0");
      // The owner attaches as an ordinary user, as QEMU would; anyone else is refused.
      assert.match(attachAs(1000, "--vnet-hdr"), /attached tap0/);
      assert.match(attachAs(1001, "--vnet-hdr"), /TUNSETIFF failed: EPERM/);

      await s.stack.preview({ expectNoChanges: true });

      // A tap flag cannot change in place: multi-queue replaces the device, old one first.
      await setConfig(s, { multiQueue: "true" });
      assert.deepEqual(await previewChanges(s), { replace: 1 });
      await s.stack.up();
      const data = (linkOf(vmnet, "tap0").linkinfo as { info_data: Record<string, unknown> }).info_data;
      assert.equal(data.multi_queue, true);
      assert.match(attachAs(1000, "--vnet-hdr", "--multi-queue"), /attached tap0/);

      ip(["-n", vmnet, "link", "set", "dev", "tap0", "nomaster"]);
      await s.stack.refresh();
      await s.stack.up();
      assert.equal(linkOf(vmnet, "tap0").master, "br0");

      await s.stack.destroy();
      assert.deepEqual(leftovers(p), []);
    } finally {
      await s.dispose();
    }
  });

  test("macvlan", async (t) => {
    if (!requireRoot(t)) return;
    const p = uniquePrefix();
    const s = await projectStack({ stackName: `${p}-macvlan`, workDir: example("macvlan") });
    const [lan, h1, h2] = ["lan", "h1", "h2"].map((n) => `${p}-${n}`) as [string, string, string];
    const macvlanOf = (ns: string) => {
      const l = linkOf(ns, "eth0");
      const info = l.linkinfo as { info_kind: string; info_data: { mode: string } };
      return { kind: info.info_kind, mode: info.info_data.mode, parentIfindex: l.link_index, mtu: l.mtu };
    };
    try {
      await setConfig(s, { namespacePrefix: `${p}-` });
      const { outputs } = await s.stack.up();
      // The stack's own probes pinged each host from the other, through the parent, during up.
      assert.deepEqual(
        (outputs.reachability?.value as string[]).map((seen) => seen.replace(/: .*, 3 received, .*/, "")),
        [`ping 10.40.0.2 from namespace ${h1}`, `ping 10.40.0.1 from namespace ${h2}`],
      );
      const uplink = linkOf(lan, "uplink").ifindex;
      for (const ns of [h1, h2]) {
        assert.deepEqual(macvlanOf(ns), {
          kind: "macvlan",
          mode: "bridge",
          parentIfindex: uplink,
          mtu: 1500,
        });
      }
      assert.deepEqual(addressesOf(h2, "eth0"), ["10.40.0.2/24"]);
      assert.equal(
        ipJson(["-n", lan, "link", "show", "type", "macvlan"]).length,
        0,
        "made in lan, moved out",
      );
      ping(h1, "10.40.0.2");

      await s.stack.preview({ expectNoChanges: true });

      // In place: the macvlans' MTU; the probes check the path again.
      const ifindex = linkOf(h1, "eth0").ifindex;
      await setConfig(s, { mtu: "1400" });
      assert.deepEqual(await previewChanges(s), { update: 2, replace: 2 });
      await s.stack.up();
      assert.equal(macvlanOf(h1).mtu, 1400);
      assert.equal(linkOf(h1, "eth0").ifindex, ifindex, "updated, not re-created");

      // Renaming the parent's other end (parent and macvlans replaced) is the README run's change
      // (exampleReadmes.test.ts); test/engine/macvlanParent.test.ts checks the new parent.

      // Drift by hand (a mode changed, a macvlan deleted), repaired by refresh + up.
      ip(["-n", h1, "link", "set", "dev", "eth0", "type", "macvlan", "mode", "private"]);
      ip(["-n", h2, "link", "delete", "dev", "eth0"]);
      await s.stack.refresh();
      await s.stack.up();
      assert.equal(macvlanOf(h1).mode, "bridge");
      assert.deepEqual(addressesOf(h2, "eth0"), ["10.40.0.2/24"]);
      ping(h1, "10.40.0.2");
      await s.stack.preview({ expectNoChanges: true });

      await s.stack.destroy();
      assert.deepEqual(leftovers(p), []);
    } finally {
      await s.dispose();
    }
  });

  test("star", async (t) => {
    if (!requireRoot(t)) return;
    const p = uniquePrefix();
    const s = await projectStack({ stackName: `${p}-star`, workDir: example("star") });
    const hosts = 5;
    try {
      await setConfig(s, { namespacePrefix: `${p}-`, hosts: `${hosts}` });
      await s.stack.up();
      const hub = `${p}-hub`;
      for (let i = 1; i <= hosts; i++) assert.equal(linkOf(hub, `h${i}`).master, "br");
      ping(`${p}-h1`, `10.20.0.${hosts}`);
      await s.stack.preview({ expectNoChanges: true });

      await setConfig(s, { mtu: "9000" });
      assert.deepEqual(await previewChanges(s), { update: hosts });
      await s.stack.up();
      assert.equal(linkOf(`${p}-h2`, "eth0").mtu, 9000);

      await setConfig(s, { bridgeName: "sw" });
      assert.deepEqual(await previewChanges(s), { replace: 1, update: hosts });
      await s.stack.up();
      assert.equal(linkOf(hub, "h1").master, "sw");

      ip(["netns", "delete", `${p}-h3`]);
      await s.stack.refresh();
      await s.stack.up();
      ping(`${p}-h1`, "10.20.0.3");
      await s.stack.preview({ expectNoChanges: true });

      await s.stack.destroy();
      assert.deepEqual(leftovers(p), []);
    } finally {
      await s.dispose();
    }
  });

  test("router", async (t) => {
    if (!requireRoot(t)) return;
    const p = uniquePrefix();
    const s = await projectStack({ stackName: `${p}-router`, workDir: example("router") });
    const [h1, h2] = [`${p}-h1`, `${p}-h2`];
    const reach = () => {
      ping(h1, "10.2.0.2");
      ping(h1, "fd00:2::2");
      ping(h2, "10.1.0.2");
    };
    try {
      await setConfig(s, { namespacePrefix: `${p}-` });
      const { outputs } = await s.stack.up();
      // The stack's own probes crossed the router both ways in both families during up.
      assert.deepEqual(
        (outputs.reachability?.value as string[]).map((seen) => seen.replace(/: .*, 3 received, .*/, "")),
        [
          `ping 10.2.0.2 from namespace ${h1}`,
          `ping fd00:2::2 from namespace ${h1}`,
          `ping 10.1.0.2 from namespace ${h2}`,
          `ping fd00:1::2 from namespace ${h2}`,
        ],
      );
      const routes = (ns: string, family: "-4" | "-6") =>
        ipJson<{ dst: string; gateway: string; dev: string }[]>([
          "-n",
          ns,
          family,
          "route",
          "show",
          "default",
        ]);
      assert.deepEqual(
        routes(h1, "-4").map((r) => [r.gateway, r.dev]),
        [["10.1.0.1", "eth0"]],
      );
      assert.deepEqual(
        routes(h1, "-6").map((r) => [r.gateway, r.dev]),
        [["fd00:1::1", "eth0"]],
      );
      reach();
      await s.stack.preview({ expectNoChanges: true });

      // The MTU changed in place is the README run's change (exampleReadmes.test.ts).

      // Renaming the host interface replaces both cables; the routes follow in place.
      await setConfig(s, { hostInterface: "uplink" });
      await s.stack.up();
      assert.deepEqual(
        routes(h2, "-4").map((r) => r.dev),
        ["uplink"],
      );
      reach();
      await s.stack.preview({ expectNoChanges: true });

      ip(["-n", h1, "route", "del", "default"]);
      ip(["-n", h2, "-6", "route", "del", "default"]);
      await s.stack.refresh();
      await s.stack.up();
      reach();

      await s.stack.destroy();
      assert.deepEqual(leftovers(p), []);
    } finally {
      await s.dispose();
    }
  });

  test("bgp", async (t) => {
    if (!requireRoot(t)) return;
    const p = uniquePrefix();
    const stackName = `${p}-bgp`;
    const s = await projectStack({ stackName, workDir: example("bgp") });
    const router = (r: string) => `${p}-${r}`;
    const ours = (mark: string) => mark.includes(`/${stackName}/`);
    interface Peer {
      state: string;
      remoteAs: number;
    }
    /** Each BGP neighbour of a router as its FRR instance (`vtysh -N`) reports it. */
    const peers = (r: string) => {
      const out = execFileSync("vtysh", ["-N", router(r), "-c", "show bgp summary json"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
      return (JSON.parse(out) as { ipv4Unicast?: { peers: Record<string, Peer> } }).ipv4Unicast?.peers ?? {};
    };
    /** The protocol of a router's route to `prefix`; undefined when it has none. */
    const routeTo = (r: string, prefix: string) =>
      ipJson<{ protocol?: string }[]>(["-n", router(r), "route", "show", prefix])[0]?.protocol ?? "none";
    const reaches = (from: string, address: string) => {
      try {
        ping(`${p}-${from}`, address);
        return true;
      } catch {
        return false;
      }
    };
    try {
      await setConfig(s, { namespacePrefix: `${p}-` });
      const { outputs } = await s.stack.up();
      const states = (r: string) =>
        Object.fromEntries(Object.entries(peers(r)).map(([address, peer]) => [address, peer.state]));
      assert.deepEqual(states("r1"), { "10.0.12.2": "Established" });
      assert.deepEqual(states("r2"), { "10.0.12.1": "Established", "10.0.23.2": "Established" });
      assert.deepEqual(states("r3"), { "10.0.23.1": "Established" });
      // Every route between the LANs is one BGP learned; each LAN is the router's own.
      assert.deepEqual(
        ["10.1.0.0/24", "10.2.0.0/24", "10.3.0.0/24"].map((lan) => routeTo("r1", lan)),
        ["kernel", "bgp", "bgp"],
      );
      assert.deepEqual(
        (outputs.reachability?.value as string[]).map((seen) => seen.replace(/:.*/, "")),
        [`ping 10.3.0.2 from namespace ${p}-h1`, `ping 10.1.0.2 from namespace ${p}-h3`],
      );
      assert.ok(reaches("h1", "10.3.0.2"));
      await s.stack.preview({ expectNoChanges: true });

      // r1's AS number: its bgpd.conf alone changes, so its bgpd alone restarts; the probes run again.
      type Pids = Record<string, { zebra: number; bgpd: number }>;
      const before = outputs.daemonPids?.value as Pids;
      await setConfig(s, { r1Asn: "65101" });
      const changed = await s.stack.up();
      const changes = { ...changed.summary.resourceChanges };
      delete changes.same;
      assert.deepEqual(changes, { update: 1, replace: 2 }, "r1's bgpd, and the probes that run again");
      const after = changed.outputs.daemonPids?.value as Pids;
      assert.notEqual(after.r1!.bgpd, before.r1!.bgpd, "r1's bgpd restarted");
      assert.deepEqual(
        { ...after, r1: { ...after.r1, bgpd: before.r1!.bgpd } },
        before,
        "r1's zebra and every daemon of r2 and r3 kept their pids",
      );
      const r1AsSeenByR2 = peers("r2")["10.0.12.1"];
      assert.equal(r1AsSeenByR2?.remoteAs, 65101, "r2 sees r1's new AS number");
      assert.equal(r1AsSeenByR2?.state, "Established");

      // With r2's bgpd stopped behind Pulumi's back, r1 and r3 lose each other's LAN: no static
      // route was holding it.
      process.kill(after.r2!.bgpd, "SIGTERM");
      for (let i = 0; i < 100 && routeTo("r1", "10.3.0.0/24") !== "none"; i++) sleepSync(100);
      assert.equal(routeTo("r1", "10.3.0.0/24"), "none", "r1 has no route to h3's LAN");
      assert.equal(routeTo("r3", "10.1.0.0/24"), "none", "r3 has no route to h1's LAN");
      assert.equal(reaches("h1", "10.3.0.2"), false, "h1 no longer reaches h3");

      await s.stack.destroy();
      assert.deepEqual(processesMarked(ours), [], "no FRR daemon is left");
      for (const r of ["r1", "r2", "r3"]) {
        for (const dir of [`/etc/frr/${router(r)}`, `/var/run/frr/${router(r)}`])
          assert.equal(existsSync(dir), false, `${dir} went with what FRR left in it`);
      }
      assert.deepEqual(
        readdirSync(SERVICE_RECORD_DIR).filter((f) =>
          ours(readFileSync(`${SERVICE_RECORD_DIR}/${f}`, "utf8")),
        ),
        [],
        "no service record names the stack",
      );
      assert.deepEqual(leftovers(p), []);
    } finally {
      await s.dispose();
      for (const pid of processesMarked(ours)) killQuietly(-pid);
    }
  });

  test("iperf", async (t) => {
    if (!requireRoot(t)) return;
    const p = uniquePrefix();
    const s = await projectStack({ stackName: `${p}-iperf`, workDir: example("iperf") });
    const serverNamespace = `${p}-server`;
    /** Whether `pid` is a live iperf3 (not a zombie: PID 1 may never reap it). */
    const isIperf = (pid: number | undefined) => {
      if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return false;
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      return stat.includes("(iperf3)") && !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
    };
    let pid: number | undefined;
    try {
      await setConfig(s, { namespacePrefix: `${p}-`, seconds: "1" });
      const { outputs } = await s.stack.up();
      pid = outputs.iperfServerPid?.value as number;
      assert.ok(isIperf(pid), "the iperf3 server runs after up");
      assert.equal(
        execFileSync("ip", ["netns", "identify", String(pid)], { encoding: "utf8" }).trim(),
        serverNamespace,
        "inside the server's namespace",
      );
      assert.match(
        String(outputs.serverAnswered?.value),
        /^tcp 10\.30\.0\.1:5201 from namespace .*: connected after/,
      );
      const first = outputs.throughputGbps?.value as number;
      assert.ok(first > 0.1, `measured ${first} Gbit/s from client to server`);
      await s.stack.preview({ expectNoChanges: true });

      // A new MTU updates both cables and measures again; the server keeps running.
      await setConfig(s, { mtu: "9000" });
      assert.deepEqual(await previewChanges(s), { update: 2, replace: 1 });
      const second = await s.stack.up();
      assert.equal(linkOf(`${p}-client`, "eth0").mtu, 9000);
      assert.ok((second.outputs.throughputGbps?.value as number) > 0.1);
      assert.equal(second.outputs.iperfServerPid?.value, pid, "the same server still runs");
      assert.ok(isIperf(pid));

      // Killed behind Pulumi's back: refresh finds it gone, and up starts it again.
      process.kill(pid, "SIGKILL");
      for (let i = 0; i < 50 && isIperf(pid); i++) await new Promise((r) => setTimeout(r, 100));
      await s.stack.refresh();
      const third = await s.stack.up();
      const restarted = third.outputs.iperfServerPid?.value as number;
      assert.notEqual(restarted, pid);
      assert.ok(isIperf(restarted), "up started the server again");
      pid = restarted;

      const log = String(third.outputs.iperfServerLog?.value);
      await s.stack.destroy();
      assert.equal(isIperf(pid), false, "destroy stopped the server");
      assert.equal(existsSync(log), false, "and removed its log");
      assert.deepEqual(leftovers(p), []);
    } finally {
      await s.dispose();
      if (isIperf(pid)) process.kill(pid!, "SIGKILL");
    }
  });

  test("dhcp", async (t) => {
    if (!requireRoot(t)) return;
    const p = uniquePrefix();
    const s = await projectStack({ stackName: `${p}-dhcp`, workDir: example("dhcp") });
    const [server, h1, h2] = ["server", "h1", "h2"].map((n) => `${p}-${n}`) as [string, string, string];
    const stackMark = new RegExp(`/${p}-dhcp/`);
    const directories = ["dnsmasq", "h1", "h2"].map((n) => `/run/${p}-dhcp-${n}`);
    /** The service records that name the stack. */
    const serviceRecords = () => {
      const files = existsSync(SERVICE_RECORD_DIR) ? readdirSync(SERVICE_RECORD_DIR) : [];
      return files.filter((f) => stackMark.test(readFileSync(`${SERVICE_RECORD_DIR}/${f}`, "utf8")));
    };
    /** `ip -j address show` of a host's eth0: its IPv4 addresses, each with whether it is dynamic. */
    const ipv4Of = (namespace: string) =>
      ipJson<{ addr_info: { family: string; local: string; prefixlen: number; dynamic?: boolean }[] }[]>([
        "-n",
        namespace,
        "address",
        "show",
        "dev",
        "eth0",
      ])[0]!
        .addr_info.filter((a) => a.family === "inet")
        .map((a) => ({ cidr: `${a.local}/${a.prefixlen}`, dynamic: a.dynamic === true }));
    const inRange = (cidr: string) => {
      const m = /^10\.50\.0\.(\d+)\/24$/.exec(cidr);
      return m !== null && Number(m[1]) >= 100 && Number(m[1]) <= 199;
    };
    try {
      await setConfig(s, { namespacePrefix: `${p}-` });
      const { outputs } = await s.stack.up();
      // The stack's own probe: h2 reached h1 at the address dnsmasq reserved for it.
      assert.match(
        String(outputs.h2ReachedH1?.value),
        /^ping 10\.50\.0\.150 from namespace .*: 3 packets transmitted, 3 received/,
      );
      assert.deepEqual(
        ipv4Of(server),
        [{ cidr: "10.50.0.1/24", dynamic: false }],
        "the server's own address",
      );
      const [a1, a2] = [ipv4Of(h1), ipv4Of(h2)];
      assert.deepEqual(a1, [{ cidr: "10.50.0.150/24", dynamic: true }], "h1: its reservation, as a lease");
      assert.equal(a2.length, 1, `h2 has one IPv4 address: ${JSON.stringify(a2)}`);
      assert.ok(
        a2[0]!.dynamic && inRange(a2[0]!.cidr),
        `h2's address is a lease from the range: ${a2[0]!.cidr}`,
      );
      // dnsmasq's lease file: `expiry MAC address hostname client-id`, one line per lease.
      const leases = readFileSync(String(outputs.dnsmasqLeaseFile?.value), "utf8")
        .trim()
        .split("\n")
        .map((line) => {
          const [, , address, hostname] = line.split(" ");
          return `${hostname} ${address}`;
        })
        .sort();
      assert.deepEqual(leases, [`h1 ${a1[0]!.cidr.split("/")[0]}`, `h2 ${a2[0]!.cidr.split("/")[0]}`]);
      const running = processesMarked((mark) => stackMark.test(mark));
      assert.equal(running.length, 3, "dnsmasq and two DHCP clients run");
      assert.ok(directories.every((d) => existsSync(d)));
      assert.equal(serviceRecords().length, 3);
      // graph draws each service in its host's box: its name, what it runs, that it runs.
      const graph = spawnSync(
        process.execPath,
        [
          path.join(repoRoot, "dist", "cli", "index.js"),
          "graph",
          "--stack",
          `${p}-dhcp`,
          "--format",
          "mermaid",
        ],
        {
          cwd: example("dhcp"),
          encoding: "utf8",
          env: { ...process.env, ...s.stack.workspace.envVars, PULUMI_HOME: s.stack.workspace.pulumiHome },
        },
      );
      assert.equal(graph.status, 0, graph.stderr);
      assert.deepEqual(graph.stdout.match(/\{\{"[^"]*"\}\}/g)?.sort(), [
        '{{"dnsmasq<br>running"}}',
        '{{"udhcpc<br>busybox<br>running"}}',
        '{{"udhcpc<br>busybox<br>running"}}',
      ]);

      const log = String(outputs.dnsmasqLog?.value);
      await s.stack.destroy();
      assert.deepEqual(
        processesMarked((mark) => stackMark.test(mark)),
        [],
        "no process is left",
      );
      assert.deepEqual(
        directories.filter((d) => existsSync(d)),
        [],
        "each service's directory went, with the lease file and scripts in it",
      );
      assert.equal(existsSync(log), false, "and dnsmasq's log");
      assert.deepEqual(serviceRecords(), [], "and the services' records");
      assert.deepEqual(leftovers(p), []);
    } finally {
      await s.dispose();
      for (const pid of processesMarked((mark) => stackMark.test(mark))) killQuietly(-pid);
      // Named after this test's unique prefix: whatever a failure left of them is this test's.
      for (const d of directories) rmSync(d, { recursive: true, force: true });
    }
  });

  test("vxlan-overlay", async (t) => {
    if (!requireRoot(t)) return;
    const p = uniquePrefix();
    const s = await projectStack({ stackName: `${p}-vxlan`, workDir: example("vxlan-overlay") });
    const [siteA, siteB, a1, b2] = ["site-a", "site-b", "a1", "b2"].map((n) => `${p}-${n}`) as [
      string,
      string,
      string,
      string,
    ];
    const tunnel = (ns: string): Record<string, unknown> => {
      const link = linkOf(ns, "vxlan0");
      const data = (link.linkinfo as { info_data: Record<string, unknown> }).info_data;
      return { ifindex: link.ifindex, mtu: link.mtu, master: link.master, ...data };
    };
    /** Every host reaches every host of the other site, across the tunnel. */
    const across = () => {
      for (const to of ["10.200.0.3", "10.200.0.4"]) ping(a1, to);
      for (const to of ["10.200.0.1", "10.200.0.2"]) ping(b2, to);
    };
    try {
      await setConfig(s, { namespacePrefix: `${p}-` });
      const { outputs } = await s.stack.up();
      // The stack's own probes crossed the tunnel both ways during up.
      assert.deepEqual(
        (outputs.reachability?.value as string[]).map((seen) => seen.replace(/: .*, 3 received, .*/, "")),
        [`ping 10.200.0.3 from namespace ${a1}`, `ping 10.200.0.2 from namespace ${b2}`],
      );
      const a = tunnel(siteA);
      assert.deepEqual(
        [a.id, a.remote, a.local, a.link, a.port, a.master, a.mtu],
        [100, "192.168.100.2", "192.168.100.1", "underlay", 4789, "br", 1450],
      );
      assert.equal(tunnel(siteB).remote, "192.168.100.1");
      across();
      await s.stack.preview({ expectNoChanges: true });

      // A new VNI (both ends replaced) is the README run's change (exampleReadmes.test.ts).

      // A new MTU: the tunnels and the hosts' cables change in place; the probes run again.
      const ifindexes = [tunnel(siteA).ifindex, tunnel(siteB).ifindex];
      await setConfig(s, { mtu: "1400" });
      assert.deepEqual(await previewChanges(s), { update: 6, replace: 2 });
      await s.stack.up();
      assert.deepEqual([tunnel(siteA).mtu, tunnel(siteB).mtu, linkOf(a1, "eth0").mtu], [1400, 1400, 1400]);
      assert.deepEqual([tunnel(siteA).ifindex, tunnel(siteB).ifindex], ifindexes, "updated, not re-created");
      execFileSync(
        "ip",
        ["netns", "exec", a1, "ping", "-c", "1", "-W", "2", "-s", "1372", "-M", "do", "10.200.0.3"],
        {
          stdio: "ignore",
        },
      );

      // Drift by hand: settings of one end changed, the other end deleted; refresh + up repair it.
      ip([
        "-n",
        siteA,
        "link",
        "set",
        "dev",
        "vxlan0",
        "type",
        "vxlan",
        "ttl",
        "9",
        "nolearning",
        "remote",
        "192.168.100.9",
      ]);
      ip(["-n", siteA, "link", "set", "dev", "vxlan0", "nomaster"]);
      ip(["-n", siteB, "link", "delete", "dev", "vxlan0"]);
      await s.stack.refresh();
      await s.stack.up();
      const repaired = tunnel(siteA);
      assert.deepEqual(
        [repaired.ttl, repaired.learning, repaired.remote, repaired.master, repaired.ifindex],
        [0, true, "192.168.100.2", "br", ifindexes[0]],
      );
      assert.deepEqual([tunnel(siteB).id, tunnel(siteB).master], [100, "br"]);
      across();
      await s.stack.preview({ expectNoChanges: true });

      await s.stack.destroy();
      assert.deepEqual(leftovers(p), []);
    } finally {
      await s.dispose();
    }
  });

  test("shaped-link", async (t) => {
    if (!requireRoot(t)) return;
    const p = uniquePrefix();
    const s = await projectStack({ stackName: `${p}-shaped`, workDir: example("shaped-link") });
    const [left, right] = [`${p}-left`, `${p}-right`];
    const measured: string[] = [];
    const measure = (what: string, limit: number | undefined, options: { reverse?: boolean } = {}) => {
      const bits = iperf(left, right, "10.40.0.2", options);
      measured.push(`${what}: ${(bits / 1e6).toFixed(2)} Mbit/s`);
      if (limit !== undefined) assertNear(bits, limit, what);
      return bits;
    };
    try {
      await setConfig(s, { namespacePrefix: `${p}-` });
      const { outputs } = await s.stack.up();
      assert.deepEqual(outputs.leftRate?.value, {
        bitsPerSecond: 10e6,
        burstBytes: 15140,
        limitBytes: 77640,
      });
      assert.equal(outputs.rightRate?.value, "none");
      assert.equal(rootQdisc(left, "eth0")?.kind, "tbf");
      assert.equal(rootQdisc(left, "eth0")?.options.rate, 1_250_000, "10 Mbit/s is 1.25 MB/s");
      assert.equal(rootQdisc(right, "eth0")?.kind, "noqueue");
      await s.stack.preview({ expectNoChanges: true });

      // The limited direction at 10 Mbit/s; the other one is far faster.
      const limited = measure("left to right, limit 10 Mbit/s", 10e6);
      const unlimited = measure("right to left, no limit", undefined, { reverse: true });
      assert.ok(unlimited > 5 * limited, `unlimited ${unlimited} bit/s is clearly above limited ${limited}`);

      // 50 Mbit/s: the same link, a new qdisc; the probe runs again.
      const ifindex = linkOf(left, "eth0").ifindex;
      await setConfig(s, { rateMbit: "50" });
      assert.deepEqual(await previewChanges(s), { update: 1, replace: 1 });
      await s.stack.up();
      assert.equal(linkOf(left, "eth0").ifindex, ifindex, "updated, not re-created");
      assert.equal(rootQdisc(left, "eth0")?.options.rate, 6_250_000);
      measure("left to right, limit 50 Mbit/s", 50e6);
      await s.stack.preview({ expectNoChanges: true });

      // Drift: the qdisc deleted by hand. Refresh sees it, up puts it back.
      execFileSync("tc", ["-n", left, "qdisc", "del", "dev", "eth0", "root"]);
      assert.equal(rootQdisc(left, "eth0")?.kind, "noqueue");
      await s.stack.refresh();
      assert.deepEqual(await previewChanges(s), { update: 1, replace: 1 });
      await s.stack.up();
      assert.equal(rootQdisc(left, "eth0")?.options.rate, 6_250_000);
      measure("left to right, limit 50 Mbit/s, after drift was repaired", 50e6);
      await s.stack.preview({ expectNoChanges: true });

      await s.stack.destroy();
      assert.deepEqual(leftovers(p), []);
    } finally {
      t.diagnostic(measured.join("; "));
      await s.dispose();
    }
  });
});
