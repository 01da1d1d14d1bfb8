/**
 * What a resource's inputs name that other resources make: the part of a kind's descriptor that
 * preview-time claims (provider/claims.ts) and the SDK's declared-name dependencies
 * (sdk/registry.ts) both read. Values may be anything the user passed (a plain string, an unknown
 * sentinel, a Pulumi output in the SDK): readers act on plain strings only.
 */
import { formatPath } from "./propertyPath";

/** A link a resource makes. */
export interface DeclaredLink {
  /** Where its fields are in the inputs, for failures: `""` for a bridge or tap, `a.` for a veth end. */
  readonly path: string;
  readonly namespace?: unknown;
  readonly name: unknown;
  /** The bridge it is a port of. */
  readonly master?: unknown;
  /** The link it is made on (a macvlan's parent), in {@link parentNamespace}. */
  readonly parent?: unknown;
  /** Where {@link parent} is: the link's own namespace when undefined. */
  readonly parentNamespace?: unknown;
}

/** A name the resource uses that another resource may make: a namespace, and a link in it. */
export interface Use {
  readonly namespace?: unknown;
  readonly master?: unknown;
  readonly dev?: unknown;
  /**
   * A link (in `namespace`) this one is made on: the kernel deletes this one with it, so
   * replacing it must replace this one too.
   */
  readonly lower?: unknown;
}

export interface References {
  /** The namespace the resource makes. */
  readonly namespace?: unknown;
  /** Namespaces it makes besides {@link namespace}: a Lan's hosts. */
  readonly extraNamespaces?: readonly unknown[];
  /** The links the resource makes. */
  readonly links: readonly DeclaredLink[];
  /** What it must wait for: its links' namespaces and masters, a route's namespace and device. */
  readonly uses: readonly Use[];
}

const fields = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};

/** The references of a link at `path` (`""` or `a.`) of the inputs. */
function linkAt(path: string, raw: unknown): DeclaredLink {
  const { namespace, name, master } = fields(raw);
  return { path, namespace, name, master };
}

/** A kind that is one link (bridge, tap): it makes that link in its namespace, under its master. */
export function singleLinkReferences(inputs: unknown): References {
  const link = linkAt("", inputs);
  return { links: [link], uses: [{ namespace: link.namespace, master: link.master }] };
}

/**
 * A VXLAN device is one link that sends through its underlay `dev`, in its own namespace. The
 * kernel deletes it with its underlay, so the underlay is also its `lower`.
 */
export function vxlanReferences(inputs: unknown): References {
  const single = singleLinkReferences(inputs);
  const { namespace, dev } = fields(inputs);
  return { ...single, uses: [...single.uses, { namespace, dev, lower: dev }] };
}

/**
 * A link made on another (macvlan, macvtap): one link, which also uses its parent in the parent's
 * namespace (its own when `parentNamespace` is omitted).
 */
export function lowerLinkReferences(inputs: unknown): References {
  const { parent, parentNamespace } = fields(inputs);
  const link = { ...linkAt("", inputs), parent, parentNamespace };
  return {
    links: [link],
    uses: [
      { namespace: link.namespace, master: link.master },
      { namespace: parentNamespace ?? link.namespace, lower: parent },
    ],
  };
}

/** A veth pair makes its two ends, each in its own namespace, under its own master. */
export function vethPairReferences(inputs: unknown): References {
  const { a, b } = fields(inputs);
  const ends = [
    ["a.", a],
    ["b.", b],
  ] as const;
  // An end not known yet (the unknown sentinel) declares nothing.
  const links = ends.filter(([, end]) => isObject(end)).map(([path, end]) => linkAt(path, end));
  return { links, uses: links.map(({ namespace, master }) => ({ namespace, master })) };
}

/** A namespace makes itself. */
export function namespaceReferences(inputs: unknown): References {
  return { namespace: fields(inputs).name, links: [], uses: [] };
}

/** A route lives in a namespace and may leave by a device another resource makes. */
export function routeReferences(inputs: unknown): References {
  const { namespace, dev } = fields(inputs);
  return { links: [], uses: [{ namespace, dev }] };
}

/** What names nothing (the stack's StackInstance). */
export function noReferences(): References {
  return { links: [], uses: [] };
}

// A Pulumi output or promise in the SDK reads as an object whose fields are no plain strings, so
// it declares nothing either.
function isObject(v: unknown): v is object {
  return typeof v === "object" && v !== null;
}

/**
 * A Lan makes its namespace, its bridge there, and per host a veth pair: the port in the Lan's
 * namespace under the bridge, the host's end in the host's namespace (named by its key).
 */
export function lanReferences(inputs: unknown): References {
  const { namespace, bridge, hosts } = fields(inputs);
  const bridgeName = bridge ?? "br";
  const links: DeclaredLink[] = [{ path: "", namespace, name: bridgeName }];
  if (isObject(hosts) && !Array.isArray(hosts)) {
    for (const [key, raw] of Object.entries(hosts)) {
      const host = fields(raw);
      const path = `${formatPath(["hosts", key])}.`;
      links.push({ path, namespace, name: host.port ?? key, master: bridgeName });
      links.push({ path, namespace: key, name: host.interface ?? "eth0" });
    }
  }
  const extraNamespaces = isObject(hosts) && !Array.isArray(hosts) ? Object.keys(hosts) : [];
  return { namespace, extraNamespaces, links, uses: [] };
}

/** A service uses its namespace, and makes no link. */
export function serviceReferences(inputs: unknown): References {
  const namespace =
    typeof inputs === "object" && inputs !== null ? (inputs as { namespace?: unknown }).namespace : undefined;
  return { links: [], uses: [{ namespace }] };
}
