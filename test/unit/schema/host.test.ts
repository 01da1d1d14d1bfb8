import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validate } from "../../../provider/schema/checkFailures";
import { UNKNOWN } from "../../../provider/schema/unknown";
import { diffNamespace, namespaceSchema } from "../../../provider/schema/namespace";
import { type Case, runCases } from "../../helpers/schema";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKhU0qYvC4n9o6c6kq1m4y0yqgq0p3B0Jb2Jf6o2Yv7m";
const PRIVATE =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
const host = { address: "10.0.0.2", hostKey: KEY, privateKey: PRIVATE };
const base = { name: "blue", managedBy: "proj/dev/Namespace/blue" };
/** A namespace whose `host` is refused at `property`, for `reason`. */
const bad = (title: string, value: unknown, property: string, reason: RegExp): Case => ({
  title,
  input: { ...base, host: value },
  property,
  reason,
});

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
    bad(
      "an address that ssh would read as an option",
      { ...host, address: "-oProxyCommand=x" },
      "host.address",
      /DNS name or an IP address/u,
    ),
    bad("a user@ in the address", { ...host, address: "root@b" }, "host.address", /DNS name/u),
    bad("port 0", { ...host, port: 0 }, "host.port", /1-65535/u),
    bad("a user with a space", { ...host, user: "a b" }, "host.user", /login name/u),
    bad("a host key that is not one", { ...host, hostKey: "AAAA" }, "host.hostKey", /TYPE BASE64/u),
    bad("no host key", { address: "b" }, "host.hostKey", /required/u),
    bad("a public key as the private key", { ...host, privateKey: KEY }, "host.privateKey", /private key/u),
    bad("an unknown field", { ...host, password: "x" }, "host.password", /unknown property/u),
    bad("an unknown host", UNKNOWN, "host", /known at preview/u),
    bad("an unknown address", { ...host, address: UNKNOWN }, "host.address", /known at preview/u),
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
