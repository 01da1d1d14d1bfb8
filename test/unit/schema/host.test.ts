import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { UNKNOWN, validate } from "../../../provider/schema/common";
import { diffNamespace, namespaceSchema } from "../../../provider/schema/namespace";
import { type Case, runCases } from "../../helpers/schema";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKhU0qYvC4n9o6c6kq1m4y0yqgq0p3B0Jb2Jf6o2Yv7m";
const PRIVATE =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
const host = { address: "10.0.0.2", hostKey: KEY, privateKey: PRIVATE };
const base = { name: "blue", managedBy: "proj/dev/Namespace/blue" };

describe("the host input (every kind takes it; a Namespace here)", () => {
  const cases: Case[] = [
    { title: "no host: this machine", input: base },
    { title: "an IPv4 host with a key", input: { ...base, host } },
    {
      title: "a DNS name, a port, a user, the agent",
      input: { ...base, host: { address: "lab-b.example", port: 2222, user: "lab", hostKey: KEY } },
    },
    { title: "an IPv6 host", input: { ...base, host: { ...host, address: "fd00::2" } } },
    { title: "a host key with a comment", input: { ...base, host: { ...host, hostKey: `${KEY} root@b` } } },
    {
      title: "an address that ssh would read as an option",
      input: { ...base, host: { ...host, address: "-oProxyCommand=x" } },
      property: "host.address",
      reason: /DNS name or an IP address/u,
    },
    {
      title: "a user@ in the address",
      input: { ...base, host: { ...host, address: "root@b" } },
      property: "host.address",
      reason: /DNS name/u,
    },
    {
      title: "port 0",
      input: { ...base, host: { ...host, port: 0 } },
      property: "host.port",
      reason: /1-65535/u,
    },
    {
      title: "a user with a space",
      input: { ...base, host: { ...host, user: "a b" } },
      property: "host.user",
      reason: /login name/u,
    },
    {
      title: "a host key that is not one",
      input: { ...base, host: { ...host, hostKey: "AAAA" } },
      property: "host.hostKey",
      reason: /TYPE BASE64/u,
    },
    {
      title: "no host key",
      input: { ...base, host: { address: "b" } },
      property: "host.hostKey",
      reason: /required/u,
    },
    {
      title: "a public key as the private key",
      input: { ...base, host: { ...host, privateKey: KEY } },
      property: "host.privateKey",
      reason: /private key/u,
    },
    {
      title: "an unknown field",
      input: { ...base, host: { ...host, password: "x" } },
      property: "host.password",
      reason: /unknown property/u,
    },
    {
      title: "an unknown host",
      input: { ...base, host: UNKNOWN },
      property: "host",
      reason: /known at preview/u,
    },
    {
      title: "an unknown address",
      input: { ...base, host: { ...host, address: UNKNOWN } },
      property: "host.address",
      reason: /known at preview/u,
    },
  ];
  runCases(namespaceSchema, cases);

  test("defaults: port 22, user root; the host key without its comment", () => {
    const { inputs } = validate(namespaceSchema, {
      ...base,
      host: { ...host, hostKey: `  ${KEY}  root@b ` },
    });
    assert.deepEqual(inputs?.host, {
      address: "10.0.0.2",
      port: 22,
      user: "root",
      hostKey: KEY,
      privateKey: PRIVATE,
    });
  });

  test("another machine replaces; another user, key or pinned host key updates in place", () => {
    const olds = { ...base, host: { ...host, port: 22, user: "root" } };
    const moved = diffNamespace(olds, { ...base, host: { ...host, address: "10.0.0.3" } });
    assert.deepEqual(moved.replaces, ["host"]);
    assert.deepEqual(diffNamespace(olds, { ...base, host: { ...host, port: 2222 } }).replaces, ["host"]);
    assert.deepEqual(diffNamespace(olds, { ...base }).replaces, ["host"], "back to this machine");
    assert.deepEqual(diffNamespace({ ...base }, olds).replaces, ["host"], "from this machine");
    const rotated = diffNamespace(olds, {
      ...base,
      host: { ...host, privateKey: PRIVATE.replace("AAAA", "BBBB"), user: "lab" },
    });
    assert.deepEqual(rotated.replaces, []);
    assert.deepEqual(rotated.updates, ["host"]);
    assert.equal(diffNamespace(olds, { ...base, host }).changes, false, "defaults spelled out or not");
  });
});
