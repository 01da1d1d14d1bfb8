// A cable with a speed limit: hosts `left` (10.40.0.1) and `right` (10.40.0.2), each in its own
// namespace, joined by one veth pair whose `left` end sends at most `rateMbit` Mbit/s (a token
// bucket filter, `tc qdisc ... tbf`, on that end). The other direction runs at veth speed unless
// `symmetric` limits it too.
import * as pulumi from "@pulumi/pulumi";
import * as netns from "pulumi-netns";

const config = new pulumi.Config();
// Prefixed namespace names let several copies run side by side (the tests use this).
const prefix = config.get("namespacePrefix") ?? "";
const rateMbit = config.getNumber("rateMbit") ?? 10;
const symmetric = config.getBoolean("symmetric") ?? false;

// The limit in bit/s; burst (10 ms of the rate, at least 15140 bytes) and queue (50 ms) are the
// defaults. `burstBytes`, `latencyMs` or `limitBytes` set them.
const limit = { bitsPerSecond: rateMbit * 1_000_000 };

const left = new netns.Namespace("left", { name: `${prefix}left` });
const right = new netns.Namespace("right", { name: `${prefix}right` });
const cable = new netns.VethPair("cable", {
  a: { name: "eth0", namespace: left.name, addresses: ["10.40.0.1/24"], rate: limit },
  b: {
    name: "eth0",
    namespace: right.name,
    addresses: ["10.40.0.2/24"],
    ...(symmetric ? { rate: limit } : {}),
  },
});

// Verify after apply: `up` fails unless left reaches right through the limited end.
const probe = new netns.Probe(
  "left-reaches-right",
  { from: left.name, to: "10.40.0.2", triggers: [cable.a] },
  { dependsOn: [cable] },
);

export const namespaces = [left.name, right.name];
/** The limit on left's end as the kernel has it: bits per second, bucket and queue in bytes. */
export const leftRate = cable.a.rate;
/** The limit on right's end: "none" unless `symmetric`. */
export const rightRate = cable.b.apply((b) => b.rate ?? "none");
export const reachability = probe.seen;
