// A Service against the real kernel: a small HTTP server (python3 -m http.server) bound inside a
// namespace this test makes. What it starts is proven by pid, start time, namespace and the mark
// in its environment; a process that merely has a recorded pid is never signalled.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  processFacts,
  serviceClaimRecord,
  serviceLogFile,
  serviceRecordFile,
  SERVICE_RECORD_DIR,
  serviceSpawn,
  serviceVariableValue,
  serviceWriteRecord,
} from "../../../provider/kernel/service";
import { LOG_MAX_BYTES, serviceConfig } from "../../../provider/service";
import { uniquePrefix } from "../../helpers/names";
import { killQuietly as kill, processesMarked as processesMarkedBy } from "../../helpers/processes";
import { ip, removeByPrefix } from "../../helpers/readback";
import { isRoot, requireRoot } from "../../helpers/root";
import { driver, managedBy, markOf } from "./harness";

const p = uniquePrefix();
const service = driver("Service");
const ns = `${p}-s`;
const dir = `/tmp/${p}`;

/** Every live process whose environment carries `mark`. */
const processesMarked = (mark: string) => processesMarkedBy((m) => m === mark);

const alive = async (pid: number) => (await processFacts(pid)).state === "running";
const waitFor = async (what: string, cond: () => Promise<boolean>, ms = 5000) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    if (await cond()) return;
  }
  assert.fail(`timed out waiting for ${what}`);
};

/** GETs a path from the server inside the namespace. */
async function fetchInside(port: number, path: string): Promise<string> {
  const { execa } = await import("execa");
  const script = `import urllib.request,sys; sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:${port}${path}", timeout=5).read().decode())`;
  return (
    await execa("ip", ["netns", "exec", ns, "/usr/bin/python3", "-c", script], { stripFinalNewline: false })
  ).stdout;
}

const http = (name: string, port: number, extra: Record<string, unknown> = {}) => ({
  namespace: ns,
  name,
  command: ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1"],
  workingDirectory: dir,
  readiness: { tcpPort: port, timeoutSeconds: 10 },
  stop: { signal: "SIGTERM", timeoutSeconds: 5 },
  managedBy: managedBy(p, "Service", name),
  ...extra,
});

/** What a service leaves on the machine: its record, its log. */
const recordPath = (name: string) => `${SERVICE_RECORD_DIR}/${serviceRecordFile(ns, name)}`;

