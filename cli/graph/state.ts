// The picture from a stack's state (the default): what its resources say they made, each kind read
// through its descriptor's `references` (so a new link kind draws without code here), with drift
// against the kernel marked: an object missing from the kernel (or only a look-alike there), a
// port whose master is not the one the state holds. A service's process comes from the kind's
// `holdings`, as ls and gc read it, and is drift when it does not run.
import { MARK_PREFIX } from "../../provider/kernel/ip";
import type { Topology } from "./topology";
import { ownerMark } from "../../provider/ownership";
import type { References } from "../../provider/schema/references";
import { RESOURCE_TYPE_PREFIX } from "../stackView";
import { liveFacts } from "./live";
import type { HoldingsOf } from "../../provider/holdings";
import {
  buildGraph,
  refKey,
  type GraphModel,
  type LinkFacts,
  type NamespaceFacts,
  type ProcessNodeFacts,
} from "./model";

/** What the picture needs of a kind's descriptor (provider/kind.ts). */
export interface KindInfo {
  readonly kernelKind: string | undefined;
  readonly references: (inputs: unknown) => References;
  /** What its state holds in the kernel; the picture draws the processes among it. */
  readonly holdings?: HoldingsOf;
}

/** A kind's descriptor by its name; undefined for a kind this version does not know. */
export type KindLookup = (kind: string) => KindInfo | undefined;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {};
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];

export const MISSING = "missing from the kernel";
export const LOOK_ALIKE = "in the kernel only as a look-alike that is not this stack's";
export const NOT_RUNNING = "not running in the kernel";

