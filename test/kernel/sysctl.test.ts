import assert from "node:assert/strict";
import { it } from "node:test";
import { NotFoundError } from "../../provider/kernel/errors";
import { sysctlRead, sysctlWrite } from "../../provider/kernel/sysctl";
import { kernelSuite } from "../helpers/kernelSandbox";

kernelSuite("sysctl (real kernel)", (sb) => {
  it("write then read several keys inside a namespace; the host is untouched", async () => {
    const n = await sb.netns("s");
    const host = await sysctlRead(undefined, ["net.ipv4.ip_forward"]);
    const want = {
      "net.ipv4.ip_forward": host["net.ipv4.ip_forward"] === "1" ? "0" : "1",
      "net.ipv6.conf.all.forwarding": "1",
      "net.ipv4.ip_local_port_range": "20000 30000",
    };
    await sysctlWrite(n, want);
    assert.deepEqual(await sysctlRead(n, Object.keys(want)), want);
    assert.deepEqual(await sysctlRead(undefined, ["net.ipv4.ip_forward"]), host);
  });

  it("slash-separated keys reach devices whose names contain dots", async () => {
    const n = await sb.netns("d");
    assert.deepEqual(await sysctlRead(n, ["net/ipv4/conf/lo/forwarding"]), {
      "net/ipv4/conf/lo/forwarding": "0",
    });
  });

  it("a missing key is NotFoundError(sysctl)", async () => {
    const n = await sb.netns("m");
    await assert.rejects(sysctlRead(n, ["net.ipv4.no_such_key"]), (e: unknown) => {
      return e instanceof NotFoundError && e.missing === "sysctl";
    });
    await assert.rejects(sysctlWrite(n, { "net.ipv4.no_such_key": "1" }), NotFoundError);
  });
});
