// The picture `pulumi-netns graph` draws, as pure data: namespaces as clusters, bridges, taps and
// other standalone devices as nodes, and the links between them (veth pairs, a macvlan and its
// parent, a tunnel and its remote, a port and its bridge) as edges. Both sources (a stack's state,
// the kernel) describe links as LinkFacts; buildGraph turns them into the one model every
// renderer reads. Nothing here knows a link kind by name except the two that are drawn as
// themselves: a bridge (a node ports hang on) and a tap (a stub facing a VM). A service's process
// is a node in its namespace's box.

/** A namespace as a source describes it. */
export interface NamespaceFacts {
  /** Undefined: the host's namespace. */
  readonly name: string | undefined;
  /** It carries a pulumi-netns mark (live), or a stack holds it (state). */
  readonly ours: boolean;
  /** What differs between the state and the kernel (empty when nothing does, or for live). */
  readonly drift: readonly string[];
}

/** Where a link is: its namespace (undefined: the host's) and its name. */
export interface LinkRef {
  readonly namespace: string | undefined;
  readonly name: string;
}

/** A tunnel's far end and id. */
export interface TunnelFacts {
  readonly id: number | undefined;
  /** The remote address, or the multicast group. */
  readonly remote: string;
  readonly underlay: string | undefined;
}

/** A link as a source describes it. */
export interface LinkFacts extends LinkRef {
  /** The kernel's `info_kind` (`veth`, `bridge`, `tun`, `vxlan`, ...); undefined for plain devices. */
  readonly kind: string | undefined;
  /** A tun device in tap mode: a VM attaches to it. */
  readonly tap: boolean;
  readonly addresses: readonly string[];
  readonly mtu: number | undefined;
  /** The bridge it is a port of, in its own namespace. */
  readonly master: string | undefined;
  /** The link it is paired with (a veth's peer) or layered on (a macvlan's parent). */
  readonly lower: LinkRef | undefined;
  /** The lower link could not be found where the kernel says it is: what it said. */
  readonly unresolvedLower?: string;
  readonly tunnel: TunnelFacts | undefined;
  /** Extra words for the edge or node (a macvlan's mode). */
  readonly detail?: string;
  readonly ours: boolean;
  readonly drift: readonly string[];
}

/** A service's process as a source describes it. */
export interface ProcessNodeFacts {
  readonly namespace: string;
  /** The service's name. */
  readonly name: string;
  /** What it runs (argv[0]), when known. */
  readonly program: string | undefined;
  /** Whether it runs; undefined when the kernel was not read. */
  readonly running: boolean | undefined;
  readonly ours: boolean;
  readonly drift: readonly string[];
}

export interface Cluster {
  readonly id: string;
  readonly namespace: string | undefined;
  /** The namespace's name; `(host)` for the host's. */
  readonly label: string;
  readonly ours: boolean;
  readonly drift: readonly string[];
  /** The node that stands for the namespace's own stack, where links not on a bridge end. */
  readonly anchor: string;
}

/**
 * - `anchor`: a namespace's own stack (no text of its own: the cluster names it);
 * - `bridge`: a bridge, or any device other links are ports of;
 * - `tap`: a tap device; `vm` the stub of the VM behind it;
 * - `device`: any other device drawn as itself (the parent of a macvlan, a standalone NIC);
 * - `remote`: a tunnel's far end that is not on this host, or a lower link that was not found;
 * - `process`: a service's process (its name, what it runs, whether it runs).
 */
export type NodeRole = "anchor" | "bridge" | "tap" | "vm" | "device" | "remote" | "process";

export interface GraphNode {
  readonly id: string;
  /** The cluster it is drawn in; undefined for a remote end. */
  readonly cluster: string | undefined;
  readonly role: NodeRole;
  /** Text lines; empty for an anchor. */
  readonly label: readonly string[];
  readonly ours: boolean;
  readonly drift: readonly string[];
}

/** An edge's kind: the link kind of its ends (`veth`, `macvlan`, `vxlan`...), `port` or `vm`. */
export interface GraphEdge {
  readonly id: string;
  readonly kind: string;
  readonly from: string;
  readonly to: string;
  /** Text at the `from` end: its link's name and addresses. */
  readonly fromLabel: readonly string[];
  readonly toLabel: readonly string[];
  /** Text in the middle: kind, details, an MTU that is not 1500. */
  readonly label: readonly string[];
  readonly ours: boolean;
  readonly drift: readonly string[];
}

