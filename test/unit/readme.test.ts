import assert from "node:assert/strict";
import { test } from "node:test";
import { missingLines, readmeBlock } from "../helpers/readme";

const markdown = [
  "# x",
  "```sh",
  "not this",
  "```",
  "<!-- readme-command: run -->",
  "",
  "```sh",
  "pulumi up --yes",
  "# a comment stays",
  "```",
  "<!-- readme-output: run -->",
  "```text",
  "0% packet loss",
  "```",
].join("\n");

test("readmeBlock takes the whole block after its marker, and only that one", () => {
  assert.equal(readmeBlock(markdown, "command", "run"), "pulumi up --yes\n# a comment stays");
  assert.equal(readmeBlock(markdown, "output", "run"), "0% packet loss");
  assert.equal(readmeBlock(markdown, "command", "deploy"), undefined);
  assert.equal(readmeBlock("<!-- readme-command: run -->\n```sh\nunclosed", "command", "run"), undefined);
});

test("missingLines finds expected lines in order, ignoring colours and spacing", () => {
  const output =
    "PING 10.2.0.2\n\u001b[32m1 packets transmitted,  1 received, 0% packet loss\u001b[0m, time 0ms\n~ mtu: 1400";
  assert.deepEqual(missingLines("1 packets transmitted, 1 received\n\n~ mtu: 1400", output), []);
  assert.deepEqual(missingLines("~ mtu: 1400\n1 packets transmitted", output), ["1 packets transmitted"]);
  assert.deepEqual(missingLines("100% packet loss", output), ["100% packet loss"]);
});

test("missingLines reads ... as anything, within one line", () => {
  const output = "2: eth0@if3: <BROADCAST,UP> mtu 1400 qdisc noqueue\nalias x";
  assert.deepEqual(missingLines("2: eth0@if...: ... mtu 1400 ...", output), []);
  assert.deepEqual(missingLines("2: eth0@if...: ... mtu 1500 ...", output), [
    "2: eth0@if...: ... mtu 1500 ...",
  ]);
  // The parts must come in order, and a line's parts cannot span two lines.
  assert.deepEqual(missingLines("mtu 1400 ... eth0", output), ["mtu 1400 ... eth0"]);
  assert.deepEqual(missingLines("noqueue ... alias", output), ["noqueue ... alias"]);
});
