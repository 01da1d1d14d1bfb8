import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { unreachableMessage } from "../../../provider/probe";
import { parseProbeSpec } from "../../../provider/schema/probe";
import { describeProbe } from "../../../provider/schema/probe";

describe("probe spec", () => {
  it("applies the defaults", () => {
    assert.deepEqual(parseProbeSpec(JSON.stringify({ from: "net0", to: "10.0.1.2" })), {
      from: "net0",
      to: "10.0.1.2",
      replies: 3,
      deadlineSeconds: 10,
    });
  });

  it("names every bad field at once", () => {
    assert.throws(
      () => parseProbeSpec(JSON.stringify({ from: "a b", to: "10.0.1.2/24", port: 0, extra: 1 })),
      (e: Error) => {
        assert.match(e.message, /^invalid probe: /);
        assert.match(e.message, /from: namespace names cannot contain whitespace/);
        assert.match(e.message, /to: a probe target is one address, without a prefix length/);
        assert.match(e.message, /port: a TCP port is 1-65535; got 0/);
        assert.match(e.message, /extra/);
        return true;
      },
    );
    assert.throws(() => parseProbeSpec(undefined), /PULUMI_NETNS_PROBE is not set/);
    assert.throws(() => parseProbeSpec("{"), /PULUMI_NETNS_PROBE is not JSON/);
    assert.throws(
      () => parseProbeSpec(JSON.stringify({ from: "n", to: "host.example" })),
      /not an IPv4 address/,
    );
  });

  it("describes itself the way up prints it", () => {
    assert.equal(describeProbe({ from: "net0", to: "10.0.1.2" }), "ping 10.0.1.2 from namespace net0");
    assert.equal(
      describeProbe({ from: "net0", to: "fd00::2", port: 5201 }),
      "tcp [fd00::2]:5201 from namespace net0",
    );
  });

  it("a failure names the source, the target and what was seen", () => {
    const spec = parseProbeSpec(JSON.stringify({ from: "net0", to: "10.0.1.2", deadlineSeconds: 2 }));
    const message = unreachableMessage(spec, {
      reached: false,
      seen: "10 packets transmitted, 0 received, 100% packet loss",
      command: "ip netns exec net0 ping -n -c 3 -w 2 -i 0.2 10.0.1.2",
    });
    assert.match(message, /namespace net0 did not get 3 echo replies from 10\.0\.1\.2 within 2 s/);
    assert.match(message, /Seen: 10 packets transmitted, 0 received, 100% packet loss/);
    assert.match(message, /pulumi refresh/);
  });
});
