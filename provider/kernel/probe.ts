import { formatArgv } from "./errors";
import { assertNetnsName, defaultIp, int, type Ip } from "./ip";

/** What one probe saw. Unreachable is an answer, not an error: only a probe that cannot start throws. */
export interface ProbeOutcome {
  readonly reached: boolean;
  /** One line: the replies or the connection, or what came back instead. */
  readonly seen: string;
  /** The command that ran, for messages. */
  readonly command: string;
}

/** ping's interval between echo requests: fast enough that a probe that passes takes well under a second. */
const PING_INTERVAL_SECONDS = "0.2";

/** How long a probe waits before it pings again after ping gave up early. */
const RETRY_PAUSE_MS = 200;

/**
 * Whether ping stopped before its deadline for a reason the network may cure while the deadline
 * runs: an ICMP error came back (with `-w`, iputils ping ends at the first one: "+1 errors"), or
 * there was no route at all ("Network is unreachable"). A routing daemon may still be installing
 * the route. A missing namespace or a bad address is not retried.
 */
export function pingMayRetry(stdout: string, stderr: string): boolean {
  return /\+\d+ errors/.test(stdout) || /Network is unreachable/.test(stderr);
}

/**
 * Pings `address` from inside namespace `netns` until `replies` echo replies have arrived or
 * `deadlineSeconds` have passed (early losses, e.g. while ARP resolves, do not fail it; nor does
 * an unreachable network while a full second of the deadline is left: ping runs again).
 * Equivalent to: `ip netns exec NS ping -n -c REPLIES -w DEADLINE -i 0.2 ADDRESS`.
 */
export async function pingFrom(
  netns: string,
  address: string,
  options: { readonly replies: number; readonly deadlineSeconds: number },
  ip: Ip = defaultIp(),
): Promise<ProbeOutcome> {
  assertNetnsName(netns);
  const end = Date.now() + options.deadlineSeconds * 1000;
  for (let deadline = options.deadlineSeconds; ;) {
    const argv = ["ip", "netns", "exec", netns, "ping", "-n"];
    argv.push("-c", int(options.replies), "-w", int(deadline), "-i", PING_INTERVAL_SECONDS, address);
    const [file, ...args] = argv as [string, ...string[]];
    const result = await ip.runner(file, args);
    const outcome = {
      reached: result.exitCode === 0,
      seen: summarizePing(result.stdout, result.stderr),
      command: formatArgv(argv),
    };
    deadline = Math.floor((end - Date.now() - RETRY_PAUSE_MS) / 1000);
    if (outcome.reached || deadline < 1 || !pingMayRetry(result.stdout, result.stderr)) return outcome;
    await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
  }
}

/**
 * ping's verdict in one line: its statistics (`3 packets transmitted, 0 received, 100% packet
 * loss`), the first distinct complaint (`Destination Host Unreachable`, `connect: Network is
 * unreachable`) and the average round trip when there is one.
 */
export function summarizePing(stdout: string, stderr: string): string {
  const lines = [...stdout.split("\n"), ...stderr.split("\n")].map((l) => l.trim()).filter((l) => l !== "");
  const statistics = lines.find((l) => /packets transmitted/.test(l))?.replace(/, time \d+ms$/, "");
  const complaints = [
    ...new Set(
      lines
        .filter((l) => l !== statistics && !/packets transmitted/.test(l))
        .filter((l) =>
          /unreachable|prohibited|exceeded|cannot|error|not known|No such|Invalid|denied/i.test(l),
        )
        .map((l) => l.replace(/^From \S+ icmp_seq=\d+ /, "").replace(/^ping: /, "")),
    ),
  ];
  const rtt = /= [\d.]+\/([\d.]+)\/[\d.]+\/[\d.]+ ms/.exec(lines.find((l) => l.startsWith("rtt ")) ?? "");
  const parts = [statistics, complaints[0], rtt ? `average round trip ${rtt[1]} ms` : undefined];
  const said = parts.filter((p) => p !== undefined).join("; ");
  return said === "" ? "ping printed nothing" : said;
}

// Runs inside the namespace as `node -e TCP_CONNECT HOST PORT DEADLINE_MS`: retries until a
// connection is accepted (a service that is still starting counts once it listens) or the deadline.
const TCP_CONNECT = `
const net = require("node:net");
const [host, port, deadlineMs] = process.argv.slice(1);
const start = Date.now();
let attempts = 0;
const attempt = () => {
  attempts++;
  const socket = net.connect({ host, port: Number(port), timeout: 1000 });
  socket.once("connect", () => {
    console.log("connected after " + (Date.now() - start) + " ms (" + attempts + " attempt" + (attempts > 1 ? "s" : "") + ")");
    socket.destroy();
  });
  const retry = (what) => {
    socket.destroy();
    if (Date.now() - start + 200 < Number(deadlineMs)) return setTimeout(attempt, 200);
    console.log("no connection within " + deadlineMs / 1000 + " s (" + attempts + " attempts); last: " + what);
    process.exitCode = 1;
  };
  socket.once("timeout", () => retry("no answer within 1 s"));
  socket.once("error", (e) => retry(e.code || e.message));
};
attempt();
`;

/**
 * Connects to TCP `address`:`port` from inside namespace `netns`, retrying until the connection is
 * accepted or `deadlineSeconds` have passed. `node` is the Node binary to run inside the namespace.
 * Equivalent to: `ip netns exec NS node -e SCRIPT ADDRESS PORT DEADLINE_MS`.
 */
export async function tcpConnectFrom(
  netns: string,
  address: string,
  port: number,
  options: { readonly deadlineSeconds: number; readonly node: string },
  ip: Ip = defaultIp(),
): Promise<ProbeOutcome> {
  assertNetnsName(netns);
  const args = ["netns", "exec", netns, options.node, "-e", TCP_CONNECT];
  args.push(address, int(port), int(options.deadlineSeconds * 1000));
  const result = await ip.runner("ip", args);
  const said = `${result.stdout}\n${result.stderr}`
    .trim()
    .split("\n")
    .filter((l) => l.trim() !== "");
  return {
    reached: result.exitCode === 0,
    seen: said.join("; ") || `exit code ${result.exitCode} and no output`,
    command: formatArgv(["ip", "netns", "exec", netns, "node", "-e", "CONNECT_SCRIPT", address, `${port}`]),
  };
}
