import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KernelCommandError, NotFoundError } from "../../../provider/kernel/errors";
import {
  COARSEST_HZ,
  parsePschedHz,
  parseRootQdisc,
  qdiscBatchWithReadBack,
  qdiscDeleteRoot,
  qdiscReplaceTbf,
} from "../../../provider/kernel/qdisc";
import { scriptedIp } from "../../helpers/kernelRunner";

const tbf = { bitsPerSecond: 10_000_000, burstBytes: 15140, limitBytes: 77640 };

describe("qdisc lines", () => {
  it("replace: the rate in bit, burst and limit in bytes, the device after `dev` (a keyword name works)", () => {
    assert.deepEqual(qdiscReplaceTbf("root", tbf), [
      ...["qdisc", "replace", "dev", "root", "root", "tbf"],
      ...["rate", "10000000bit", "burst", "15140", "limit", "77640"],
    ]);
  });

  it("one tc -batch in the namespace: the lines, then a show per device, parsed", async () => {
    const shown = `[{"kind":"tbf","handle":"8001:","root":true,"options":{"rate":1250000,"burst":15140,"burst_raw":"1","lat":50000,"limit":77640}}]\n`;
    const { ip, scripted } = scriptedIp([{ stdout: shown }]);
    const found = await qdiscBatchWithReadBack("n", [qdiscReplaceTbf("eth0", tbf)], ["eth0"], ip);
    assert.deepEqual(
      scripted.calls.map((c) => [c.argv, c.input]),
      [
        [
          ["tc", "-j", "-raw", "-n", "n", "-batch", "-"],
          "qdisc replace dev eth0 root tbf rate 10000000bit burst 15140 limit 77640\nqdisc show dev eth0\n",
        ],
      ],
    );
    assert.deepEqual(found, [{ kind: "tbf", tbf }]);
  });

  it("a refused line: the error quotes it, what tc said, and points at tc(8)", async () => {
    const refused = { exitCode: 1, stderr: 'tbf: the "burst" parameter is mandatory.\nCommand failed -:1\n' };
    const { ip } = scriptedIp([refused]);
    await assert.rejects(
      qdiscBatchWithReadBack("n", [qdiscReplaceTbf("eth0", { ...tbf, burstBytes: 0 })], ["eth0"], ip),
      (e: unknown) => {
        assert.ok(e instanceof KernelCommandError);
        assert.match(
          e.message,
          /at batch line 1 \(qdisc replace dev eth0 root tbf rate 10000000bit burst 0 limit 77640\)/,
        );
        assert.match(e.message, /the "burst" parameter is mandatory/);
        assert.match(e.hint, /tc\(8\)/);
        return true;
      },
    );
  });

  it("delete: a device that has only the default qdisc is success; a missing device is not", async () => {
    const zero = { exitCode: 2, stderr: "Error: Cannot delete qdisc with handle of zero.\n" };
    const { ip, scripted } = scriptedIp([zero, { exitCode: 1, stderr: 'Cannot find device "x"\n' }]);
    await qdiscDeleteRoot(undefined, "eth0", ip);
    assert.deepEqual(scripted.argvs[0], ["tc", "qdisc", "del", "dev", "eth0", "root"]);
    await assert.rejects(
      qdiscDeleteRoot("n", "x", ip),
      (e) => e instanceof NotFoundError && e.missing === "device",
    );
  });
});

describe("parseRootQdisc", () => {
  it("the root entry only: ingress and children are not the device's egress discipline", () => {
    const json = [
      { kind: "ingress", handle: "ffff:", parent: "ffff:fff1", options: {} },
      { kind: "noqueue", handle: "0:", root: true, refcnt: 2, options: {} },
    ];
    assert.deepEqual(parseRootQdisc(json), { kind: "noqueue" });
  });

  it("no qdisc at all (a device that is down): undefined", () => {
    assert.equal(parseRootQdisc([]), undefined);
  });

  it("a tbf without its limit (tc run without -raw) is an error, not a guess", () => {
    assert.throws(
      () => parseRootQdisc([{ kind: "tbf", root: true, options: { rate: 1, burst: 1, lat: 1 } }]),
      /without rate\/burst\/limit/,
    );
  });
});

describe("parsePschedHz", () => {
  it("high-resolution timers: HZ is 1e9, as tc's get_hz reads it", () => {
    assert.equal(parsePschedHz("000003e8 00000040 000f4240 3b9aca00\n"), 1e9);
  });

  it("a low-resolution kernel says its HZ in the fourth field", () => {
    assert.equal(parsePschedHz("000003e8 00000040 000f4240 000000fa\n"), 250);
  });

  it("anything else: the coarsest timer Linux has", () => {
    assert.equal(parsePschedHz("garbage"), COARSEST_HZ);
    assert.equal(parsePschedHz("000003e8 00000040 3b9aca00 3b9aca00"), COARSEST_HZ);
  });
});
