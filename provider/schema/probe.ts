/**
 * A connectivity probe: from inside one namespace, reach an address by ping, or connect to a TCP
 * port there. `netns.Probe` runs it through @pulumi/command after the topology is up.
 */
import { isIPv4, isIPv6 } from "node:net";
import { z } from "zod";
import { namespaceName } from "./names";
import { quote, ruledNumber, ruledString } from "./rules";
import { hostField } from "./host";
import { formatPath } from "./propertyPath";

export function probeTargetProblems(to: string): string[] {
  if (to.includes("/")) return [`a probe target is one address, without a prefix length; got ${quote(to)}`];
  if (!isIPv4(to) && !isIPv6(to))
    return [`${quote(to)} is not an IPv4 address (dotted quad, no leading zeros) or an IPv6 address`];
  return [];
}

const wholeIn = (what: string, min: number, max: number) =>
  ruledNumber((n) =>
    Number.isInteger(n) && n >= min && n <= max ? [] : [`${what} is ${min}-${max}; got ${n}`],
  );

export const probeSchema = z.strictObject({
  /** The namespace the probe runs in (`ip netns exec FROM ...`). */
  from: namespaceName,
  /** The address to reach. */
  to: ruledString(probeTargetProblems),
  /** Connect to this TCP port instead of pinging. */
  port: wholeIn("a TCP port", 1, 65535).optional(),
  /** Ping: the echo replies that must arrive. Ignored for a TCP probe (one connection suffices). */
  replies: wholeIn("replies", 1, 100).default(3),
  /** How long the probe may keep trying before it reports the target unreachable. */
  deadlineSeconds: wholeIn("deadlineSeconds", 1, 300).default(10),
  /**
   * The machine whose namespace `from` is, reached over SSH as the kinds' `host` is; this one when
   * unset. A TCP probe there runs the `node` on that machine's PATH.
   */
  host: hostField,
});

/** What users write. */
export type ProbeInputs = z.input<typeof probeSchema>;
/** Defaults applied: what the probe runs with. */
export type ProbeSpec = z.output<typeof probeSchema>;

/** `ping 10.0.1.2 from net0` or `tcp 10.0.1.2:5201 from net0`: how messages name a probe. */
export function describeProbe(spec: Pick<ProbeSpec, "from" | "to" | "port">): string {
  const target =
    spec.port === undefined
      ? spec.to
      : isIPv6(spec.to)
        ? `[${spec.to}]:${spec.port}`
        : `${spec.to}:${spec.port}`;
  return `${spec.port === undefined ? "ping" : "tcp"} ${target} from namespace ${spec.from}`;
}

/** The environment variable that carries the spec (JSON). */
export const PROBE_SPEC_VARIABLE = "PULUMI_NETNS_PROBE";

/** Parses and validates a spec; throws an Error naming every bad field. */
export function parseProbeSpec(json: string | undefined): ProbeSpec {
  if (json === undefined)
    throw new Error(`${PROBE_SPEC_VARIABLE} is not set: netns.Probe passes the probe there`);
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new Error(`${PROBE_SPEC_VARIABLE} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const result = probeSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${formatPath(i.path) || "(spec)"}: ${i.message}`);
    throw new Error(`invalid probe: ${problems.join("; ")}`);
  }
  return result.data;
}