/** The outputs at a declared link's path (`""`: the resource's own, `a.`: its field `a`). */
/** The value at a path as `formatPath` writes it (`a.`, `hosts["h-1"].`), or `{}`. */
function at(props: Json, path: string): Json {
  const segments = [...path.matchAll(/([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)].map(
    (m) => m[1] ?? m[2] ?? (JSON.parse(m[3]!) as string),
  );
  return segments.reduce((o, key) => obj(o[key]), props);
}

/**
 * The facts a deployment (what `pulumi stack export` prints) holds, with drift against
 * `topology` (undefined: the kernel was not read, nothing is marked).
 */
export function stateFacts(
  exported: unknown,
  kindOf: KindLookup,
  topology: Topology | undefined,
): { namespaces: NamespaceFacts[]; links: LinkFacts[]; processes: ProcessNodeFacts[] } {
  const top = obj(exported);
  const deployment = "deployment" in top ? obj(top.deployment) : top;
  const resources = (Array.isArray(deployment.resources) ? deployment.resources : []).map(obj);
  const kernelNs = new Map(topology?.namespaces.map((n) => [n.name, n]));
  const kernelLinks = new Map(topology ? liveFacts(topology, false).links.map((l) => [refKey(l), l]) : []);
  const namespaces: NamespaceFacts[] = [];
  const links: LinkFacts[] = [];
  const processes: ProcessNodeFacts[] = [];
  for (const r of resources) {
    const type = str(r.type);
    if (!type?.startsWith(RESOURCE_TYPE_PREFIX)) continue;
    const info = kindOf(type.slice(RESOURCE_TYPE_PREFIX.length));
    if (info === undefined) continue;
    // What it declared (a port's master) from its inputs; what it made (addresses) from its outputs.
    const inputs = obj(r.inputs);
    const props = { ...inputs, ...obj(r.outputs) };
    const managedBy = str(props.managedBy);
    const mark = managedBy && ownerMark({ managedBy, stackInstance: str(props.stackInstance) });
    for (const { object: o, mark: carried } of mark ? (info.holdings?.(props, mark) ?? []) : []) {
      if (o.type !== "process") continue;
      const kernel = topology?.processes?.find(
        (k) => k.netns === o.netns && k.name === o.name && k.mark === carried && k.running,
      );
      processes.push({
        namespace: o.netns,
        name: o.name,
        program: o.program ?? kernel?.program,
        running: topology ? kernel !== undefined : undefined,
        ours: true,
        drift: topology && kernel === undefined ? [NOT_RUNNING] : [],
      });
    }
    const refs = info.references(Object.keys(inputs).length > 0 ? inputs : props);
    for (const made of [refs.namespace, ...(refs.extraNamespaces ?? [])]) {
      const nsName = str(made);
      if (nsName === undefined) continue;
      const found = kernelNs.get(nsName);
      const carried = found?.mark === undefined ? undefined : MARK_PREFIX + found.mark;
      const drift = !topology ? [] : !found ? [MISSING] : !carriesMark(carried, mark) ? [LOOK_ALIKE] : [];
      namespaces.push({ name: nsName, ours: true, drift });
    }
    const declared = refs.links.flatMap((d) => {
      const name = str(d.name);
      return name === undefined ? [] : [{ ...d, name, namespace: str(d.namespace), master: str(d.master) }];
    });
    for (const d of declared) {
      const out = at(props, d.path);
      const ref = { namespace: d.namespace, name: d.name };
      const kernel = kernelLinks.get(refKey(ref));
      const alias = topology?.namespaces
        .find((n) => n.name === d.namespace)
        ?.links.find((l) => l.state.name === d.name)?.state.alias;
      const drift: string[] = [];
      if (topology && kernel === undefined) drift.push(MISSING);
      else if (topology && !carriesMark(alias, mark)) drift.push(LOOK_ALIKE);
      else if (kernel && kernel.master !== d.master) {
        drift.push(
          d.master === undefined
            ? `a port of ${kernel.master} in the kernel, of no bridge in the state`
            : kernel.master === undefined
              ? `lost its master ${d.master}`
              : `its master is ${kernel.master}, not ${d.master}`,
        );
      }
      // Ends declared together are a pair: a veth pair's two, or the two links of one path (a Lan's
      // host cable); a single link is layered on what the kernel says.
      const samePath = declared.filter((o) => o !== d && o.path === d.path);
      const partner =
        declared.length === 2
          ? declared.find((o) => o !== d)
          : samePath.length === 1
            ? samePath[0]
            : undefined;
      const proven = drift.length === 0 || !drift.includes(LOOK_ALIKE) ? kernel : undefined;
      links.push({
        ...ref,
        kind: info.kernelKind ?? proven?.kind,
        tap: proven?.tap ?? info.kernelKind === "tun",
        // Where one path holds several links (a Lan's host: its interface and its bridge port),
        // its addresses are the interface's; a bridge port carries none.
        addresses:
          d.master !== undefined && declared.some((o) => o !== d && o.path === d.path)
            ? []
            : strings(out.addresses),
        mtu: num(out.mtu) ?? num(props.mtu),
        master: d.master,
        lower: partner ? { namespace: partner.namespace, name: partner.name } : proven?.lower,
        tunnel: partner ? undefined : proven?.tunnel,
        ...(proven?.detail !== undefined ? { detail: proven.detail } : {}),
        ours: true,
        drift,
      });
    }
  }
  return { namespaces, links, processes };
}

/**
 * A link carries the resource's mark, or a mark below it: a Lan marks each host's objects with its
 * own mark and the host's key (provider/lan.ts `hostMark`).
 */
function carriesMark(alias: string | undefined, mark: string | undefined): boolean {
  if (alias === undefined || mark === undefined) return false;
  return alias === MARK_PREFIX + mark || alias.startsWith(`${MARK_PREFIX}${mark}/`);
}

export function stateGraph(
  title: string,
  exported: unknown,
  kindOf: KindLookup,
  topology: Topology | undefined,
): GraphModel {
  const { namespaces, links, processes } = stateFacts(exported, kindOf, topology);
  return buildGraph(title, namespaces, links, processes);
}
