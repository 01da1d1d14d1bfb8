import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { Probe } from "../../../sdk/probe";

/** The inputs of every resource the program registers, by type. */
const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];

void pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      return { id: `${args.name}-id`, state: { ...args.inputs, stdout: "seen\n" } };
    },
    call: () => ({}),
  },
  "project",
  "stack",
  false,
);

test("a Probe runs the probe program through command.local.Command, its spec in the environment", async () => {
  const probe = new Probe("h1-to-h2", { from: "h1", to: "fd00::2", port: 5201, triggers: [7] });
  const seen = await new Promise((resolve) => probe.seen.apply(resolve));
  assert.equal(seen, "seen");

  const command = registered.find((r) => r.type === "command:local:Command");
  assert.ok(command, "a command.local.Command is registered");
  assert.equal(command.name, "h1-to-h2");
  const [node, program] = command.inputs.interpreter as [string, string];
  assert.equal(node, process.execPath);
  assert.match(program, /\/dist\/provider\/probe\.js$/);
  assert.ok(existsSync(program), `${program} exists: the command plugin runs it`);
  assert.equal(command.inputs.create, "tcp [fd00::2]:5201 from namespace h1");
  assert.deepEqual(JSON.parse((command.inputs.environment as Record<string, string>).PULUMI_NETNS_PROBE!), {
    from: "h1",
    to: "fd00::2",
    port: 5201,
    replies: 3,
    deadlineSeconds: 10,
  });
  assert.deepEqual(command.inputs.triggers, [7]);
});
