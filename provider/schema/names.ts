/** Interface and namespace names: what the kernel and `ip netns` accept, and `ip -batch` can carry. */
import { byteLength, quote, ruledString, textProblems, WHITESPACE } from "./rules";

/** IFNAMSIZ is 16 including the terminating NUL. */
export const IFNAME_MAX_BYTES = 15;

/**
 * The kernel's `dev_valid_name()` (net/core/dev.c): 1-15 bytes, not "." or "..", no "/", ":" or
 * `isspace()` byte. The kernel's ctype table (lib/ctype.c) is Latin-1, so byte 0xA0 counts as a
 * space: any character whose UTF-8 encoding contains 0xA0 ("à" is C3 A0) is refused by the kernel.
 * We also refuse control characters and what `ip -batch` would re-tokenise (names go into batch
 * lines, see DESIGN.md), so a bad name fails at preview instead of halfway through a create.
 */
export function interfaceNameProblems(name: string): string[] {
  const problems: string[] = [];
  const bytes = byteLength(name);
  if (bytes < 1 || bytes > IFNAME_MAX_BYTES) {
    problems.push(`interface names are 1-${IFNAME_MAX_BYTES} bytes; ${quote(name)} is ${bytes} bytes`);
  }
  if (name === "." || name === "..") problems.push(`interface names cannot be "." or ".."`);
  const sep = name.match(/[/:]/u)?.[0];
  if (sep !== undefined) {
    problems.push(
      `interface names cannot contain "/" or ":" ("/" would break /sys/class/net, ":" is ip's label separator); ${quote(name)} has ${JSON.stringify(sep)}`,
    );
  }
  if (name.includes("%")) {
    problems.push(
      `interface names cannot contain "%": the kernel reads the name as a template ("x%d" becomes "x0") or refuses it; ${quote(name)} has it`,
    );
  }
  problems.push(...textProblems("interface names", name, true));
  const latin1Space = [...name].find((ch) => !WHITESPACE.test(ch) && Buffer.from(ch, "utf8").includes(0xa0));
  if (latin1Space !== undefined) {
    problems.push(
      `interface names cannot contain a character whose UTF-8 encoding has byte 0xA0 (the kernel's isspace() treats it as a space); ${quote(name)} has ${quote(latin1Space)}`,
    );
  }
  return problems;
}

export const interfaceName = ruledString(interfaceNameProblems);

/** NAME_MAX: a namespace is the file /run/netns/<name> (iproute2 ipnetns.c invalid_name()). */
export const NETNS_NAME_MAX_BYTES = 255;

export function namespaceNameProblems(name: string): string[] {
  const problems: string[] = [];
  const bytes = byteLength(name);
  if (bytes < 1 || bytes > NETNS_NAME_MAX_BYTES) {
    problems.push(
      `namespace names are 1-${NETNS_NAME_MAX_BYTES} bytes (a file name under /run/netns); ${quote(name)} is ${bytes} bytes`,
    );
  }
  if (name === "." || name === "..")
    problems.push(`namespace names cannot be "." or ".." (not a file under /run/netns)`);
  if (name.includes("/"))
    problems.push(`namespace names cannot contain "/" (the name is a file under /run/netns)`);
  problems.push(...textProblems("namespace names", name, true));
  return problems;
}

export const namespaceName = ruledString(namespaceNameProblems);
