// A Service on another machine over SSH (scripts/machines.ts): started there by a constant sh
// script, proven there (its /proc, its namespace's inode), its directory, files, log and record
// there only.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { closeSshHosts } from "../../../provider/kernel/ssh";
import { SERVICE_RECORD_DIR, serviceLogFile, serviceRecordFile } from "../../../provider/kernel/service";
import { startMachines, type Machine, type Machines } from "../../../scripts/machines";
import { uniquePrefix } from "../../helpers/names";
import { killQuietly, processesMarked } from "../../helpers/processes";
import { isRoot, requireRoot } from "../../helpers/root";
import { driver, managedBy, markOf } from "./harness";

const p = uniquePrefix();
const service = driver("Service");
const ns = `${p}-r`;
const home = `/run/${p}-svc`;
const conf = `${home}/index.html`;

const exists = async (m: Machine, path: string) =>
  (await m.run("sh", ["-c", 'test -e "$1" && echo yes || echo no', "sh", path])).trim() === "yes";
/** Whether `pid` on the machine is a live process (not a zombie). */
const runningOn = async (m: Machine, pid: number) =>
  (await m.run("sh", ["-c", "cat /proc/$1/stat 2>/dev/null || :", "sh", String(pid)]))
    .replace(/^.*\) /s, "")
    .startsWith("S");

describe("a Service on another machine over SSH", { concurrency: false }, () => {
  let machines: Machines;
  let host: Record<string, unknown>;
  before(async () => {
    if (!isRoot()) return;
    machines = await startMachines(p);
    host = { ...machines.b.endpoint };
    await machines.b.run("ip", ["netns", "add", ns]);
    await machines.b.run("ip", ["-n", ns, "link", "set", "lo", "up"]);
  });
  after(async () => {
    // A service lives in a namespace of B's, which outlives B's own processes: end it first.
    for (const pid of processesMarked((m) => m.includes(`/pnt/${p}/`))) killQuietly(-pid);
    closeSshHosts();
    await machines?.close();
  });

  test("create, a killed daemon found gone and started again, a daemon never ready, delete: all on B", async (t) => {
    if (!requireRoot(t)) return;
    const { a, b } = machines;
    const inputs = {
      namespace: ns,
      name: "web",
      host,
      command: ["python3", "-m", "http.server", "8090", "--bind", "127.0.0.1"],
      workingDirectory: home,
      directories: [{ path: home, mode: 0o750 }],
      files: [{ path: conf, content: "served on B\n" }],
      readiness: { tcpPort: 8090, timeoutSeconds: 10 },
      managedBy: managedBy(p, "Service", "web"),
    };
    const { id, outs } = await service.create(inputs);
    const page = await b.run("ip", [
      "netns",
      "exec",
      ns,
      "python3",
      "-c",
      'import urllib.request,sys; sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:8090/index.html").read().decode())',
    ]);
    assert.equal(page.trim(), "served on B");
    const environ = await b.run("cat", [`/proc/${outs.pid}/environ`]);
    assert.ok(environ.split("\0").includes(`PULUMI_NETNS_MARK=${markOf(p, "Service", "web")}`));
    const record = `${SERVICE_RECORD_DIR}/${serviceRecordFile(ns, "web")}`;
    assert.equal(await exists(b, record), true, "the record is on B");
    assert.equal(await exists(b, outs.logFile), true, "the log is on B");
    assert.equal(await b.run("stat", ["-c", "%a", home]), "750", "its directory was made on B");
    assert.equal(await exists(a, record), false, "machine A has none");
    assert.equal(existsSync(record) || existsSync(conf), false, "this machine has none");

    await b.run("kill", ["-KILL", String(outs.pid)]);
    for (let i = 0; i < 50 && (await runningOn(b, outs.pid)); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await service.read(id, outs), {}, "a killed daemon is gone");
    const again = await service.create(inputs);
    assert.notEqual(again.outs.pid, outs.pid);
    assert.equal(await exists(b, `${outs.logFile}.1`), true, "the killed run's log was kept as .1");

    // A record that does not name the pid yet (a create killed between the start and the record's
    // rewrite): the next create finds the process on B by its environment and takes it over.
    await b.run("sh", ["-c", `sed -i '2s/"pid":[0-9]*,"startTime":"[0-9]*",//' "$1"`, "sh", record]);
    assert.doesNotMatch(await b.run("cat", [record]), /"pid"/);
    const adopted = await service.create(inputs);
    assert.equal(adopted.outs.pid, again.outs.pid, "the same process, found on B by the scan");
    assert.match(await b.run("cat", [record]), new RegExp(`"pid":${again.outs.pid},`), "and recorded");

    const late = {
      ...inputs,
      name: "late",
      command: ["python3", "-c", "import time; print('never ready on B', flush=True); time.sleep(60)"],
      directories: [],
      files: [],
      readiness: { tcpPort: 8091, timeoutSeconds: 1 },
      managedBy: managedBy(p, "Service", "late"),
    };
    await assert.rejects(service.create(late), /not ready within 1 s[\s\S]*never ready on B/);
    assert.equal(await exists(b, serviceLogFile(ns, "late")), false, "its log went");
    assert.equal(await exists(b, `${SERVICE_RECORD_DIR}/${serviceRecordFile(ns, "late")}`), false);

    await service.delete(id, again.outs);
    assert.equal(await runningOn(b, again.outs.pid), false, "stopped");
    for (const path of [conf, home, again.outs.logFile, `${again.outs.logFile}.1`, record]) {
      assert.equal(await exists(b, path), false, path);
    }
    await service.delete(id, again.outs);
  });
});
