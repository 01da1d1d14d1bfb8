// `pulumi-netns ls` and `gc` with services: a service the state holds, an orphan one (running, its
// resource not in the state), one whose process died, and a record of the stack's mark that names
// someone else's process (a `sleep` outside the namespace). gc stops only the proven orphan, and
// never signals the sleeper.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { gc } from "../../cli/gc";
import { ls, type Sources } from "../../cli/ls";
import type { ProjectStates } from "../../cli/stacks";
import { RESOURCE_TYPE_PREFIX, stackView } from "../../cli/stackView";
import { takeInventory } from "../../provider/kernel/inventory";
import {
  processFacts,
  SERVICE_RECORD_DIR,
  serviceLogFile,
  serviceRecordFile,
  serviceWriteRecord,
} from "../../provider/kernel/service";
import { uniquePrefix } from "../helpers/names";
import { ip, removeByPrefix } from "../helpers/readback";
import { isRoot, requireRoot } from "../helpers/root";
import { driver } from "./provider/harness";

const p = uniquePrefix();
const ns = `${p}-g`;
const dir = `/tmp/${p}`;
const stack = `${p}a`;
const instance = randomBytes(8).toString("hex");
const managedBy = (name: string) => `pnt/${stack}/Service/${name}`;
const mark = (name: string) => `${instance}/${managedBy(name)}`;
const service = driver("Service");
const NAMES = ["kept", "orphan", "dead", "alien"];

const running = async (pid: number) => (await processFacts(pid)).state === "running";

function exported(outputs: Record<string, unknown>[]) {
  const resource = (kind: string, o: Record<string, unknown>) => ({
    type: `${RESOURCE_TYPE_PREFIX}${kind}`,
    custom: true,
    outputs: o,
  });
  return {
    version: 3,
    deployment: {
      resources: [resource("StackInstance", { instance }), ...outputs.map((o) => resource("Service", o))],
    },
  };
}

const sleeper = spawn("sleep", ["600"], { stdio: "ignore", detached: true });

describe("ls and gc with services", { concurrency: false }, () => {
  const outs: Record<string, Record<string, unknown> & { pid: number; logFile: string }> = {};
  let states: ProjectStates;
  const sources: Sources = { readStates: async () => states, takeInventory: () => takeInventory() };

  before(async () => {
    if (!isRoot()) return;
    removeByPrefix(p);
    ip(["netns", "add", ns]);
    ip(["-n", ns, "link", "set", "lo", "up"]);
    for (const [i, name] of ["kept", "orphan", "dead"].entries()) {
      const made = await service.create({
        namespace: ns,
        name,
        command: ["sleep", "600"],
        files: [{ path: `${dir}/${name}.conf`, content: `${name}\n` }],
        managedBy: managedBy(name),
        stackInstance: instance,
        stop: { timeoutSeconds: 1 + i },
      });
      outs[name] = made.outs as (typeof outs)[string];
    }
    process.kill(outs.dead!.pid, "SIGKILL");
    const facts = await processFacts(sleeper.pid!);
    await serviceWriteRecord(mark("alien"), {
      netns: ns,
      name: "alien",
      pid: sleeper.pid!,
      startTime: facts.startTime,
      netnsInode: statSync(`/run/netns/${ns}`).ino,
      log: serviceLogFile(ns, "alien"),
      files: [],
      directories: [],
    });
    states = {
      project: "pnt",
      dir: "/",
      error: undefined,
      stacks: [{ name: stack, view: stackView(stack, "pnt", exported([outs.kept!])), error: undefined }],
    };
  });
  after(async () => {
    if (!isRoot()) return;
    for (const o of Object.values(outs)) if (await running(o.pid)) process.kill(-o.pid, "SIGKILL");
    sleeper.kill("SIGKILL");
    for (const name of NAMES) {
      rmSync(`${SERVICE_RECORD_DIR}/${serviceRecordFile(ns, name)}`, { force: true });
      rmSync(serviceLogFile(ns, name), { force: true });
    }
    removeByPrefix(p);
    rmSync(dir, { recursive: true, force: true });
  });

  test("ls tells the state's process, the orphan, and the records whose process is not ours", async (t) => {
    if (!requireRoot(t)) return;
    const result = await ls({ stack: undefined, json: true, cwd: "/" }, sources);
    const report = JSON.parse(result.stdout) as {
      groups: { objects: { description: string; status: string }[] }[];
    };
    const objects = report.groups
      .flatMap((g) => g.objects)
      .filter(
        (o) =>
          o.description.includes(ns) || NAMES.some((n) => o.description.includes(serviceRecordFile(ns, n))),
      )
      .map((o) => `${o.status} ${o.description}`)
      .sort();
    const record = (name: string) =>
      `${SERVICE_RECORD_DIR}/${serviceRecordFile(ns, name)} (the process of service ${name} in namespace ${ns} is not running)`;
    assert.deepEqual(
      objects,
      [
        `in state process ${outs.kept!.pid} (service kept in namespace ${ns})`,
        `orphan process ${outs.orphan!.pid} (service orphan in namespace ${ns})`,
        `orphan record ${record("alien")}`,
        `orphan record ${record("dead")}`,
      ].sort(),
    );
  });

  test("gc stops the proven orphan, removes the stale records' leftovers, never signals the sleeper", async (t) => {
    if (!requireRoot(t)) return;
    const result = await gc({ stack, instances: [], dryRun: false, json: true, cwd: "/" }, sources);
    assert.equal(result.exitCode, 0, result.stdout);
    assert.equal(await running(outs.orphan!.pid), false, "the orphan was stopped");
    assert.equal(await running(outs.kept!.pid), true, "the state's service runs");
    assert.equal(await running(sleeper.pid!), true, "the sleeper was never signalled");
    for (const name of ["orphan", "dead", "alien"]) {
      assert.equal(
        existsSync(`${SERVICE_RECORD_DIR}/${serviceRecordFile(ns, name)}`),
        false,
        `${name}'s record`,
      );
      assert.equal(existsSync(serviceLogFile(ns, name)), false, `${name}'s log`);
    }
    assert.equal(existsSync(`${dir}/orphan.conf`), false);
    assert.equal(existsSync(`${dir}/dead.conf`), false);
    assert.equal(readFileSync(`${dir}/kept.conf`, "utf8"), "kept\n");
    await service.delete("x", outs.kept!);
    assert.equal(await running(outs.kept!.pid), false);
  });
});
