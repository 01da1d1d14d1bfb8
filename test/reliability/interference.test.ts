// Someone else changes the kernel: between runs (a namespace or link deleted, an MTU changed, a
// port detached) `refresh` + `up` repairs it; during an `up` (the hub namespace deleted while
// veths are being added) the `up` fails clearly or completes, and the next one repairs it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, describe, test } from "node:test";
import { inlineStack } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import { ip, ipJson, linkOf } from "../helpers/readback";
import { assertNoLeaks, failureOf, figure, leftovers, pingEventually, sleep } from "../helpers/reliability";
import { isRoot, requireRoot } from "../helpers/root";
import { hostAddress, starProgram } from "./star";

const p = uniquePrefix();
const q = uniquePrefix();

function hubPorts(prefix: string): number {
  try {
    const out = execFileSync("ip", ["-n", `${prefix}hub`, "-o", "link", "show"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return out.split("\n").filter((l) => /^\d+: h\d+@/.test(l)).length;
  } catch {
    return 0;
  }
}

describe("interference", { concurrency: false }, () => {
  after(() => {
    if (isRoot()) assertNoLeaks(p, q);
  });

  test("between runs: deleted namespace and link, changed MTU, detached port are repaired", async (t) => {
    if (!requireRoot(t)) return;
    const ts = await inlineStack({ stackName: `${p}-between`, program: starProgram(p, 4, 1500) });
    try {
      await ts.stack.up({ onOutput: () => undefined });
      ip(["netns", "delete", `${p}h1`]);
      ip(["-n", `${p}hub`, "link", "delete", "dev", "h2"]);
      ip(["-n", `${p}h3`, "link", "set", "dev", "eth0", "mtu", "1400"]);
      ip(["-n", `${p}hub`, "link", "set", "dev", "h4", "nomaster"]);
      await ts.stack.refresh({ onOutput: () => undefined });
      const up = await ts.stack.up({ onOutput: () => undefined });
      assert.equal(up.summary.result, "succeeded");
      assert.equal(linkOf(`${p}h3`, "eth0").mtu, 1500, "the MTU is back");
      assert.equal(linkOf(`${p}hub`, "h4").master, "br", "the port is back on the bridge");
      assert.equal(hubPorts(p), 4, "every port is back");
      assert.ok(await pingEventually(`${p}h1`, hostAddress(4)), "h1 reaches h4 again");
      assert.ok(await pingEventually(`${p}h2`, hostAddress(3)), "h2 reaches h3 again");
      await ts.stack.preview({ expectNoChanges: true, onOutput: () => undefined });
      figure("interference between runs: 4 of 4 changes repaired");
    } finally {
      await ts.dispose();
    }
    assert.deepEqual(leftovers(p), { namespaces: [], links: [], records: [] });
  });

  test("during up: the hub namespace deleted while veths are added", async (t) => {
    if (!requireRoot(t)) return;
    const hosts = 12;
    const ts = await inlineStack({ stackName: `${q}-during`, program: starProgram(q, hosts) });
    try {
      let deleted = false;
      let finished = false;
      const running = ts.stack.up({ onOutput: () => undefined }).finally(() => (finished = true));
      void (async () => {
        while (!finished && !deleted) {
          if (hubPorts(q) >= 1) {
            ip(["netns", "delete", `${q}hub`]);
            deleted = true;
          }
          await sleep(10);
        }
      })();
      const error = await failureOf(running);
      const message = `${(error as { stderr?: string } | undefined)?.stderr ?? ""}${error?.message ?? ""}`;
      t.diagnostic(`hub deleted: ${deleted}; up ${error ? "failed" : "completed"}`);
      assert.ok(deleted, "the race happened: the hub was deleted while up was adding veths");
      if (error) {
        assert.match(message, new RegExp(`${q}hub`), "the error names the missing namespace");
        const lines = message.split("\n").filter((l) => /error:/.test(l));
        t.diagnostic(`first error: ${lines[0]?.trim().slice(0, 300)}`);
      }
      await ts.stack.refresh({ onOutput: () => undefined });
      const up = await ts.stack.up({ onOutput: () => undefined });
      assert.equal(up.summary.result, "succeeded");
      assert.equal(hubPorts(q), hosts, "every port is back");
      assert.ok(await pingEventually(`${q}h1`, hostAddress(hosts)));
      await ts.stack.preview({ expectNoChanges: true, onOutput: () => undefined });
      figure(
        `interference during up: hub deleted=${deleted}, up ${error ? "failed clearly" : "completed"}, next up repaired`,
      );
      assert.ok(
        ipJson<{ ifname: string }[]>(["-n", `${q}hub`, "link", "show"]).some((l) => l.ifname === "br"),
        "the bridge is back",
      );
    } finally {
      await ts.dispose();
    }
    assert.deepEqual(leftovers(q), { namespaces: [], links: [], records: [] });
  });
});
