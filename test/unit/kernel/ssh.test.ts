// What a user reads when another machine cannot be used: one sentence per failure, naming the
// machine and what to do; a changed host key by the fingerprint OpenSSH prints for the new key,
// never this process's throwaway known_hosts; and, through the provider's handlers, no stack frames
// in the line Pulumi's dynamic provider writes to the output of `pulumi up`.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { onItsHost } from "../../../provider/host";
import {
  HostConnectionError,
  hostConnectionMessage,
  keyFingerprint,
  parseKeyscan,
  sshFailureOf,
} from "../../../provider/kernel/ssh";

const HOST = "ssh://root@10.231.2.2:22";

// Made by `ssh-keygen -t ed25519` and `-t ecdsa`; the fingerprints are what `ssh-keygen -lf` printed
// for them (the kernel tier compares with ssh-keygen itself, on the lab machines' keys).
const ED25519 = {
  line: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMBbvNfX0BvyKfdj5LOG02FL/T7TEEEzaXuflht3k8A0",
  fingerprint: "SHA256:9km007fIf+2F50rk3sxTZeTVj/zUaRupggTCekZ+T2s",
};
const ECDSA = {
  line: "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBK9KcY7wvsQy3vL8t/45cKUbmmLDslPqf4rD2Rz8qytmWE4RoV+PZEjpOlO5uxvCJwP6E8OfgFqJ4ITWq3NvBes=",
  fingerprint: "SHA256:ODaCsJdmXJ+kOcCcIqNKjrdtAQ+U7Ww8jz2aNL4Gz7Q",
};

// OpenSSH 9.2's stderr for a pinned key the machine no longer has, from a login through SshHost.
const PRIVATE = "/tmp/pulumi-netns-ssh-4242-AbCdEf/0123456789ab-XyZ";
const CHANGED = `@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
Someone could be eavesdropping on you right now (man-in-the-middle attack)!
It is also possible that a host key has just been changed.
The fingerprint for the ED25519 key sent by the remote host is
${ED25519.fingerprint}.
Please contact your system administrator.
Add correct host key in ${PRIVATE}/known_hosts to get rid of this message.
Offending ED25519 key in ${PRIVATE}/known_hosts:1
  remove with:
  ssh-keygen -f "${PRIVATE}/known_hosts" -R "pulumi-netns-target"
Host key for pulumi-netns-target has changed and you have requested strict checking.
Host key verification failed.
`;
// A pinned key of a type the machine does not have: ssh names no fingerprint at all.
const UNKNOWN_TYPE = `No ED25519 host key is known for pulumi-netns-target and you have requested strict checking.
Host key verification failed.
`;

/** One sentence: one line, one full stop, at its end. */
function assertOneSentence(message: string): void {
  assert.ok(!message.includes("\n"), message);
  assert.ok(message.endsWith("."), message);
  assert.ok(!/[.!?]\s/.test(message), `more than one sentence: ${message}`);
}

describe("host key fingerprints", () => {
  it("are OpenSSH's: SHA-256 of the decoded key blob, base64 without padding", () => {
    for (const key of [ED25519, ECDSA]) {
      assert.equal(keyFingerprint(key.line.split(" ")[1]!), key.fingerprint);
    }
  });

  it("are read from ssh-keyscan's output, its comment lines skipped", () => {
    const out = `# 10.231.2.2:22 SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\n10.231.2.2 ${ED25519.line}\n# 10.231.2.2:22 SSH-2.0-OpenSSH_9.2p1\n10.231.2.2 ${ECDSA.line}\n`;
    assert.deepEqual(parseKeyscan(out), [
      { type: "ssh-ed25519", fingerprint: ED25519.fingerprint },
      { type: "ecdsa-sha2-nistp256", fingerprint: ECDSA.fingerprint },
    ]);
    assert.deepEqual(parseKeyscan(""), []);
  });
});

/** The message for a host key failure, `keyscan` being what ssh-keyscan printed; one sentence. */
function hostKeyMessage(stderr: string, keyscan: string): string {
  const presented = parseKeyscan(keyscan);
  const message = hostConnectionMessage({
    host: HOST,
    argv: undefined,
    stderr,
    hostKey: { pinnedType: "ssh-ed25519", presented },
  });
  assertOneSentence(message);
  return message;
}

