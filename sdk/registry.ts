import * as pulumi from "@pulumi/pulumi";
import type { References, Use } from "../provider/schema/references";

// What this program declared, by plain names: a resource that names a namespace, a master or a
// route's device as a plain string (not the declaring resource's output) still waits for the
// resource that makes it, instead of racing it.
const namespaces = new Map<string, pulumi.Resource>();
const links = new Map<string, pulumi.Resource>();

const plain = (v: unknown): v is string => typeof v === "string";
const linkKey = (namespace: string | undefined, name: string) => `${namespace ?? ""}/${name}`;

export function declareNamespace(name: unknown, resource: pulumi.Resource): void {
  if (plain(name)) namespaces.set(name, resource);
}

/** Records a link (a bridge, a tap, a veth end) declared with a plain namespace and name. */
export function declareLink(link: { namespace?: unknown; name?: unknown }, resource: pulumi.Resource): void {
  if (plain(link.name) && (link.namespace === undefined || plain(link.namespace))) {
    links.set(linkKey(link.namespace, link.name), resource);
  }
}

/**
 * `opts` with a dependency on each declared namespace and link that `refs` name as plain strings;
 * and replaced with whatever makes a link this one is made on (`lower`: the kernel deletes a
 * macvlan with its parent, so a replaced parent must replace it too, even when the parent's name
 * stays the same).
 */
export function withDeclaredDependencies<T extends pulumi.CustomResourceOptions>(
  opts: T | undefined,
  refs: readonly Use[],
): T | undefined {
  const declaredLink = (namespace: unknown, name: unknown) =>
    (namespace === undefined || plain(namespace)) && plain(name)
      ? links.get(linkKey(namespace, name))
      : undefined;
  const found = refs.flatMap((ref) => {
    const deps: pulumi.Resource[] = [];
    if (plain(ref.namespace) && namespaces.has(ref.namespace)) deps.push(namespaces.get(ref.namespace)!);
    for (const name of [ref.master, ref.dev, ref.lower]) {
      const link = declaredLink(ref.namespace, name);
      if (link) deps.push(link);
    }
    return deps;
  });
  const lowers = refs.flatMap((ref) => {
    const declared = declaredLink(ref.namespace, ref.lower);
    return declared ? [declared] : resourcesOf(ref.lower);
  });
  if (found.length === 0 && lowers.length === 0) return opts;
  const existing = opts?.dependsOn;
  const dependsOn =
    found.length === 0
      ? existing
      : existing === undefined
        ? found
        : pulumi.output(existing).apply((d) => [...(Array.isArray(d) ? d : [d]), ...found]);
  return {
    ...(opts as T),
    ...(dependsOn !== undefined ? { dependsOn } : {}),
    ...(lowers.length > 0 ? { replaceWith: [...(opts?.replaceWith ?? []), ...lowers] } : {}),
  };
}

/**
 * The resources an output was computed from, as the SDK records them on it (`resources()`, which
 * it uses for the output's own dependencies); none for a plain value.
 */
function resourcesOf(value: unknown): pulumi.Resource[] {
  if (!pulumi.Output.isInstance(value)) return [];
  const resources = (value as { resources?: () => Set<pulumi.Resource> }).resources;
  return typeof resources === "function" ? [...resources.call(value)] : [];
}

/** Records what `resource` makes under plain names (its kind's references), for later resources. */
export function declareReferences(references: References, resource: pulumi.Resource): void {
  declareNamespace(references.namespace, resource);
  for (const link of references.links) declareLink(link, resource);
}