describe("Service provider against the kernel", { concurrency: false }, () => {
  const sleepers: number[] = [];
  before(() => {
    if (!isRoot()) return;
    removeByPrefix(p);
    ip(["netns", "add", ns]);
    ip(["-n", ns, "link", "set", "lo", "up"]);
    mkdirSync(dir, { recursive: true });
  });
  after(() => {
    if (!isRoot()) return;
    for (const name of [
      "web",
      "again",
      "alien",
      "late",
      "cfg",
      "clash",
      "nobody",
      "restore",
      "logs",
      "unrec",
      "dirs",
    ]) {
      for (const pid of processesMarked(markOf(p, "Service", name))) kill(-pid);
      rmSync(recordPath(name), { force: true });
      for (const suffix of ["", ".1", ".2", ".3"])
        rmSync(`${serviceLogFile(ns, name)}${suffix}`, { force: true });
    }
    for (const pid of sleepers) kill(pid);
    removeByPrefix(p);
    rmSync(dir, { recursive: true, force: true });
  });

  test("create waits for the port, proves the process; update restarts only for what it runs with; delete leaves nothing", async (t) => {
    if (!requireRoot(t)) return;
    const page = `${dir}/index.html`;
    const inputs = http("web", 8081, {
      environment: { GREETING: "hi" },
      files: [{ path: page, content: "hello from the namespace\n", mode: 0o640 }],
    });
    const { id, outs } = await service.create(inputs);
    const mark = markOf(p, "Service", "web");
    assert.deepEqual(
      processesMarked(mark),
      [outs.pid],
      "one process carries the mark, and it is the one in state",
    );
    assert.equal(await fetchInside(8081, "/index.html"), "hello from the namespace\n");
    assert.equal(statSync(page).mode & 0o7777, 0o640);
    assert.equal(readlinkSync(`/proc/${outs.pid}/ns/net`), `net:[${outs.netnsInode}]`);
    assert.equal(outs.netnsInode, statSync(`/run/netns/${ns}`).ino, "started in the namespace");
    assert.ok(existsSync(outs.logFile) && existsSync(recordPath("web")));
    assert.match(readFileSync(outs.logFile, "utf8"), /GET \/index.html/, "its output goes to its log");

    const same = await service.read(id, outs);
    assert.equal(same.props?.pid, outs.pid);

    // Readiness only: no restart.
    const quicker = { ...inputs, readiness: { tcpPort: 8081, timeoutSeconds: 3 } };
    const r1 = await service.update(id, outs, quicker);
    assert.deepEqual(r1.diff.replaces, []);
    assert.equal(r1.result.outs.pid, outs.pid);
    // A file's content: rewritten, and the process restarted.
    const edited = { ...quicker, files: [{ path: page, content: "edited\n", mode: 0o640 }] };
    const r2 = await service.update(id, r1.result.outs, edited);
    assert.deepEqual(r2.diff.replaces, []);
    assert.notEqual(r2.result.outs.pid, outs.pid);
    assert.equal(await alive(outs.pid), false, "the old process was stopped");
    assert.equal(await fetchInside(8081, "/index.html"), "edited\n");
    // The name replaces.
    const renamed = await service.provider.diff(
      id,
      r2.result.outs,
      await service.checked({ ...edited, name: "web2" }),
    );
    assert.deepEqual(renamed.replaces, ["name"]);

    await service.delete(id, r2.result.outs);
    assert.deepEqual(processesMarked(mark), []);
    assert.equal(existsSync(page), false, "its file went");
    assert.equal(existsSync(outs.logFile), false, "its log went");
    assert.equal(existsSync(recordPath("web")), false, "its record went");
    await service.delete(id, r2.result.outs);
  });

  test("a killed daemon is gone for read, and create starts it again", async (t) => {
    if (!requireRoot(t)) return;
    const inputs = http("again", 8082);
    const { id, outs } = await service.create(inputs);
    process.kill(outs.pid, "SIGKILL");
    await waitFor("the daemon to die", async () => !(await alive(outs.pid)));
    assert.deepEqual(await service.read(id, outs), {}, "a dead process is gone");
    const again = await service.create(inputs);
    assert.notEqual(again.outs.pid, outs.pid);
    assert.match(await fetchInside(8082, "/"), /Directory listing for \//);
    await service.delete(id, again.outs);
    assert.deepEqual(processesMarked(markOf(p, "Service", "again")), []);
  });

  test("a process at the recorded pid that is not ours is never signalled", async (t) => {
    if (!requireRoot(t)) return;
    const sleeper = spawn("sleep", ["300"], { stdio: "ignore", detached: true });
    sleepers.push(sleeper.pid!);
    await waitFor("sleep to run", () => alive(sleeper.pid!));
    const facts = await processFacts(sleeper.pid!);
    const inputs = http("alien", 8083);
    const mark = markOf(p, "Service", "alien");
    // Our record names the sleeper (its real pid and start time, our namespace's inode): create
    // must not take it for the service it would restart.
    await serviceWriteRecord(mark, {
      netns: ns,
      name: "alien",
      pid: sleeper.pid!,
      startTime: facts.startTime,
      netnsInode: statSync(`/run/netns/${ns}`).ino,
      log: "/var/log/pulumi-netns/unused.log",
      files: [],
      directories: [],
    });
    const { id, outs } = await service.create(inputs);
    assert.equal(await alive(sleeper.pid!), true, "create left the sleeper alone");
    // State pointing at the sleeper, with its real start time: read says gone, delete leaves it.
    const forged = { ...outs, pid: sleeper.pid!, startTime: facts.startTime! };
    assert.deepEqual(await service.read(id, forged), {});
    await service.delete(id, forged);
    assert.equal(await alive(sleeper.pid!), true, "delete left the sleeper alone");
    // The record (our mark) names the real service: delete stops it rather than drop the record
    // and leave it running where nothing would find it.
    assert.equal(await alive(outs.pid), false, "and stopped the service the record proves ours");
    assert.equal(existsSync(recordPath("alien")), false);
  });

  test("a daemon that never gets ready fails create with its log, and leaves nothing", async (t) => {
    if (!requireRoot(t)) return;
    const cfg = `${dir}/late.conf`;
    const inputs = {
      namespace: ns,
      name: "late",
      command: ["python3", "-c", "import time; print('late-daemon says hello', flush=True); time.sleep(60)"],
      files: [{ path: cfg, content: "x=1\n" }],
      readiness: { tcpPort: 8084, timeoutSeconds: 1 },
      managedBy: managedBy(p, "Service", "late"),
    };
    await assert.rejects(service.create(inputs), (e: Error) => {
      assert.match(e.message, /was not ready within 1 s \(nothing listens on TCP port 8084\)/);
      assert.match(e.message, /late-daemon says hello/);
      return true;
    });
    assert.deepEqual(processesMarked(markOf(p, "Service", "late")), [], "no process");
    assert.equal(existsSync(cfg), false, "no file");
    assert.equal(existsSync(recordPath("late")), false, "no record");
    assert.deepEqual(
      readdirSync("/var/log/pulumi-netns").filter((f) =>
        f.startsWith(`late-${serviceRecordFile(ns, "late").slice(0, 12)}`),
      ),
      [],
      "no log",
    );
  });

  test("a file that exists and is not ours is refused before anything starts", async (t) => {
    if (!requireRoot(t)) return;
    const theirs = `${dir}/theirs.conf`;
    writeFileSync(theirs, "someone else's\n");
    const inputs = http("clash", 8085, { files: [{ path: theirs, content: "ours\n" }] });
    await assert.rejects(
      service.create(inputs),
      /theirs\.conf already exists and this stack did not create it/,
    );
    assert.equal(readFileSync(theirs, "utf8"), "someone else's\n");
    assert.deepEqual(processesMarked(markOf(p, "Service", "clash")), []);
    assert.equal(existsSync(recordPath("clash")), false);
    // With adopt, it is taken over, and delete removes it as it removes what it wrote.
    const { id, outs } = await service.create({ ...inputs, adopt: true });
    assert.equal(readFileSync(theirs, "utf8"), "ours\n");
    await service.delete(id, outs);
    assert.equal(existsSync(theirs), false);
  });

  test("runs as its user and group; a file changed by hand is drift, and delete leaves it", async (t) => {
    if (!requireRoot(t)) return;
    const conf = `${dir}/as-nobody.conf`;
    const inputs = {
      namespace: ns,
      name: "nobody",
      command: ["sleep", "60"],
      user: "nobody",
      files: [{ path: conf, content: "a=1\n", owner: "nobody" }],
      stop: { timeoutSeconds: 1 },
      managedBy: managedBy(p, "Service", "nobody"),
    };
    const { id, outs } = await service.create(inputs);
    const status = readFileSync(`/proc/${outs.pid}/status`, "utf8");
    const nobody = Number(execFileSync("id", ["-u", "nobody"], { encoding: "utf8" }));
    const group = Number(execFileSync("id", ["-g", "nobody"], { encoding: "utf8" }));
    assert.match(status, new RegExp(`^Uid:\\t${nobody}\\t${nobody}\\t`, "m"));
    assert.match(status, new RegExp(`^Gid:\\t${group}\\t${group}\\t`, "m"));
    assert.equal(statSync(conf).uid, nobody);

    writeFileSync(conf, "a=2\n");
    const read = await service.read(id, outs);
    assert.deepEqual(read.props?.files, [], "the changed file is left out, so the next up rewrites it");
    await service.delete(id, outs);
    assert.equal(readFileSync(conf, "utf8"), "a=2\n", "delete left the file someone changed");
    assert.equal(await alive(outs.pid), false);
  });

  test("an update whose new process never gets ready fails with its log and puts the old one back running", async (t) => {
    if (!requireRoot(t)) return;
    const conf = `${dir}/restore.conf`;
    const extra = `${dir}/restore-extra.conf`;
    const mark = markOf(p, "Service", "restore");
    const inputs = {
      namespace: ns,
      name: "restore",
      command: ["sleep", "600"],
      files: [{ path: conf, content: "v=1\n" }],
      stop: { timeoutSeconds: 1 },
      managedBy: managedBy(p, "Service", "restore"),
    };
    const { id, outs } = await service.create(inputs);
    const broken = {
      ...inputs,
      command: ["python3", "-c", "print('new-daemon says hello', flush=True); import time; time.sleep(60)"],
      files: [
        { path: conf, content: "v=2\n" },
        { path: extra, content: "only the new one has me\n" },
      ],
      readiness: { tcpPort: 8087, timeoutSeconds: 1 },
    };
    let failure: (Error & { id?: string; properties?: Record<string, unknown> }) | undefined;
    await assert.rejects(service.update(id, outs, broken), (e: Error) => {
      failure = e;
      assert.match(e.message, /was not ready within 1 s \(nothing listens on TCP port 8087\)/);
      assert.match(e.message, /new-daemon says hello/, "the failed run's log");
      assert.match(e.message, /The previous configuration runs again \(process \d+\)/);
      return true;
    });
    // The error carries the state of what runs now (the engine keeps it: ErrorResourceInitFailed).
    assert.equal(failure?.id, id);
    const now = failure?.properties as typeof outs;
    assert.notEqual(now.pid, outs.pid, "the old process was stopped for the restart, then started again");
    assert.deepEqual(
      processesMarked(mark),
      [now.pid],
      "one process: the old configuration's, not the new one",
    );
    assert.equal(readFileSync(`/proc/${now.pid}/cmdline`, "utf8"), "sleep\u0000600\u0000");
    assert.deepEqual(now.command, inputs.command);
    assert.equal(readFileSync(conf, "utf8"), "v=1\n", "the old file is back");
    assert.equal(existsSync(extra), false, "the new configuration's own file went");
    assert.match(readFileSync(`${outs.logFile}.1`, "utf8"), /new-daemon says hello/, "its log kept as .1");
    // Proven ours by what read proves with, and state is consistent with it.
    const read = await service.read(id, now);
    assert.equal(read.props?.pid, now.pid);
    await service.delete(id, now);
    assert.deepEqual(processesMarked(mark), []);
    assert.equal(existsSync(conf), false);
    assert.equal(existsSync(recordPath("restore")), false);
  });

  test("each start keeps the previous log as .1 (two kept); an operation trims a log past its limit in place", async (t) => {
    if (!requireRoot(t)) return;
    const inputs = (run: number) => ({
      namespace: ns,
      name: "logs",
      command: ["sh", "-c", "echo run $RUN; while sleep 0.1; do echo tick; done"],
      environment: { RUN: String(run) },
      stop: { timeoutSeconds: 1 },
      managedBy: managedBy(p, "Service", "logs"),
    });
    const { id, outs } = await service.create(inputs(1));
    let state = outs;
    for (const run of [2, 3, 4]) state = (await service.update(id, state, inputs(run))).result.outs;
    const log = outs.logFile;
    await waitFor("run 4's first line", async () => readFileSync(log, "utf8").startsWith("run 4"));
    assert.match(readFileSync(`${log}.1`, "utf8"), /^run 3\n/);
    assert.match(readFileSync(`${log}.2`, "utf8"), /^run 2\n/);
    assert.equal(existsSync(`${log}.3`), false, "run 1's log was dropped: two earlier logs are kept");

    // Past the limit: read (refresh) copies the log to .1 and empties it under the running process.
    appendFileSync(log, "x".repeat(LOG_MAX_BYTES + 1));
    const read = await service.read(id, state);
    assert.equal(read.props?.pid, state.pid, "the process runs on");
    assert.ok(statSync(`${log}.1`).size > LOG_MAX_BYTES, "the big log went to .1");
    assert.match(readFileSync(`${log}.2`, "utf8"), /^run 3\n/);
    await waitFor("a tick after the trim", async () => readFileSync(log, "utf8").includes("tick"));
    // O_APPEND: the process writes at the new end, not at its old offset into a sparse file.
    assert.ok(statSync(log).size < 4096, `the log restarted small (${statSync(log).size} bytes)`);
    assert.ok(readFileSync(log, "utf8").startsWith("tick"));
    await service.delete(id, state);
    for (const f of [log, `${log}.1`, `${log}.2`]) assert.equal(existsSync(f), false, `${f} went`);
  });

  test("a process started before its pid was recorded is found by its environment: create takes it over, or stops it", async (t) => {
    if (!requireRoot(t)) return;
    const mark = markOf(p, "Service", "unrec");
    const inputs = {
      namespace: ns,
      name: "unrec",
      // A child that carries the same environment but leads no session: never taken for the service.
      command: ["sh", "-c", "sleep 600 & exec sleep 601"],
      stop: { timeoutSeconds: 1 },
      managedBy: managedBy(p, "Service", "unrec"),
    };
    const checked = (await service.checked(inputs)) as Parameters<typeof serviceConfig>[0];
    const log = serviceLogFile(ns, "unrec");
    const netnsInode = statSync(`/run/netns/${ns}`).ino;
    // What a create killed between the start and the record's rewrite leaves: the record claimed
    // (the namespace's inode, no pid), the process running.
    const killedStart = async (config: string) => {
      await serviceClaimRecord(mark, {
        netns: ns,
        name: "unrec",
        log,
        files: [],
        directories: [],
        netnsInode,
      });
      const pid = await serviceSpawn({
        netns: ns,
        command: inputs.command,
        environment: {},
        workingDirectory: "/",
        mark,
        service: serviceVariableValue(serviceRecordFile(ns, "unrec"), config),
        log,
      });
      await waitFor("it to exec", async () => processesMarked(mark).length === 2);
      return pid;
    };
    const pid = await killedStart(serviceConfig(checked, mark));
    const { id, outs } = await service.create(inputs);
    assert.equal(outs.pid, pid, "create took over the process it had started");
    assert.equal(processesMarked(mark).length, 2, "no second daemon (the leader and its child)");
    assert.equal(
      JSON.parse(readFileSync(recordPath("unrec"), "utf8").split("\n")[1]!).pid,
      pid,
      "recorded now",
    );
    await service.delete(id, outs);
    assert.deepEqual(processesMarked(mark), [], "delete stopped its group, the child too");

    // Started with another configuration (the inputs changed since): stopped, and started afresh.
    const other = await killedStart("0000000000000000");
    const again = await service.create(inputs);
    assert.notEqual(again.outs.pid, other);
    assert.equal(await alive(other), false, "the one running something else was stopped");
    await service.delete(id, again.outs);
    assert.deepEqual(processesMarked(mark), []);
  });

  test("directories: made with their owner before start, drift when removed, gone with what is in them at delete", async (t) => {
    if (!requireRoot(t)) return;
    const run = `${dir}/run-d`;
    const theirs = `${dir}/theirs-d`;
    mkdirSync(theirs);
    // The process, as nobody, writes its pid file into the directory made for it (as FRR does).
    const writer = `import os,time; open("${run}/pid","w").write(str(os.getpid())); time.sleep(60)`;
    const inputs = (directories: { path: string; mode?: number; owner?: string }[]) => ({
      namespace: ns,
      name: "dirs",
      command: ["python3", "-c", writer],
      user: "nobody",
      directories,
      files: [{ path: `${run}/app.conf`, content: "x=1\n" }],
      readiness: { command: ["test", "-s", `${run}/pid`], timeoutSeconds: 10 },
      stop: { timeoutSeconds: 1 },
      managedBy: managedBy(p, "Service", "dirs"),
    });
    const mine = { path: run, mode: 0o700, owner: "nobody" };
    await assert.rejects(
      service.create(inputs([mine, { path: theirs }])),
      /theirs-d already exists and this stack did not create it/,
    );
    assert.equal(existsSync(run), false, "refused before anything was made");
    assert.ok(statSync(theirs).isDirectory());
    assert.deepEqual(processesMarked(markOf(p, "Service", "dirs")), []);

    const { id, outs } = await service.create(inputs([mine]));
    const nobody = Number(execFileSync("id", ["-u", "nobody"], { encoding: "utf8" }));
    assert.equal(statSync(run).uid, nobody);
    assert.equal(statSync(run).mode & 0o7777, 0o700);
    assert.equal(readFileSync(`${run}/pid`, "utf8"), String(outs.pid), "the process wrote into it");
    assert.equal(readFileSync(`${run}/app.conf`, "utf8"), "x=1\n", "files go in after it is made");
    assert.deepEqual((await service.read(id, outs)).props?.directories, outs.directories);

    // Removed by hand: left out by read, so the next up makes it again and restarts the process.
    rmSync(run, { recursive: true });
    const read = await service.read(id, outs);
    assert.deepEqual(read.props?.directories, []);
    const again = await service.update(id, read.props as typeof outs, inputs([mine]));
    assert.notEqual(again.result.outs.pid, outs.pid);
    assert.equal(readFileSync(`${run}/pid`, "utf8"), String(again.result.outs.pid));

    await service.delete(id, again.result.outs);
    assert.equal(existsSync(run), false, "delete removed it with the pid file in it");
    assert.ok(statSync(theirs).isDirectory(), "and never touched the one it did not make");
    // A directory someone re-made at the path is not ours: a second delete leaves it.
    mkdirSync(run);
    await service.delete(id, again.result.outs);
    assert.ok(statSync(run).isDirectory());
  });

  test("check names the field and the rule", async (t) => {
    if (!requireRoot(t)) return;
    // Two resources claiming one (namespace, name) on one machine: the second is refused at preview.
    const first = await service.provider.check(
      {},
      { ...http("cfg", 8086), stackInstance: "5e1f7e575e1f7e57" },
    );
    assert.deepEqual(first.failures ?? [], []);
    const second = await service.provider.check(
      {},
      { ...http("cfg", 8086), managedBy: managedBy(p, "Service", "other") },
    );
    assert.deepEqual(
      (second.failures ?? []).map((f) => `${f.property}: ${f.reason}`),
      [`name: service "cfg" in namespace "${ns}" is also declared by Service cfg`],
    );
    const result = await service.provider.check(
      {},
      { ...http("cfg", 8086), command: ["bin/server"], environment: { PULUMI_NETNS_MARK: "x" } },
    );
    assert.deepEqual(
      (result.failures ?? []).map((f) => f.property).sort(),
      ["command[0]", "environment.PULUMI_NETNS_MARK"].sort(),
    );
  });
});
