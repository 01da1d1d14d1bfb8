// The two hand-written baselines: the kernel floor (`ip -batch`, veth ends created directly in
// their namespaces) and the naive per-step script (one `ip` per step, create then move).
import { availableParallelism } from "node:os";
import { pool, run, timed } from "./proc";
import type { Star } from "./topology";

export interface CreateDelete {
  readonly create: number;
  readonly delete: number;
}

/** Pings the last host from the first, once: proof that a built star forwards. */
export async function checkStar(s: Star): Promise<void> {
  const first = s.hosts[0];
  const last = s.hosts[s.hosts.length - 1];
  if (!first || !last || first === last) return;
  await run(["ip", "netns", "exec", first.netns, "ping", "-c", "1", "-W", "3", "-q", last.address]);
}

const batch = (netns: string | undefined, lines: readonly string[]) =>
  run(["ip", ...(netns ? ["-n", netns] : []), "-batch", "-"], lines.map((l) => l + "\n").join(""));

/**
 * One root batch makes every namespace, the bridge and every veth with both ends already in place;
 * one batch in the hub enslaves and raises the ports; one batch per host (nproc at a time) sets
 * its address and raises its links. Deleting is one batch of `netns delete` (links go with them).
 */
export async function ipBatchFloor(s: Star, check: boolean): Promise<CreateDelete> {
  const create = await timed(async () => {
    await batch(undefined, [
      `netns add ${s.hub}`,
      ...s.hosts.map((h) => `netns add ${h.netns}`),
      `link add name ${s.bridge} netns ${s.hub} type bridge`,
      ...s.hosts.map(
        (h) => `link add name ${s.hostIf} netns ${h.netns} type veth peer name ${h.port} netns ${s.hub}`,
      ),
    ]);
    await batch(s.hub, [
      "link set dev lo up",
      `link set dev ${s.bridge} up`,
      ...s.hosts.flatMap((h) => [`link set dev ${h.port} master ${s.bridge}`, `link set dev ${h.port} up`]),
    ]);
    await pool(s.hosts, availableParallelism(), (h) =>
      batch(h.netns, [
        "link set dev lo up",
        `address add ${h.cidr} dev ${s.hostIf}`,
        `link set dev ${s.hostIf} up`,
      ]).then(() => undefined),
    );
  });
  if (check) await checkStar(s);
  const del = await timed(() =>
    batch(undefined, [...s.hosts.map((h) => `netns delete ${h.netns}`), `netns delete ${s.hub}`]),
  );
  return { create: create.seconds, delete: del.seconds };
}

/** The naive script: a bash script with one `ip` process per step, veths made in the root namespace and moved. */
export function perStepScripts(s: Star): { create: string; delete: string } {
  const create = [
    "set -e",
    `ip netns add ${s.hub}`,
    `ip -n ${s.hub} link set dev lo up`,
    `ip -n ${s.hub} link add name ${s.bridge} type bridge`,
    `ip -n ${s.hub} link set dev ${s.bridge} up`,
    ...s.hosts.flatMap((h) => {
      const tmp = `${s.prefix}a${h.index}`;
      return [
        `ip netns add ${h.netns}`,
        `ip -n ${h.netns} link set dev lo up`,
        `ip link add name ${tmp} type veth peer name ${h.port}`,
        `ip link set dev ${tmp} netns ${h.netns}`,
        `ip link set dev ${h.port} netns ${s.hub}`,
        `ip -n ${h.netns} link set dev ${tmp} name ${s.hostIf}`,
        `ip -n ${h.netns} address add ${h.cidr} dev ${s.hostIf}`,
        `ip -n ${h.netns} link set dev ${s.hostIf} up`,
        `ip -n ${s.hub} link set dev ${h.port} master ${s.bridge}`,
        `ip -n ${s.hub} link set dev ${h.port} up`,
      ];
    }),
  ];
  const del = ["set -e", ...s.hosts.map((h) => `ip netns delete ${h.netns}`), `ip netns delete ${s.hub}`];
  return { create: create.join("\n") + "\n", delete: del.join("\n") + "\n" };
}

export async function perStepScript(
  s: Star,
  check: boolean,
): Promise<CreateDelete & { ipProcesses: number }> {
  const scripts = perStepScripts(s);
  const create = await timed(() => run(["bash", "-s"], scripts.create));
  if (check) await checkStar(s);
  const del = await timed(() => run(["bash", "-s"], scripts.delete));
  const ipProcesses = (scripts.create + scripts.delete).split("\n").filter((l) => l.startsWith("ip ")).length;
  return { create: create.seconds, delete: del.seconds, ipProcesses };
}
