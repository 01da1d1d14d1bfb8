// Abandoning a killed run: the engine is frozen the moment the first namespace of an `up` appears
// and SIGKILLed (with its plugins) once the provider has finished the creates it had begun, so
// the kernel holds namespaces the state never learned of. The documented way out (cancel,
// refresh --clear-pending-creates, destroy, then `pulumi-netns gc --stack`) must leave nothing:
// no namespace, link or record of the test, no object carrying the stack instance.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { STACK_INSTANCE_RECORD_DIR } from "../../provider/kernel/stackInstance";
import { inlineStack, type TestStack } from "../helpers/engine";
import { cli, carrying, recordFilesNaming } from "../helpers/netnsCli";
import { uniquePrefix } from "../helpers/names";
import {
  assertNoLeaks,
  engineProcess,
  failureOf,
  figure,
  killTree,
  leftovers,
  recoverStack,
  sleep,
} from "../helpers/reliability";
import { isRoot, requireRoot } from "../helpers/root";
import * as netns from "pulumi-netns";
import { hostAddress, starProgram } from "./star";

const HOSTS = 12;
const LAN_HOSTS = 30;

/**
 * `up` killed once the first namespace appears, then abandoned. `freeze`: the engine is stopped
 * at once and the tree killed two seconds later, so the provider finishes the creates it had begun
 * but the state learns none of them. `now`: the whole tree is killed at once, inside the provider's
 * create (a Lan's namespaces are then claimed and added, but not yet marked).
 */
function abandonScenario(title: string, p: string, program: PulumiFn, kill: "freeze" | "now") {
  const stackName = `${p}-abandon`;
  const namespaceCount = () => readdirSync("/run/netns").filter((n) => n.startsWith(p)).length;
  describe(`abandon a killed run (${title}): cancel, refresh --clear-pending-creates, destroy, gc`, () => {
    let ts: TestStack | undefined;
    before(async () => {
      if (isRoot()) ts = await inlineStack({ stackName, program });
    });
    after(async () => {
      try {
        await ts?.dispose();
      } finally {
        if (isRoot()) assertNoLeaks(p);
      }
    });

    test("after gc nothing of the killed run remains", async (t) => {
      if (!requireRoot(t) || !ts) return;
      const { stack } = ts;

      let killed: string[] | undefined;
      const running = stack.up({ onOutput: () => undefined });
      let finished = false;
      void running.finally(() => (finished = true)).catch(() => undefined);
      while (!finished && !killed) {
        const engine = engineProcess(stackName);
        if (engine !== undefined && namespaceCount() > 0) {
          if (kill === "freeze") {
            process.kill(engine, "SIGSTOP");
            await sleep(2000);
          }
          killed = killTree(engine);
        }
        await sleep(5);
      }
      assert.ok(killed, "the up finished before any namespace appeared");
      assert.ok(await failureOf(running), "the killed up fails");
      const made = namespaceCount();

      const { pendingCleared } = await recoverStack(stack); // pulumi cancel, refresh --clear-pending-creates
      const deployment = await stack.exportStack();
      const instance = (
        deployment.deployment.resources as { type: string; outputs?: { instance?: string } }[]
      ).find((r) => r.type.endsWith(":StackInstance"))?.outputs?.instance;
      assert.match(instance ?? "", /^[0-9a-f]{16}$/, "the stack instance was created before the kill");
      await stack.destroy({ onOutput: () => undefined });

      const left = leftovers(p);
      t.diagnostic(
        `namespaces made ${made}, pending operations cleared ${pendingCleared}, left after destroy: ` +
          `${left.namespaces.length} namespaces, ${left.records.length} records`,
      );
      assert.ok(left.namespaces.length > 0, "the killed run made namespaces its state never learned of");
      assert.ok(
        existsSync(path.join(STACK_INSTANCE_RECORD_DIR, instance!)),
        "destroy recorded the instance as destroyed, since objects still carry it",
      );

      const listing = await cli(ts, ["ls", "--stack", stackName]);
      assert.equal(listing.exitCode, 0, listing.stderr);
      for (const name of left.namespaces) {
        assert.match(listing.stdout, new RegExp(`ORPHAN\\s+namespace ${name}\\b`), listing.stdout);
      }

      const dry = await cli(ts, ["gc", "--stack", stackName, "--dry-run"]);
      assert.equal(dry.exitCode, 0, dry.stderr);
      assert.deepEqual(leftovers(p), left, "--dry-run removed nothing");

      const gc = await cli(ts, ["gc", "--stack", stackName, "--json"]);
      assert.equal(gc.exitCode, 0, `${gc.stdout}\n${gc.stderr}`);
      const report = JSON.parse(gc.stdout) as {
        found: number;
        removed: number;
        objects: { description: string; outcome: string }[];
      };
      figure(`abandon after a kill: orphans found ${report.found}, removed ${report.removed}`);
      assert.equal(report.removed, report.found);
      const removedNamespaces = report.objects
        .filter((o) => o.description.startsWith("namespace "))
        .map((o) => o.description.split(" ")[1])
        .sort();
      assert.deepEqual(removedNamespaces, [...left.namespaces].sort());

      assert.deepEqual(leftovers(p), { namespaces: [], links: [], records: [] }, "nothing with the prefix");
      assert.deepEqual(await carrying(instance!), [], "nothing carries the stack instance");
      assert.ok(
        !existsSync(path.join(STACK_INSTANCE_RECORD_DIR, instance!)),
        "its destroyed-instance record went",
      );
      assert.deepEqual(recordFilesNaming(instance!), [], "no record or temporary file names the instance");
      const again = await cli(ts, ["gc", "--stack", stackName]);
      assert.equal(again.exitCode, 0);
      assert.match(again.stdout, /no orphans of this stack/);
    });
  });
}

/** A star of `hosts` hosts as one Lan: its namespaces are all added in one batch, marked later. */
function lanProgram(prefix: string, hosts: number) {
  return async () => {
    new netns.Lan("lab", {
      namespace: `${prefix}hub`,
      hosts: Object.fromEntries(
        Array.from({ length: hosts }, (_, k) => [
          `${prefix}h${k + 1}`,
          { addresses: [`${hostAddress(k + 1)}/16`] },
        ]),
      ),
    });
  };
}

const starPrefix = uniquePrefix();
abandonScenario("a fine-grained star", starPrefix, starProgram(starPrefix, HOSTS), "freeze");
const lanPrefix = uniquePrefix();
abandonScenario(`a ${LAN_HOSTS}-host Lan`, lanPrefix, lanProgram(lanPrefix, LAN_HOSTS), "now");
