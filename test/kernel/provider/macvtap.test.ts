import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { uniquePrefix } from "../../helpers/names";
import { ip, ipJson, linkOf, removeByPrefix } from "../../helpers/readback";
import { isRoot, requireRoot } from "../../helpers/root";
import { driver, managedBy } from "./harness";

const p = uniquePrefix();
const macvtap = driver("Macvtap");
const [hub, vm] = [`${p}-hub`, `${p}-vm`];

/**
 * Opens the node read-write as `uid` (no capabilities, no supplementary groups: the interpreter
 * starts as root and drops, as test/fixtures/open-tap.py does) inside the VM's namespace, as QEMU
 * would before `-netdev tap,fd=N`; what the attempt printed.
 */
function openAs(uid: number, node: string): string {
  const script = [
    "import os, sys",
    "os.setgroups([]); os.setgid(int(sys.argv[2])); os.setuid(int(sys.argv[2]))",
    "try:",
    "    os.close(os.open(sys.argv[1], os.O_RDWR)); print('opened')",
    "except OSError as e:",
    "    print('refused', e.strerror)",
  ].join("\n");
  const r = spawnSync("ip", ["netns", "exec", vm, "python3", "-c", script, node, `${uid}`], {
    encoding: "utf8",
  });
  return r.stdout + r.stderr;
}

describe("Macvtap provider against the kernel", { concurrency: false }, () => {
  let dir = "";
  before(() => {
    if (!isRoot()) return;
    removeByPrefix(p);
    for (const n of [hub, vm]) ip(["netns", "add", n]);
    ip(["-n", hub, "link", "add", "name", "up0", "type", "veth", "peer", "name", "up1"]);
    dir = mkdtempSync(path.join(os.tmpdir(), `${p}-dev-`));
    chmodSync(dir, 0o755);
  });
  after(() => {
    removeByPrefix(p);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("its character device: numbers from sysfs, a node only its owner may open; mode updates", async (t) => {
    if (!requireRoot(t)) return;
    const inputs = {
      name: "mt0",
      namespace: vm,
      parent: "up0",
      parentNamespace: hub,
      mode: "bridge",
      managedBy: managedBy(p, "Macvtap", "mt0"),
    };
    const { id, outs } = await macvtap.create(inputs);
    const shown = linkOf(vm, "mt0");
    assert.equal((shown.linkinfo as { info_kind: string }).info_kind, "macvtap");
    const ifindex = shown.ifindex as number;
    const sysfs = spawnSync(
      "ip",
      ["netns", "exec", vm, "cat", `/sys/class/net/mt0/macvtap/tap${ifindex}/dev`],
      {
        encoding: "utf8",
      },
    ).stdout.trim();
    assert.equal(`${outs.deviceMajor}:${outs.deviceMinor}`, sysfs);
    assert.equal(outs.devicePath, `/dev/tap${ifindex}`);
    assert.match(
      spawnSync("grep", ["-w", "macvtap", "/proc/devices"], { encoding: "utf8" }).stdout,
      new RegExp(`^${outs.deviceMajor} macvtap$`, "m"),
      "the kernel's macvtap major",
    );

    // No udev here: make the node as a user would, owned by uid 1000, mode 0600.
    const node = path.join(dir, `tap${ifindex}`);
    const mknod = spawnSync("mknod", ["-m", "0600", node, "c", `${outs.deviceMajor}`, `${outs.deviceMinor}`]);
    assert.equal(mknod.status, 0, String(mknod.stderr));
    chownSync(node, 1000, 1000);
    assert.match(openAs(1000, node), /^opened/);
    assert.match(openAs(1001, node), /^refused Permission denied/);

    const { diff, result } = await macvtap.update(id, outs, { ...inputs, mode: "vepa" });
    assert.deepEqual([diff.changes, diff.replaces], [true, []]);
    assert.equal(result.outs.mode, "vepa");
    assert.equal(result.outs.deviceMinor, outs.deviceMinor, "the same device");

    const read = await macvtap.read(id, result.outs);
    assert.deepEqual(read.props, result.outs, "read gives the same outputs, the device numbers included");

    await macvtap.delete(id, result.outs);
    assert.equal(ipJson(["-n", vm, "link", "show", "type", "macvtap"]).length, 0);
    assert.match(openAs(1000, node), /^refused No such device/, "the node leads nowhere once it is gone");
    await macvtap.delete(id, result.outs);
  });
});
