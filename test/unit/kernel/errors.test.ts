import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  classifyKernelFailure,
  formatArgv,
  KernelCommandError,
  NotFoundError,
  PermissionError,
} from "../../../provider/kernel/errors";

const fail = (stderr: string, argv: string[] = ["ip", "link", "set", "dev", "x", "up"], exitCode = 1) =>
  classifyKernelFailure({ argv, exitCode, stderr });

describe("classifyKernelFailure", () => {
  const notFound: [string, string][] = [
    ['Cannot find device "nope"\n', "device"],
    ['Device "br2" does not exist.\n', "device"],
    ['Error: argument "nope" is wrong: Device does not exist\n', "device"],
    ['Cannot open network namespace "x": No such file or directory\n', "netns"],
    ['Cannot remove namespace file "/run/netns/x": No such file or directory\n', "netns"],
    ['Error: argument "x" is wrong: Invalid "netns" value\n', "netns"],
    ["Error: ipv4: Address not found.\n", "address"],
    ["sysctl: cannot stat /proc/sys/net/nope: No such file or directory\n", "sysctl"],
    ["open: ENOENT\n", "file"],
  ];
  for (const [stderr, missing] of notFound) {
    it(`NotFoundError(${missing}) for ${JSON.stringify(stderr.trim())}`, () => {
      const e = fail(stderr);
      assert.ok(e instanceof NotFoundError);
      assert.ok(e instanceof KernelCommandError);
      assert.equal(e.missing, missing);
    });
  }

  for (const stderr of [
    "RTNETLINK answers: Operation not permitted\n",
    'mount --make-shared /run/netns failed: Operation not permitted\nCannot create namespace file "/run/netns/a": Permission denied\n',
    "EPERM\n",
  ]) {
    it(`PermissionError for ${JSON.stringify(stderr.trim().slice(0, 40))}`, () => {
      const e = fail(stderr);
      assert.ok(e instanceof PermissionError);
      assert.match(
        e.message,
        /^pulumi-netns needs root or CAP_NET_ADMIN \(and CAP_SYS_ADMIN for namespaces\): ip link set/,
      );
    });
  }

  it("a message that reads on its own: argv, exit code, output, hint", () => {
    const e = fail("RTNETLINK answers: File exists\n", ["ip", "-n", "net0", "link", "add", "name", "a"], 2);
    assert.equal(e.constructor, KernelCommandError);
    assert.deepEqual(e.argv, ["ip", "-n", "net0", "link", "add", "name", "a"]);
    assert.equal(e.exitCode, 2);
    assert.equal(e.stderr, "RTNETLINK answers: File exists\n");
    assert.match(e.hint, /already exists/);
    assert.equal(
      e.message,
      `ip -n net0 link add name a failed (exit 2): RTNETLINK answers: File exists. ${e.hint}`,
    );
  });

  it("VLAN filtering refused: the hint names CONFIG_BRIDGE_VLAN_FILTERING, not a missing module", () => {
    const argv = ["ip", "link", "add", "name", "b", "type", "bridge", "vlan_filtering", "1"];
    const e = fail("RTNETLINK answers: Operation not supported\n", argv, 2);
    assert.match(e.hint, /CONFIG_BRIDGE_VLAN_FILTERING/);
  });

  it("unknown link type: suggests loading the module", () => {
    const e = fail("Error: Unknown device type.\n", ["ip", "link", "add", "name", "v", "type", "vxlan"], 2);
    assert.match(e.hint, /modprobe vxlan/);
  });

  it("a read-only sysctl is not a privilege problem", () => {
    const e = fail("sysctl: permission denied on key 'net.core.somaxconn'\n", ["sysctl", "-w", "k=v"]);
    assert.ok(!(e instanceof PermissionError));
    assert.match(e.hint, /read-only/);
  });

  it("names the failing batch line and drops ip's 'Command failed' line", () => {
    const e = classifyKernelFailure({
      argv: ["ip", "-n", "a", "-batch", "-"],
      exitCode: 1,
      stderr: 'Cannot find device "nope"\nCommand failed -:2\n',
      batchLine: { number: 2, args: ["link", "set", "dev", "nope", "up"] },
    });
    assert.ok(e instanceof NotFoundError);
    assert.match(
      e.message,
      /^ip -n a -batch - failed at batch line 2 \(link set dev nope up\) \(exit 1\): Cannot find device "nope"\. /,
    );
  });

  it("quotes arguments that would be ambiguous in a message", () => {
    assert.equal(
      formatArgv(["ip", "link", "set", "dev", "a b", "alias", 'x"y', ""]),
      'ip link set dev "a b" alias "x\\"y" ""',
    );
  });
});
