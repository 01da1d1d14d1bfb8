// Crash safety of one Lan: the engine and its plugin are SIGKILLed at the moments the kernel
// shows the Lan's create in progress (its first namespaces, its ports, the hosts' addresses) and
// in the middle of its destroy. The documented recovery (cancel, refresh --clear-pending-creates,
// up) must take back every half-made host: the star forwards, a preview finds nothing to change,
// and destroy leaves no namespace, link or record, as for the fine-grained kinds (crash.test.ts).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import * as netns from "pulumi-netns";
import { inlineStack, type TestStack } from "../helpers/engine";
import { uniquePrefix } from "../helpers/names";
import {
  assertNoLeaks,
  figure,
  killedAt,
  leftovers,
  pingEventually,
  recoverStack,
  upKilledThenRecovered,
  type KillPoint,
} from "../helpers/reliability";
import { isRoot, requireRoot } from "../helpers/root";

const HOSTS = 60;
const p = uniquePrefix();
const stackName = `${p}-crashlan`;
const hub = `${p}hub`;
const hostName = (i: number) => `${p}h${i}`;
const hostAddress = (i: number) => `10.97.${Math.floor(i / 250)}.${(i % 250) + 1}`;

function program() {
  return async () => {
    new netns.Lan("lab", {
      namespace: hub,
      hosts: Object.fromEntries(
        Array.from({ length: HOSTS }, (_, k) => [
          hostName(k + 1),
          { port: `h${k + 1}`, addresses: [`${hostAddress(k + 1)}/16`] },
        ]),
      ),
    });
  };
}

const hostNamespaces = () =>
  readdirSync("/run/netns").filter((n) => n.startsWith(`${p}h`) && n !== hub).length;
function quiet(args: string[]): string {
  try {
    return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return "";
  }
}
const hubPortsUp = () =>
  quiet(["-n", hub, "-o", "link", "show", "master", "br", "up"])
    .split("\n")
    .filter((l) => l !== "").length;
const hasAddress = (i: number) =>
  quiet(["-n", hostName(i), "-o", "addr", "show", "dev", "eth0"]).includes(hostAddress(i));

const upPoints: KillPoint[] = [
  { title: "once the first host namespace exists", kernel: () => hostNamespaces() >= 1 },
  { title: "once the first port is up on the bridge", kernel: () => hubPortsUp() >= 1 },
  { title: "once the first host has its address", kernel: () => hasAddress(1) },
];
const destroyPoint: KillPoint = {
  title: "once the first host namespace is gone",
  kernel: () => hostNamespaces() < HOSTS,
};
let survived = 0;

describe("crash: SIGKILL inside a Lan's create and destroy", { concurrency: false }, () => {
  let ts: TestStack | undefined;
  before(async () => {
    if (isRoot()) ts = await inlineStack({ stackName, program: program() });
  });
  after(async () => {
    figure(`kill points inside a ${HOSTS}-host Lan survived ${survived}/${upPoints.length + 1}`);
    try {
      await ts?.dispose();
    } finally {
      if (isRoot()) assertNoLeaks(p);
    }
  });

  for (const point of upPoints) {
    test(`up killed ${point.title}`, async (t) => {
      if (!requireRoot(t) || !ts) return;
      const { stack } = ts;
      await upKilledThenRecovered(stackName, stack, point, t);
      assert.equal(hostNamespaces(), HOSTS, "every host namespace");
      assert.equal(hubPortsUp(), HOSTS, "every port up on the bridge");
      assert.ok(await pingEventually(hostName(1), hostAddress(HOSTS)), "host 1 reaches the last host");
      await stack.preview({ expectNoChanges: true, onOutput: () => undefined });
      await stack.destroy({ onOutput: () => undefined });
      assert.deepEqual(leftovers(p), { namespaces: [], links: [], records: [] });
      survived += 1;
    });
  }

  test(`destroy killed ${destroyPoint.title}`, async (t) => {
    if (!requireRoot(t) || !ts) return;
    const { stack } = ts;
    await stack.up({ onOutput: () => undefined });
    await killedAt(stackName, destroyPoint, (onEvent) =>
      stack.destroy({ onEvent, onOutput: () => undefined }),
    );
    await recoverStack(stack);
    await stack.destroy({ onOutput: () => undefined });
    assert.deepEqual(leftovers(p), { namespaces: [], links: [], records: [] });
    survived += 1;
  });
});