describe("connection failure messages", () => {
  it("a changed host key: the new key's fingerprint and `host.hostKey`, never the private known_hosts", () => {
    const message = hostKeyMessage(CHANGED, `10.231.2.2 ${ECDSA.line}\n10.231.2.2 ${ED25519.line}\n`);
    assert.ok(
      message.startsWith(`${HOST} presented the host key ${ED25519.fingerprint} (ssh-ed25519), `),
      message,
    );
    assert.ok(!message.includes(ECDSA.fingerprint), "only the key of the pinned type, the one ssh compared");
    assert.match(message, /set `host\.hostKey` to its new public key/);
    assert.match(message, /ssh-keygen -lf \/etc\/ssh\/ssh_host_\*_key\.pub/);
    for (const leak of ["/tmp", "known_hosts", "ssh-keygen -f", " -R "])
      assert.ok(!message.includes(leak), leak);
  });

  it("a pinned key of a type the machine lacks: every key it has", () => {
    assert.equal(sshFailureOf(UNKNOWN_TYPE), "host key");
    const message = hostKeyMessage(UNKNOWN_TYPE, `h ${ECDSA.line}\n`);
    assert.ok(message.includes(`presented the host key ${ECDSA.fingerprint} (ecdsa-sha2-nistp256)`), message);
  });

  it("a refused key, an unreachable machine, a connection dropped while a command ran", () => {
    const cases: [stderr: string, argv: string[] | undefined, message: string][] = [
      [
        "root@10.231.2.2: Permission denied (publickey).\n",
        undefined,
        `${HOST} refused the login (root@10.231.2.2: Permission denied (publickey)): check the resource's ` +
          "`host.user` and that `host.privateKey` (or a key in the agent at SSH_AUTH_SOCK) is in that user's " +
          "authorized_keys there.",
      ],
      [
        "ssh: connect to host 10.231.2.2 port 22: Connection refused\n",
        undefined,
        `cannot connect to ${HOST} over SSH (ssh: connect to host 10.231.2.2 port 22: Connection refused): ` +
          "check that the machine is up, that sshd listens on that address and port and that a firewall lets " +
          "you through, then run `pulumi up` again.",
      ],
      [
        "Connection to 10.231.2.2 closed by remote host.\n",
        ["ip", "-n", "ns 1", "-batch", "-"],
        `the connection to ${HOST} dropped while ip -n 'ns 1' -batch - ran, which may have run in part ` +
          "(Connection to 10.231.2.2 closed by remote host): run `pulumi up` again once the machine is " +
          "reachable; it finds what was made and converges it.",
      ],
    ];
    for (const [stderr, argv, expected] of cases) {
      const message = hostConnectionMessage({ host: HOST, argv, stderr });
      assertOneSentence(message);
      assert.equal(message, expected);
    }
    assert.ok(
      hostConnectionMessage({ host: HOST, argv: undefined, stderr: "" }).includes(
        "(ssh exited 255 without a message)",
      ),
    );
  });
});

describe("a connection failure as `pulumi up` prints it", () => {
  // What @pulumi/pulumi's cmd/dynamic-provider writes to stderr for a failed check, read or delete.
  const engineLine = (e: unknown) => `${e}: ${(e as Error).stack}`;
  const failing = (error: Error) =>
    onItsHost({
      create: () => Promise.reject(error),
      read: () => Promise.reject(error),
      delete: () => Promise.reject(error),
    });

  it("is the error's name and its sentence once, without stack frames", async () => {
    const error = new HostConnectionError({
      host: HOST,
      argv: undefined,
      stderr: "ssh: connect to host 10.231.2.2 port 22: No route to host\n",
    });
    const provider = failing(error);
    for (const call of [() => provider.read!("n", {}), () => provider.delete!("n", {})]) {
      await assert.rejects(call(), (e: unknown) => {
        assert.equal(e, error, "the same error, so callers can still branch on its class");
        assert.equal(engineLine(e), `HostConnectionError: ${error.message}`);
        return true;
      });
    }
  });

  it("any other error keeps its frames: a bug in this code needs them", async () => {
    const bug = new TypeError("x is undefined");
    await assert.rejects(failing(bug).read!("n", {}), (e: unknown) => {
      assert.match(engineLine(e), /^TypeError: x is undefined: TypeError: x is undefined\n {4}at /);
      return true;
    });
  });
});
