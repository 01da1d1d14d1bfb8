import { readFileSync } from "node:fs";
import { currentHost, localHost } from "./kernel/host";

const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;

let checked = false;

/**
 * Throws one clear error when this process lacks the capabilities every kernel call needs, so a
 * user without them sees that sentence once instead of a failure per resource.
 */
export function assertPrivileged(statusFile = "/proc/self/status"): void {
  // On another machine the privileges are its login user's, not this process's: a refusal there
  // comes back from `ip` itself as a PermissionError.
  if (checked || currentHost() !== localHost) return;
  const line = readFileSync(statusFile, "utf8").match(/^CapEff:\s*([0-9a-f]+)$/m);
  const effective = line?.[1] ? BigInt(`0x${line[1]}`) : 0n;
  const missing = [
    ...((effective >> CAP_NET_ADMIN) & 1n ? [] : ["CAP_NET_ADMIN"]),
    ...((effective >> CAP_SYS_ADMIN) & 1n ? [] : ["CAP_SYS_ADMIN"]),
  ];
  if (missing.length > 0) {
    throw new Error(
      `pulumi-netns needs root (or ${missing.join(" and ")}) to manage network namespaces and links, ` +
        `and this process has ${line ? "not got them" : "no capability information"}: ` +
        "run pulumi as root (for example `sudo -E pulumi up`).",
    );
  }
  checked = true;
}