export interface GraphModel {
  readonly title: string;
  readonly clusters: readonly Cluster[];
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

/** The MTU nobody needs to be told about. */
export const DEFAULT_MTU = 1500;

/** The label of the host's namespace. */
export const HOST_LABEL = "(host)";

export const refKey = (r: LinkRef): string => `${r.namespace ?? ""}\n${r.name}`;

const compareNamespaces = (a: string | undefined, b: string | undefined): number =>
  a === b ? 0 : a === undefined ? -1 : b === undefined ? 1 : a < b ? -1 : 1;

const compareRefs = (a: LinkRef, b: LinkRef): number =>
  compareNamespaces(a.namespace, b.namespace) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** A link's own words at its end of an edge: its name, then its addresses. */
const endLabel = (l: LinkFacts): string[] => [l.name, ...l.addresses];

const mtuWords = (mtus: readonly (number | undefined)[]): string[] => {
  const odd = [...new Set(mtus.filter((m): m is number => m !== undefined && m !== DEFAULT_MTU))];
  return odd.length === 0 ? [] : [`mtu ${odd.sort((a, b) => a - b).join("/")}`];
};

const unique = (lists: readonly (readonly string[])[]): string[] => [...new Set(lists.flat())];

/**
 * The model of `links` in `namespaces` (a link's namespace that is not listed is added). Sorted
 * throughout, ids by position: the same facts give the same picture, byte for byte.
 */
export function buildGraph(
  title: string,
  namespaces: readonly NamespaceFacts[],
  links: readonly LinkFacts[],
  processes: readonly ProcessNodeFacts[] = [],
): GraphModel {
  const sortedLinks = [...links].sort(compareRefs);
  const sortedProcesses = [...processes].sort(compareRefs);
  const byRef = new Map(sortedLinks.map((l) => [refKey(l), l]));
  const nsFacts = new Map<string, NamespaceFacts>();
  for (const n of namespaces) nsFacts.set(n.name ?? "", n);
  for (const l of [...sortedLinks, ...sortedProcesses]) {
    if (!nsFacts.has(l.namespace ?? ""))
      nsFacts.set(l.namespace ?? "", { name: l.namespace, ours: false, drift: [] });
  }
  const clusters: Cluster[] = [...nsFacts.values()]
    .sort((a, b) => compareNamespaces(a.name, b.name))
    .map((n, i) => ({
      id: `ns${i}`,
      namespace: n.name,
      label: n.name ?? HOST_LABEL,
      ours: n.ours,
      drift: n.drift,
      anchor: `ns${i}_stack`,
    }));
  const clusterOf = new Map(clusters.map((c) => [c.namespace ?? "", c]));
  const cluster = (namespace: string | undefined) => clusterOf.get(namespace ?? "")!;

  const lowerOf = (l: LinkFacts) => (l.lower ? byRef.get(refKey(l.lower)) : undefined);
  const paired = (l: LinkFacts) => {
    const other = lowerOf(l);
    return other !== undefined && other.lower !== undefined && refKey(other.lower) === refKey(l);
  };
  const masters = new Set<string>();
  const parents = new Set<string>();
  for (const l of sortedLinks) {
    if (l.master !== undefined) masters.add(refKey({ namespace: l.namespace, name: l.master }));
    if (l.lower !== undefined && !paired(l)) parents.add(refKey(l.lower));
  }
  // Drawn as itself: what others hang on, a tap, and a device that leads nowhere else.
  const isNode = (l: LinkFacts) =>
    l.kind === "bridge" ||
    l.tap ||
    masters.has(refKey(l)) ||
    parents.has(refKey(l)) ||
    (l.tunnel === undefined && (l.lower === undefined || lowerOf(l) === undefined));

  const nodes: GraphNode[] = clusters.map((c) => ({
    id: c.anchor,
    cluster: c.id,
    role: "anchor",
    label: [],
    ours: c.ours,
    drift: [],
  }));
  const nodeOf = new Map<string, string>();
  for (const l of sortedLinks.filter(isNode)) {
    const c = cluster(l.namespace);
    const id = `${c.id}_n${nodes.filter((n) => n.cluster === c.id).length}`;
    const role: NodeRole = l.tap
      ? "tap"
      : l.kind === "bridge" || masters.has(refKey(l))
        ? "bridge"
        : "device";
    const label = [l.name, ...l.addresses, ...(l.detail ? [l.detail] : []), ...mtuWords([l.mtu])];
    if (role === "device" && l.kind !== undefined) label.splice(1, 0, l.kind);
    if (l.unresolvedLower !== undefined) label.push(l.unresolvedLower);
    nodes.push({ id, cluster: c.id, role, label, ours: l.ours, drift: l.drift });
    nodeOf.set(refKey(l), id);
  }
  for (const p of sortedProcesses) {
    const c = cluster(p.namespace);
    const status = p.running === undefined ? [] : [p.running ? "running" : "not running"];
    nodes.push({
      id: `${c.id}_p${nodes.filter((n) => n.cluster === c.id && n.role === "process").length}`,
      cluster: c.id,
      role: "process",
      label: [p.name, ...(p.program !== undefined && p.program !== p.name ? [p.program] : []), ...status],
      ours: p.ours,
      drift: p.drift,
    });
  }
  /** Where a link's edges end: its own node, its bridge's, or its namespace's stack. */
  const attach = (l: LinkFacts): string =>
    nodeOf.get(refKey(l)) ??
    (l.master !== undefined ? nodeOf.get(refKey({ namespace: l.namespace, name: l.master })) : undefined) ??
    cluster(l.namespace).anchor;

  const edges: Omit<GraphEdge, "id">[] = [];
  let remotes = 0;
  const remoteNode = (label: string[], ours: boolean): string => {
    const id = `remote${remotes++}`;
    nodes.push({ id, cluster: undefined, role: "remote", label, ours, drift: [] });
    return id;
  };
  const addressesIn = (namespace: string | undefined) =>
    new Set(sortedLinks.filter((l) => l.namespace === namespace).flatMap((l) => l.addresses.map(hostPart)));
  const drawnPairs = new Set<string>();

  for (const l of sortedLinks) {
    const own = nodeOf.get(refKey(l));
    if (own !== undefined) {
      // A port that is drawn as itself hangs on its bridge; a tap faces its VM.
      const master =
        l.master !== undefined ? nodeOf.get(refKey({ namespace: l.namespace, name: l.master })) : undefined;
      if (master !== undefined) {
        edges.push({
          kind: "port",
          from: master,
          to: own,
          fromLabel: [],
          toLabel: [],
          label: [],
          ours: l.ours,
          drift: [],
        });
      }
      if (l.tap) {
        const c = cluster(l.namespace);
        const vm = `${own}_vm`;
        nodes.push({ id: vm, cluster: c.id, role: "vm", label: ["VM"], ours: l.ours, drift: [] });
        edges.push({
          kind: "vm",
          from: own,
          to: vm,
          fromLabel: [],
          toLabel: [],
          label: [],
          ours: l.ours,
          drift: [],
        });
      }
    }
    const other = lowerOf(l);
    if (other !== undefined && paired(l)) {
      const key = [refKey(l), refKey(other)].sort().join("\n\n");
      if (drawnPairs.has(key)) continue;
      drawnPairs.add(key);
      edges.push({
        kind: l.kind ?? "pair",
        from: attach(l),
        to: attach(other),
        fromLabel: endLabel(l),
        toLabel: endLabel(other),
        label: [l.kind ?? "pair", ...mtuWords([l.mtu, other.mtu])],
        ours: l.ours && other.ours,
        drift: unique([l.drift, other.drift]),
      });
    } else if (other !== undefined) {
      // Layered on another link (a macvlan on its parent): from the parent to where it serves.
      edges.push({
        kind: l.kind ?? "lower",
        from: attach(other),
        to: attach(l),
        fromLabel: [],
        toLabel: own === undefined ? endLabel(l) : [],
        label: [...[l.kind ?? "on", l.detail].filter((w) => w !== undefined), ...mtuWords([l.mtu])],
        ours: l.ours,
        drift: [...l.drift],
      });
    }
    if (l.tunnel !== undefined && own === undefined) {
      const t = l.tunnel;
      const peer = sortedLinks.find(
        (m) =>
          m !== l &&
          m.tunnel !== undefined &&
          m.tunnel.id === t.id &&
          m.kind === l.kind &&
          addressesIn(m.namespace).has(t.remote),
      );
      if (peer !== undefined) {
        const key = [refKey(l), refKey(peer)].sort().join("\n\n");
        if (drawnPairs.has(key)) continue;
        drawnPairs.add(key);
      }
      const words = [
        `${l.kind ?? "tunnel"}${t.id !== undefined ? ` ${t.id}` : ""}`,
        ...mtuWords([l.mtu, peer?.mtu]),
      ];
      edges.push({
        kind: l.kind ?? "tunnel",
        from: attach(l),
        to: peer !== undefined ? attach(peer) : remoteNode([`remote ${t.remote}`], l.ours),
        fromLabel: [...endLabel(l), ...(t.underlay ? [`via ${t.underlay}`] : [])],
        toLabel:
          peer !== undefined
            ? [...endLabel(peer), ...(peer.tunnel?.underlay ? [`via ${peer.tunnel.underlay}`] : [])]
            : [],
        label: words,
        ours: l.ours && (peer?.ours ?? true),
        drift: unique([l.drift, peer?.drift ?? []]),
      });
    }
  }
  const edgeKey = (e: Omit<GraphEdge, "id">) =>
    [e.from, e.to, e.kind, ...e.fromLabel, "|", ...e.toLabel].join("\n");
  // A namespace's stack is drawn where links end on it, or to keep an otherwise empty box.
  const used = new Set(edges.flatMap((e) => [e.from, e.to]));
  const shown = nodes.filter(
    (n) =>
      n.role !== "anchor" ||
      used.has(n.id) ||
      !nodes.some((o) => o.cluster === n.cluster && o.role !== "anchor"),
  );
  const sortedEdges = edges
    .sort((a, b) => (edgeKey(a) < edgeKey(b) ? -1 : edgeKey(a) > edgeKey(b) ? 1 : 0))
    .map((e, i) => ({ id: `e${i}`, ...e }));
  return { title, clusters, nodes: shown, edges: sortedEdges };
}

/** The address of a CIDR (`10.0.1.1/24` → `10.0.1.1`). */
export const hostPart = (cidr: string): string => cidr.split("/")[0] ?? cidr;

/** Whether the picture marks anything as drifted. */
export const hasDrift = (m: GraphModel): boolean =>
  m.clusters.some((c) => c.drift.length > 0) ||
  m.nodes.some((n) => n.drift.length > 0) ||
  m.edges.some((e) => e.drift.length > 0);
