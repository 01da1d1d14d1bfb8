// The machine a resource lives on: the `host` input every user kind takes (DESIGN.md "Several
// machines"). Unset: this machine, as before hosts existed.
import { isIPv6 } from "node:net";
import { z } from "zod";
import { quote, ruledNumber, ruledString } from "./rules";
import { isUnknown, UNKNOWN } from "./unknown";

const KNOWN_AT_PREVIEW =
  "must be known at preview: take it from config (`config.requireSecret`), not from another resource's output";

/** A DNS name or an IP address, as `ssh` takes it: nothing ssh could read as an option or a user. */
export function hostAddressProblems(address: string): string[] {
  if (isUnknown(address)) return [`host.address ${KNOWN_AT_PREVIEW}`];
  if (isIPv6(address) || /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/u.test(address)) return [];
  return [
    `host.address is a DNS name or an IP address (letters, digits, "." and "-"); got ${quote(address)}`,
  ];
}

/** A POSIX login name (useradd's rule, without the trailing `$` of machine accounts). */
export function hostUserProblems(user: string): string[] {
  if (isUnknown(user)) return [`host.user ${KNOWN_AT_PREVIEW}`];
  return /^[a-z_][a-z0-9_.-]{0,31}$/u.test(user)
    ? []
    : [
        `host.user is a login name (lower-case letters, digits, "_", "." and "-", 1-32 of them); got ${quote(user)}`,
      ];
}

const HOST_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,2}$/u;

/** `TYPE BASE64` as a known_hosts line or a `.pub` file has it (a comment after them is dropped). */
export function hostKeyProblems(key: string): string[] {
  if (isUnknown(key)) return [`host.hostKey ${KNOWN_AT_PREVIEW}`];
  return HOST_KEY.test(canonicalHostKey(key))
    ? []
    : [
        `host.hostKey is the host's public key, "TYPE BASE64" (for example the first two fields of ` +
          `/etc/ssh/ssh_host_ed25519_key.pub, compared out of band); got ${quote(key)}`,
      ];
}

/** The key's type and base64, without the comment: the one form compared and written to known_hosts. */
export function canonicalHostKey(key: string): string {
  return key.trim().split(/\s+/).slice(0, 2).join(" ");
}

export function privateKeyProblems(key: string): string[] {
  if (isUnknown(key)) return [`host.privateKey ${KNOWN_AT_PREVIEW}`];
  return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key) && /-----END [A-Z ]*PRIVATE KEY-----/.test(key)
    ? []
    : [
        "host.privateKey is an unencrypted private key in OpenSSH or PEM form (`-----BEGIN OPENSSH PRIVATE " +
          "KEY-----` ...); pass it as a secret, or leave it unset to use the agent at SSH_AUTH_SOCK",
      ];
}

export const hostSchema = z.strictObject({
  /** The machine's DNS name or IP address. */
  address: ruledString(hostAddressProblems),
  /** sshd's port. */
  port: ruledNumber((p) =>
    Number.isInteger(p) && p >= 1 && p <= 65535 ? [] : [`host.port is an integer 1-65535; got ${p}`],
  ).default(22),
  /** Who to log in as: a user who may run `ip netns add` there (root, or one with CAP_NET_ADMIN and CAP_SYS_ADMIN). */
  user: ruledString(hostUserProblems).default("root"),
  /** The host's public key, pinned: a machine that answers with another key is refused. */
  hostKey: ruledString(hostKeyProblems).transform(canonicalHostKey),
  /** A private key (make it a Pulumi secret); unset: the agent at SSH_AUTH_SOCK. */
  privateKey: ruledString(privateKeyProblems).optional(),
});

/** What users write as a resource's `host` (the SDK wraps each field in `pulumi.Input`). */
export type HostInputs = z.input<typeof hostSchema>;
/** The host as `create` receives it. */
export type HostSpec = z.output<typeof hostSchema>;

/**
 * The `host` input: where the resource's objects are made, reached over SSH; unset, this machine.
 * It may not be unknown at preview: check looks things up on that machine.
 */
export const hostField = z
  .union([hostSchema, z.literal(UNKNOWN)])
  .optional()
  .superRefine((host, ctx) => {
    if (isUnknown(host)) ctx.addIssue({ code: "custom", message: `host ${KNOWN_AT_PREVIEW}`, input: host });
  });
