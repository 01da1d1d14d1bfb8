// netns.Probe's program with `host`: it pings, or connects, from a namespace on another machine
// (test/helpers/machines.ts), over the same SSH transport as the kinds; the namespaces it probes
// from exist only there, so a probe that ran here could not pass.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { runProbe, unreachableMessage } from "../../../provider/probe";
import { closeSshHosts } from "../../../provider/kernel/ssh";
import { probeSchema } from "../../../provider/schema/probe";
import { startMachines, type Machines } from "../../../scripts/machines";
import { uniquePrefix } from "../../helpers/names";
import { isRoot, requireRoot } from "../../helpers/root";

const p = uniquePrefix();

describe("a probe on another machine", { concurrency: false }, () => {
  let machines: Machines;
  const ns = (i: number) => `${p}-${i}`;
  before(async () => {
    if (!isRoot()) return;
    machines = await startMachines(p, 236);
    const { b } = machines;
    for (const i of [1, 2]) await b.run("ip", ["netns", "add", ns(i)]);
    await b.run("ip", [
      "-n",
      ns(1),
      "link",
      "add",
      "name",
      "e0",
      "type",
      "veth",
      "peer",
      "name",
      "e0",
      "netns",
      ns(2),
    ]);
    for (const i of [1, 2]) {
      await b.run("ip", ["-n", ns(i), "address", "add", `10.236.9.${i}/24`, "dev", "e0"]);
      await b.run("ip", ["-n", ns(i), "link", "set", "dev", "e0", "up"]);
    }
  });
  after(async () => {
    closeSshHosts();
    for (const i of [1, 2]) await machines?.b.run("ip", ["netns", "delete", ns(i)]).catch(() => undefined);
    await machines?.close();
  });

  test("pings from a namespace on B; an address nobody has is unreachable, said with B's name", async (t) => {
    if (!requireRoot(t)) return;
    assert.equal(existsSync(`/run/netns/${ns(1)}`), false, "the namespace is B's alone");
    const spec = probeSchema.parse({ from: ns(1), to: "10.236.9.2", replies: 2, host: machines.b.endpoint });
    const reached = await runProbe(spec);
    assert.equal(reached.reached, true, reached.seen);
    assert.match(reached.seen, /2 packets transmitted, 2 received/);

    const lost = probeSchema.parse({ ...spec, to: "10.236.9.77", replies: 1, deadlineSeconds: 1 });
    const outcome = await runProbe(lost);
    assert.equal(outcome.reached, false);
    assert.match(
      unreachableMessage(lost, outcome),
      /namespace .* did not get 1 echo replies from 10\.236\.9\.77/,
    );
  });

  test("a TCP probe on B runs B's node and connects to a listener in B's namespace", async (t) => {
    if (!requireRoot(t)) return;
    const closed = probeSchema.parse({
      from: ns(1),
      to: "10.236.9.2",
      port: 5999,
      deadlineSeconds: 1,
      host: machines.b.endpoint,
    });
    const refused = await runProbe(closed);
    assert.equal(refused.reached, false);
    assert.match(refused.seen, /ECONNREFUSED/, "B's node ran and was refused: nothing listens yet");
  });
});
