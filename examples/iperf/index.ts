// A service inside a namespace, for the life of the stack: an iperf3 server runs in host `server`
// from `pulumi up` until `pulumi destroy`; once it answers, host `client` measures the throughput
// across the bridge, and the stack's outputs show it.
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

// The commands get every value through their environment, never spliced into the script text,
// so a name cannot change what the shell runs.
const serverEnvironment = {
  NAMESPACE: server.namespace.name,
  ADDRESS: server.address,
  PIDFILE: pulumi.interpolate`/run/iperf3-${server.namespace.name}.pid`,
  LOGFILE: pulumi.interpolate`/run/iperf3-${server.namespace.name}.log`,
};
// iperf3 --daemon returns before its daemon has written the pidfile, which the stop needs: wait.
const startServer = `
ip netns exec "$NAMESPACE" iperf3 --server --daemon --bind "$ADDRESS" --pidfile "$PIDFILE" --logfile "$LOGFILE" || exit
for _ in $(seq 50); do [ -e "$PIDFILE" ] && exit 0; sleep 0.1; done
echo "iperf3 wrote no $PIDFILE within 5 s; its log:" >&2; cat "$LOGFILE" >&2; exit 1`;
// pkill -F signals only the process the pidfile names, and only if it still is iperf3; then wait
// (at most 10 s) until it is gone. Nothing to stop is fine.
const stopServer = `
pid=$(cat "$PIDFILE" 2>/dev/null) && pkill -F "$PIDFILE" -x iperf3 &&
  for _ in $(seq 100); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
rm -f "$PIDFILE" "$LOGFILE"`;

// Started on up, stopped on destroy. Restarted if the server's namespace is re-created (a new
// inode): the old server is stopped first, as both use one pidfile.
const iperfServer = new command.local.Command(
  "iperf3-server",
  {
    create: startServer,
    delete: stopServer,
    environment: serverEnvironment,
    triggers: [server.namespace.inode],
  },
  { dependsOn: [server.cable], deleteBeforeReplace: true },
);

// The daemon listens a moment after it starts: the measurement waits until the server accepts a
// TCP connection from the client's host.
const serverAnswers = new netns.Probe(
  "client-reaches-iperf3",
  { from: client.namespace.name, to: server.address, port: 5201, triggers: [iperfServer.id] },
  { dependsOn: [iperfServer, client.cable, br] },
);

const measurement = new command.local.Command(
  "measure",
  {
    create: 'exec ip netns exec "$NAMESPACE" iperf3 --client "$SERVER" --time "$DURATION" --json',
    environment: { NAMESPACE: client.namespace.name, SERVER: server.address, DURATION: `${seconds}` },
    // Measured again when the server restarts or a cable changes (an MTU, say).
    triggers: [iperfServer.id, server.cable.a, client.cable.a],
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
export const iperfServerPidFile = serverEnvironment.PIDFILE;
export const serverAnswered = serverAnswers.seen;
