// A service inside a namespace, for the life of the stack: an iperf3 server (netns.Service) runs
// in host `server` from `pulumi up` until `pulumi destroy`; once it answers, host `client`
// measures the throughput across the bridge, and the stack's outputs show it. No shell anywhere.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as netns from "pulumi-netns";

const config = new pulumi.Config();
const prefix = config.get("namespacePrefix") ?? "";
/** How long the measured run lasts, in seconds. */
const seconds = config.getNumber("seconds") ?? 2;
const mtu = config.getNumber("mtu");

interface Host {
  namespace: netns.Namespace;
  cable: netns.VethPair;
  address: string;
}

const hub = new netns.Namespace("switch", { name: `${prefix}switch` });
const br = new netns.Bridge("br", { name: "br", namespace: hub.name });
const [server, client] = [
  { host: "server", address: "10.30.0.1" },
  { host: "client", address: "10.30.0.2" },
].map(({ host, address }) => {
  const namespace = new netns.Namespace(host, { name: `${prefix}${host}` });
  const cable = new netns.VethPair(`${host}-cable`, {
    a: { name: "eth0", namespace: namespace.name, addresses: [`${address}/24`] },
    b: { name: host, namespace: hub.name, master: br.name },
    mtu,
  });
  return { namespace, cable, address };
}) as [Host, Host];

// The server is a netns.Service: started detached on up (argv, no shell), ready once it listens
// on 5201 inside its namespace, stopped on destroy (SIGTERM, then SIGKILL), and started again by
// the next up if it dies. Its output is in `iperfServer.logFile`.
const iperfServer = new netns.Service(
  "iperf3-server",
  {
    namespace: server.namespace.name,
    command: ["iperf3", "--server", "--bind", server.address],
    readiness: { tcpPort: 5201, timeoutSeconds: 10 },
  },
  { dependsOn: [server.cable] },
);

// Listening is not answering across the bridge: the measurement waits until the server accepts
// a TCP connection from the client's host.
const serverAnswers = new netns.Probe(
  "client-reaches-iperf3",
  { from: client.namespace.name, to: server.address, port: 5201, triggers: [iperfServer.pid] },
  { dependsOn: [iperfServer, client.cable, br] },
);

// No shell: the command's `interpreter` is the argv, and its `create` the last argument (the
// duration), as @pulumi/command runs `interpreter... create`.
const measurement = new command.local.Command(
  "measure",
  {
    interpreter: [
      "ip",
      "netns",
      "exec",
      client.namespace.name,
      "iperf3",
      "--client",
      server.address,
      "--json",
      "--time",
    ],
    create: `${seconds}`,
    // Measured again when the server restarts or a cable changes (an MTU, say).
    triggers: [iperfServer.pid, server.cable.a, client.cable.a],
    // iperf3's JSON report (a few KB) stays out of the up display and out of the next run's environment.
    logging: "none",
    addPreviousOutputInEnv: false,
  },
  { dependsOn: [serverAnswers] },
);

interface IperfReport {
  end: { sum_received: { bits_per_second: number }; sum_sent: { retransmits: number } };
}
const report = measurement.stdout.apply((out) => JSON.parse(out) as IperfReport);

/** Received TCP throughput from client to server, in Gbit/s. */
export const throughputGbps = report.apply((r) => Math.round(r.end.sum_received.bits_per_second / 1e7) / 100);
export const retransmits = report.apply((r) => r.end.sum_sent.retransmits);
export const iperfServerPid = iperfServer.pid;
export const iperfServerLog = iperfServer.logFile;
export const serverAnswered = serverAnswers.seen;
