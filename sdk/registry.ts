import * as pulumi from "@pulumi/pulumi";
import type { References, Use } from "../provider/schema/references";

// What this program declared, by plain names: a resource that names a namespace, a master or a
// route's device as a plain string (not the declaring resource's output) still waits for the
// resource that makes it, instead of racing it. Names are per machine: "hub" on two machines is two
// namespaces, so each name is kept with the machine it was declared on.

/** A machine as the registry tells them apart: its address and port; `*` when not known yet. */
type MachineKey = string;
const THIS_MACHINE: MachineKey = "local";
const ANY_MACHINE: MachineKey = "*";

/**
 * The machine a resource's `host` input names: this one when unset, `ADDRESS:PORT` when given as
 * plain values, and "any machine" when it is an output not known yet (it then waits for every
 * resource of that name, and every resource of that name waits for it: a dependency too many
 * costs only parallelism, one too few is a race).
 */
export function machineKey(host: unknown): MachineKey {
  if (host === undefined) return THIS_MACHINE;
  if (typeof host !== "object" || host === null || pulumi.Output.isInstance(host)) return ANY_MACHINE;
  const { address, port } = host as { address?: unknown; port?: unknown };
  if (typeof address !== "string" || (port !== undefined && typeof port !== "number")) return ANY_MACHINE;
  return `${address}:${port ?? 22}`;
}

interface Declared {
  readonly machine: MachineKey;
  readonly resource: pulumi.Resource;
}
const namespaces = new Map<string, Declared[]>();
const links = new Map<string, Declared[]>();

const plain = (v: unknown): v is string => typeof v === "string";
const linkKey = (namespace: string | undefined, name: string) => `${namespace ?? ""}/${name}`;

/** Records `resource` under `key` on `machine`, in place of an earlier one there. */
function remember(map: Map<string, Declared[]>, key: string, machine: MachineKey, resource: pulumi.Resource) {
  map.set(key, [...(map.get(key) ?? []).filter((d) => d.machine !== machine), { machine, resource }]);
}

/** What was declared under `key` on `machine` (or where either machine is not known yet). */
function recall(map: Map<string, Declared[]>, key: string, machine: MachineKey): pulumi.Resource[] {
  return (map.get(key) ?? [])
    .filter((d) => d.machine === machine || d.machine === ANY_MACHINE || machine === ANY_MACHINE)
    .map((d) => d.resource);
}

export function declareNamespace(name: unknown, resource: pulumi.Resource, machine = THIS_MACHINE): void {
  if (plain(name)) remember(namespaces, name, machine, resource);
}

/** Records a link (a bridge, a tap, a veth end) declared with a plain namespace and name. */
export function declareLink(
  link: { namespace?: unknown; name?: unknown },
  resource: pulumi.Resource,
  machine = THIS_MACHINE,
): void {
  if (plain(link.name) && (link.namespace === undefined || plain(link.namespace))) {
    remember(links, linkKey(link.namespace, link.name), machine, resource);
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
  machine = THIS_MACHINE,
): T | undefined {
  const declaredLink = (namespace: unknown, name: unknown) =>
    (namespace === undefined || plain(namespace)) && plain(name)
      ? recall(links, linkKey(namespace, name), machine)
      : [];
  const found = refs.flatMap((ref) => {
    const deps = plain(ref.namespace) ? recall(namespaces, ref.namespace, machine) : [];
    for (const name of [ref.master, ref.dev, ref.lower]) deps.push(...declaredLink(ref.namespace, name));
    return deps;
  });
  const lowers = refs.flatMap((ref) => {
    const declared = declaredLink(ref.namespace, ref.lower);
    return declared.length > 0 ? declared : resourcesOf(ref.lower);
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
export function declareReferences(
  references: References,
  resource: pulumi.Resource,
  machine = THIS_MACHINE,
): void {
  declareNamespace(references.namespace, resource, machine);
  for (const link of references.links) declareLink(link, resource, machine);
}
