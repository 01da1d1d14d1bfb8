import * as pulumi from "@pulumi/pulumi";

// What this program declared, by plain names: a link that names its namespace or master as a
// plain string (not the resource's output) still waits for that resource, instead of racing it.
const namespaces = new Map<string, pulumi.Resource>();
const bridges = new Map<string, pulumi.Resource>();

const plain = (v: unknown): v is string => typeof v === "string";
const bridgeKey = (namespace: unknown, name: string) => `${plain(namespace) ? namespace : ""}/${name}`;

export function declareNamespace(name: unknown, resource: pulumi.Resource): void {
  if (plain(name)) namespaces.set(name, resource);
}

export function declareBridge(namespace: unknown, name: unknown, resource: pulumi.Resource): void {
  if (plain(name) && (namespace === undefined || plain(namespace)))
    bridges.set(bridgeKey(namespace, name), resource);
}

/** `opts` with a dependency on each declared namespace and bridge that `links` name as plain strings. */
export function withDeclaredDependencies<T extends pulumi.CustomResourceOptions>(
  opts: T | undefined,
  links: readonly { namespace?: unknown; master?: unknown }[],
): T | undefined {
  const found = links.flatMap((link) => [
    ...(plain(link.namespace) && namespaces.has(link.namespace) ? [namespaces.get(link.namespace)!] : []),
    ...(plain(link.master) && (link.namespace === undefined || plain(link.namespace))
      ? [bridges.get(bridgeKey(link.namespace, link.master))].filter((r) => r !== undefined)
      : []),
  ]);
  if (found.length === 0) return opts;
  const existing = opts?.dependsOn;
  const dependsOn =
    existing === undefined
      ? found
      : pulumi.output(existing).apply((d) => [...(Array.isArray(d) ? d : [d]), ...found]);
  return { ...(opts as T), dependsOn };
}
