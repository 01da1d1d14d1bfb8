// The picture from the kernel (`graph --live`): every namespace and every link in it, peers and
// parents followed across namespaces by the ids `ip` reports (`link_netnsid`, `link_index`).
import type { Topology, TopologyLink, TopologyNamespace } from "./topology";
import {
  buildGraph,
  type GraphModel,
  type LinkFacts,
  type LinkRef,
  type NamespaceFacts,
  type ProcessNodeFacts,
} from "./model";

/** Where `l`'s lower link is, or what the kernel said about it when it cannot be found here. */
function resolveLower(
  ns: TopologyNamespace,
  l: TopologyLink,
  byName: ReadonlyMap<string | undefined, TopologyNamespace>,
): { lower?: LinkRef; unresolved?: string } {
  const ref = l.lower;
  if (ref === undefined) return {};
  if (ref.netnsId === undefined) {
    const found = ns.links.find((m) =>
      ref.name !== undefined ? m.state.name === ref.name : m.state.ifindex === ref.ifindex,
    );
    return found
      ? { lower: { namespace: ns.name, name: found.state.name } }
      : { unresolved: `on ${ref.name ?? `ifindex ${ref.ifindex}`}, not found` };
  }
  // An id without a name is a namespace with no file in /run/netns; the host's is the one read.
  const named = ns.nsids.get(ref.netnsId);
  const candidates =
    named !== undefined ? [byName.get(named)] : ns.name !== undefined ? [byName.get(undefined)] : [];
  for (const c of candidates) {
    const found = c?.links.find(
      (m) =>
        m.state.ifindex === ref.ifindex &&
        // A peer points back; with an unnamed id that is what tells the host's namespace apart.
        (named !== undefined || m.lower?.ifindex === undefined || m.lower.ifindex === l.state.ifindex),
    );
    if (c && found) return { lower: { namespace: c.name, name: found.state.name } };
  }
  return {
    unresolved: `peer ifindex ${ref.ifindex} in namespace id ${ref.netnsId}${named ? ` (${named})` : ""}, not read`,
  };
}

/**
 * The facts of a topology; with `onlyOurs`, only namespaces and links that carry our marks. The
 * processes are those of service records (all ours), in namespaces that exist.
 */
export function liveFacts(
  topology: Topology,
  onlyOurs: boolean,
): { namespaces: NamespaceFacts[]; links: LinkFacts[]; processes: ProcessNodeFacts[] } {
  const byName = new Map(topology.namespaces.map((n) => [n.name, n]));
  const links: LinkFacts[] = topology.namespaces.flatMap((ns) =>
    ns.links
      .filter((l) => !onlyOurs || l.ours)
      .map((l): LinkFacts => {
        const { lower, unresolved } = resolveLower(ns, l, byName);
        return {
          namespace: ns.name,
          name: l.state.name,
          kind: l.state.kind,
          tap: l.state.tun?.mode === "tap",
          addresses: l.addresses,
          mtu: l.state.mtu,
          master: l.state.master,
          lower,
          ...(unresolved !== undefined ? { unresolvedLower: unresolved } : {}),
          tunnel:
            l.tunnel && (l.tunnel.remote ?? l.tunnel.group) !== undefined
              ? { id: l.tunnel.id, remote: (l.tunnel.remote ?? l.tunnel.group)!, underlay: l.tunnel.underlay }
              : undefined,
          ...(l.mode !== undefined ? { detail: l.mode } : {}),
          ours: l.ours,
          drift: [],
        };
      }),
  );
  const processes = (topology.processes ?? [])
    .filter((p) => byName.has(p.netns))
    .map((p) => ({
      namespace: p.netns,
      name: p.name,
      program: p.program,
      running: p.running,
      ours: true,
      drift: [],
    }));
  const used = new Set([...links, ...processes].map((l) => l.namespace));
  const namespaces = topology.namespaces
    // The host's namespace only when something is drawn in it.
    .filter((n) =>
      n.name === undefined ? used.has(undefined) : !onlyOurs || n.mark !== undefined || used.has(n.name),
    )
    .map((n) => ({ name: n.name, ours: n.mark !== undefined, drift: [] }));
  return { namespaces, links, processes };
}

export function liveGraph(topology: Topology, onlyOurs: boolean): GraphModel {
  const { namespaces, links, processes } = liveFacts(topology, onlyOurs);
  return buildGraph(
    onlyOurs ? "pulumi-netns: what carries our marks on this host" : "pulumi-netns: this host",
    namespaces,
    links,
    processes,
  );
}
