import { defaultIp, type Ip } from "./ip";

// Keys are `net.`-rooted, dotted or slashed (`net/ipv4/conf/eth0.100/forwarding` names a device
// whose name has a dot), and never contain `=` (sysctl -w splits there) or blanks.
// eslint-disable-next-line no-control-regex
const unsafeKey = /[\s=\u0000-\u001f\u007f]|\.\.|\/\//;
// eslint-disable-next-line no-control-regex
const unsafeValue = /[\n\r\u0000-\u0008\u000b-\u001f\u007f]/;

/** Throws a plain Error naming the key if it is not a `net.*` sysctl key we can pass to sysctl(8). */
function assertSysctlKey(key: string): void {
  if (!/^net[./]./.test(key) || unsafeKey.test(key)) {
    throw new Error(
      `invalid sysctl key ${JSON.stringify(key)}: it must start with "net." and contain no blanks, "=", ` +
        '".." or control characters',
    );
  }
}

/**
 * Reads `net.*` sysctls inside a namespace (undefined: the host namespace) in one process. Runs
 * of blanks in values are collapsed to one space (the kernel prints tabs in multi-number values
 * such as `net.ipv4.ip_local_port_range`), so values compare equal to what users write.
 * A missing key raises NotFoundError (`missing: "sysctl"`).
 * Equivalent to: `ip netns exec NS sysctl -n KEY...`.
 */
export async function sysctlRead(
  netns: string | undefined,
  keys: readonly string[],
  ip: Ip = defaultIp(),
): Promise<Record<string, string>> {
  keys.forEach(assertSysctlKey);
  if (keys.length === 0) return {};
  const out = await ip.execIn(netns, ["sysctl", "-n", "--", ...keys]);
  return parseSysctlValues(keys, out);
}

/** Pairs the lines of `sysctl -n KEY...` with the keys asked for. */
export function parseSysctlValues(keys: readonly string[], stdout: string): Record<string, string> {
  const lines = stdout.replace(/\n$/, "").split("\n");
  if (lines.length !== keys.length) {
    throw new Error(
      `sysctl -n printed ${lines.length} lines for ${keys.length} keys: ${JSON.stringify(stdout)}`,
    );
  }
  const values: Record<string, string> = {};
  keys.forEach((k, i) => (values[k] = normalizeSysctlValue(lines[i] ?? "")));
  return values;
}

/** Collapses blanks the way {@link sysctlRead} reports values. */
function normalizeSysctlValue(value: string): string {
  return value.trim().replace(/\s+/g, " ");
}

/**
 * Writes `net.*` sysctls inside a namespace (undefined: the host namespace) in one process, in
 * key order. Not atomic: sysctl(8) carries on past a failing key, so on error the keys before
 * and after it may have been written; read back to know.
 * Equivalent to: `ip netns exec NS sysctl -q -w KEY=VALUE...`.
 */
export async function sysctlWrite(
  netns: string | undefined,
  values: Readonly<Record<string, string>>,
  ip: Ip = defaultIp(),
): Promise<void> {
  const entries = Object.entries(values);
  for (const [k, v] of entries) {
    assertSysctlKey(k);
    if (unsafeValue.test(v)) throw new Error(`invalid value for sysctl ${k}: ${JSON.stringify(v)}`);
  }
  if (entries.length === 0) return;
  await ip.execIn(netns, ["sysctl", "-q", "-w", "--", ...entries.map(([k, v]) => `${k}=${v}`)]);
}
