// The program `netns.Probe` has @pulumi/command run once the topology is up:
// `node dist/provider/probe.js DESCRIPTION`, with the probe's spec as JSON in PULUMI_NETNS_PROBE.
// It prints what it saw and exits 0 when the target answered; otherwise it says, on stderr, which
// namespace could not reach which address and what came back, and exits 1, which fails `pulumi up`.
import { hostOf } from "./host";
import { localHost, onHost } from "./kernel/host";
import { type ProbeOutcome, pingFrom, tcpConnectFrom } from "./kernel/probe";
import { describeProbe, parseProbeSpec, PROBE_SPEC_VARIABLE, type ProbeSpec } from "./schema/probe";

/**
 * Runs the probe the spec describes, on its `host`'s machine. A TCP probe runs `node` (this one's
 * own binary here; the one on the PATH of another machine).
 */
export function runProbe(spec: ProbeSpec, node: string = process.execPath): Promise<ProbeOutcome> {
  const host = hostOf(spec);
  return onHost(host, () =>
    spec.port === undefined
      ? pingFrom(spec.from, spec.to, spec)
      : tcpConnectFrom(spec.from, spec.to, spec.port, {
          deadlineSeconds: spec.deadlineSeconds,
          node: host === localHost ? node : "node",
        }),
  );
}

/** The failure message: source, target, what was seen, and what to do. */
export function unreachableMessage(spec: ProbeSpec, outcome: ProbeOutcome): string {
  const what =
    spec.port === undefined ? `${spec.replies} echo replies` : `a TCP connection to port ${spec.port}`;
  return (
    `probe failed: namespace ${spec.from} did not get ${what} from ${spec.to} within ${spec.deadlineSeconds} s. ` +
    `Seen: ${outcome.seen} (${outcome.command}). ` +
    `The network between them does not forward${spec.port === undefined ? "" : ", or nothing listens there"}: ` +
    "check the links, addresses and bridge ports on the way (`ip -n NAMESPACE -br link` shows each link's " +
    "state and bridge), run pulumi refresh to see drift, then pulumi up."
  );
}

async function main(): Promise<number> {
  let spec: ProbeSpec;
  try {
    spec = parseProbeSpec(process.env[PROBE_SPEC_VARIABLE]);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const outcome = await runProbe(spec);
  const host = hostOf(spec);
  const machine = host === localHost ? "" : ` on ${host.label}`;
  if (!outcome.reached) {
    process.stderr.write(
      `${unreachableMessage(spec, outcome)}${machine ? ` (the probe ran${machine})` : ""}\n`,
    );
    return 1;
  }
  process.stdout.write(`${describeProbe(spec)}${machine}: ${outcome.seen}\n`);
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`probe could not run: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
