import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NotFoundError } from "../../../provider/kernel/errors";
import { parseSysctlValues, sysctlRead, sysctlWrite } from "../../../provider/kernel/sysctl";
import { scriptedIp } from "../../helpers/kernelRunner";

describe("sysctl", () => {
  it("reads several keys in one process inside the namespace", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: "1\n32768\t60999\n" }]);
    const keys = ["net.ipv4.ip_forward", "net.ipv4.ip_local_port_range"];
    assert.deepEqual(await sysctlRead("n", keys, ip), {
      "net.ipv4.ip_forward": "1",
      "net.ipv4.ip_local_port_range": "32768 60999",
    });
    assert.deepEqual(scripted.argvs, [["ip", "netns", "exec", "n", "sysctl", "-n", "--", ...keys]]);
  });

  it("host namespace: sysctl directly, without ip netns exec", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: "0\n" }]);
    await sysctlRead(undefined, ["net.ipv4.ip_forward"], ip);
    assert.deepEqual(scripted.argvs, [["sysctl", "-n", "--", "net.ipv4.ip_forward"]]);
  });

  it("writes all values in one process, each as one argv element", async () => {
    const { ip, scripted } = scriptedIp();
    await sysctlWrite("n", { "net.ipv4.ip_forward": "1", "net.ipv4.ip_local_port_range": "20000 30000" }, ip);
    assert.deepEqual(scripted.argvs, [
      [
        "ip",
        ...["netns", "exec", "n", "sysctl", "-q", "-w", "--"],
        "net.ipv4.ip_forward=1",
        "net.ipv4.ip_local_port_range=20000 30000",
      ],
    ]);
  });

  it("nothing to do runs nothing", async () => {
    const { ip, scripted } = scriptedIp();
    assert.deepEqual(await sysctlRead("n", [], ip), {});
    await sysctlWrite("n", {}, ip);
    assert.equal(scripted.calls.length, 0);
  });

  it("refuses non-net keys, '=' and blanks, and control characters in values", async () => {
    const { ip, scripted } = scriptedIp();
    for (const k of ["kernel.panic", "net", "net.a=b", "net.a b", "-w", "net.ipv4/../../x", "netfoo.x"]) {
      await assert.rejects(sysctlRead("n", [k], ip), /invalid sysctl key/);
    }
    await assert.rejects(sysctlWrite("n", { "net.ipv4.ip_forward": "1\nx" }, ip), /invalid value/);
    assert.equal(scripted.calls.length, 0);
  });

  it("a missing key is NotFoundError", async () => {
    const stderr = "sysctl: cannot stat /proc/sys/net/nope: No such file or directory\n";
    const { ip } = scriptedIp([{ exitCode: 1, stderr }]);
    await assert.rejects(sysctlRead("n", ["net.nope"], ip), (e: unknown) => {
      return e instanceof NotFoundError && e.missing === "sysctl";
    });
  });

  it("refuses output that does not line up with the keys", () => {
    assert.throws(() => parseSysctlValues(["net.a", "net.b"], "1\n"), /2 keys/);
  });
});
