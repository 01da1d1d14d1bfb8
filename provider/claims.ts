// Rules that span resources, checked at preview time. The engine checks every resource of one
// operation (preview, up) through the same provider process, one registration at a time, and a
// resource is registered only once the outputs it uses are known: so when a link that names
// `master: br.name` is checked, the bridge has been. This process-wide record of what each
// resource declared is what those rules consult; names the stack does not declare are looked up
// in the kernel (an existing host bridge is a fine master).
import type * as pulumi from "@pulumi/pulumi";
import { NotFoundError } from "./kernel/errors";
import { currentHost } from "./kernel/host";
import { linkShow } from "./kernel/link";
import { netnsExists } from "./kernel/netns";
import { describeNamespace } from "./lifecycle";
import type { LinkKernelKind } from "./kinds";
import { isUnknown } from "./schema/unknown";
import type { DeclaredLink } from "./schema/references";
import { canonicalDestination, destinationFamily, effectiveMetric, tableId } from "./schema/route";

type CheckFailure = pulumi.dynamic.CheckFailure;

/** What the stack declared on one machine: names on two machines never collide. */
interface Declared {
  readonly namespaces: Map<string, string>;
  readonly routes: Map<string, string>;
  readonly links: Map<string, { kind: string; managedBy: string }>;
  readonly vnis: Map<string, { name: string; managedBy: string }>;
  readonly services: Map<string, string>;
}

const byHost = new Map<string, Declared>();

/** The claims of the machine the current check works on (provider/host.ts). */
function here(): Declared {
  const label = currentHost().label;
  let declared = byHost.get(label);
  if (declared === undefined) {
    declared = {
      namespaces: new Map(),
      routes: new Map(),
      links: new Map(),
      vnis: new Map(),
      services: new Map(),
    };
    byHost.set(label, declared);
  }
  return declared;
}

/** The kernel kind a master must be; a registered kind's, or this fails to compile. */
const BRIDGE = "bridge" satisfies LinkKernelKind;

const known = (v: unknown): v is string => typeof v === "string" && !isUnknown(v);
const linkKey = (namespace: string | undefined, name: string) => `${namespace ?? ""}/${name}`;
const owner = (managedBy: string) => decodeURIComponent(managedBy.split("/").slice(-2).join(" "));

/** Records a Namespace; a second resource declaring the same name fails. */
export function claimNamespace(name: unknown, managedBy: unknown): CheckFailure[] {
  if (!known(name) || !known(managedBy)) return [];
  const holder = here().namespaces.get(name);
  if (holder !== undefined && holder !== managedBy) {
    return [
      { property: "name", reason: `namespace ${JSON.stringify(name)} is also declared by ${owner(holder)}` },
    ];
  }
  here().namespaces.set(name, managedBy);
  return [];
}

/**
 * Records the links a resource of kernel kind `kind` makes and checks where they go: each link's (namespace, name) belongs to
 * one resource, its namespace is declared in the stack or exists, and its master is a bridge in
 * the same namespace.
 */
export async function claimLinks(
  managedBy: unknown,
  kind: string,
  declared: readonly DeclaredLink[],
): Promise<CheckFailure[]> {
  if (!known(managedBy)) return [];
  const failures: CheckFailure[] = [];
  for (const link of declared) {
    if (!known(link.name) || (link.namespace !== undefined && !known(link.namespace))) continue;
    const namespace = link.namespace;
    const key = linkKey(namespace, link.name);
    const holder = here().links.get(key);
    if (holder !== undefined && holder.managedBy !== managedBy) {
      failures.push({
        property: `${link.path}name`,
        reason: `interface ${JSON.stringify(link.name)} in ${describeNamespace(namespace)} is also declared by ${owner(holder.managedBy)}`,
      });
      continue;
    }
    here().links.set(key, { kind, managedBy });
    if (namespace !== undefined && !here().namespaces.has(namespace) && !(await netnsExists(namespace))) {
      failures.push({
        property: `${link.path}namespace`,
        reason:
          `namespace ${JSON.stringify(namespace)} is not declared in this stack and does not exist: ` +
          "declare a netns.Namespace and pass its `name` output, so the link waits for it",
      });
      continue;
    }
    failures.push(...(await checkMaster(link, namespace)), ...(await checkParent(link, namespace)));
  }
  return failures;
}

/** The link in the kernel, if any. Only absence counts as absence: a permission error or a missing `ip` raises. */
async function existingLink(namespace: string | undefined, name: string) {
  return linkShow(namespace, name).catch((e: unknown) => {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  });
}

/**
 * A link made on another (a macvlan's parent) needs that link in the parent's namespace: declared
 * in this stack (any kind) or existing. One that exists but is not the stack's is fine to name:
 * it is only referenced, never changed.
 */
async function checkParent(link: DeclaredLink, namespace: string | undefined): Promise<CheckFailure[]> {
  const { parent, parentNamespace } = link;
  if (!known(parent) || (parentNamespace !== undefined && !known(parentNamespace))) return [];
  const where = parentNamespace ?? namespace;
  if (here().links.has(linkKey(where, parent))) return [];
  if (where !== undefined && !here().namespaces.has(where) && !(await netnsExists(where))) {
    return [
      {
        property: `${link.path}parentNamespace`,
        reason:
          `namespace ${JSON.stringify(where)} of parent ${JSON.stringify(parent)} is not declared in this stack ` +
          "and does not exist: declare a netns.Namespace and pass its `name` output",
      },
    ];
  }
  if (await existingLink(where, parent)) return [];
  return [
    {
      property: `${link.path}parent`,
      reason:
        `no link ${JSON.stringify(parent)} is declared in ${describeNamespace(where)} in this stack or exists ` +
        "there: declare it (a netns.VethPair end, a netns.Bridge, ...) and pass its `name` output",
    },
  ];
}

async function checkMaster(link: DeclaredLink, namespace: string | undefined): Promise<CheckFailure[]> {
  const master = link.master;
  if (!known(master)) return [];
  const property = `${link.path}master`;
  const where = describeNamespace(namespace);
  const declared = here().links.get(linkKey(namespace, master));
  if (declared) {
    return declared.kind === BRIDGE
      ? []
      : [
          {
            property,
            reason: `master ${JSON.stringify(master)} in ${where} is a ${declared.kind}, not a bridge`,
          },
        ];
  }
  const elsewhere = [...here().links].find(([key, l]) => l.kind === BRIDGE && key.endsWith(`/${master}`));
  if (elsewhere) {
    const other = elsewhere[0].slice(0, -master.length - 1);
    return [
      {
        property,
        reason:
          `bridge ${JSON.stringify(master)} is in ${describeNamespace(other || undefined)}, not in ${where}: ` +
          "a port and its bridge must share a namespace",
      },
    ];
  }
  const existing = await existingLink(namespace, master);
  if (existing?.kind === BRIDGE) return [];
  return [
    {
      property,
      reason: existing
        ? `master ${JSON.stringify(master)} in ${where} is a ${existing.kind ?? "device"}, not a bridge`
        : `no bridge ${JSON.stringify(master)} is declared in ${where} in this stack or exists there: ` +
          "declare a netns.Bridge and pass its `name` output",
    },
  ];
}

/** What a Route declares: the kernel's key of the route, in its namespace. */
export interface RouteDeclaration {
  readonly managedBy: unknown;
  readonly namespace?: unknown;
  readonly destination: unknown;
  readonly via?: unknown;
  readonly table?: unknown;
  readonly metric?: unknown;
}

/**
 * Records a Route's key (namespace, table, destination, metric); a second resource declaring the
 * same key fails: the kernel holds one route there, and two resources would fight over it.
 */
export function claimRoute(route: RouteDeclaration): CheckFailure[] {
  const { managedBy, destination } = route;
  if (!known(managedBy) || !known(destination)) return [];
  if ([route.namespace, route.via, route.table, route.metric].some(isUnknown)) return [];
  const via = route.via as string | undefined;
  const family = destinationFamily(destination, via);
  const key = JSON.stringify([
    route.namespace ?? null,
    tableId(route.table as string | number | undefined),
    effectiveMetric(route.metric as number | undefined, family),
    canonicalDestination(destination, via),
  ]);
  const holder = here().routes.get(key);
  if (holder !== undefined && holder !== managedBy) {
    return [
      {
        property: "destination",
        reason:
          `the route to ${destination} in ${describeNamespace(route.namespace as string | undefined)} (same table ` +
          `and metric) is also declared by ${owner(holder)}: the kernel keeps one route per destination, ` +
          "table and metric",
      },
    ];
  }
  here().routes.set(key, managedBy);
  return [];
}

/**
 * Records a Service's (namespace, name); a second resource declaring it fails: one record, one
 * log and one process per name in a namespace.
 */
export function claimService(namespace: unknown, name: unknown, managedBy: unknown): CheckFailure[] {
  if (!known(namespace) || !known(name) || !known(managedBy)) return [];
  const key = JSON.stringify([namespace, name]);
  const holder = here().services.get(key);
  if (holder !== undefined && holder !== managedBy) {
    return [
      {
        property: "name",
        reason: `service ${JSON.stringify(name)} in ${describeNamespace(namespace)} is also declared by ${owner(holder)}`,
      },
    ];
  }
  here().services.set(key, managedBy);
  return [];
}

/** What a Vxlan declares: the kernel's key of a VXLAN device in its namespace, and its underlay. */
export interface VxlanDeclaration {
  readonly managedBy: unknown;
  readonly namespace?: unknown;
  readonly name: unknown;
  readonly vni: unknown;
  readonly dstPort: unknown;
  /** 4 or 6; undefined while an address is not known. */
  readonly family: 4 | 6 | undefined;
  readonly dev?: unknown;
}

/**
 * Records a Vxlan's (namespace, VNI, port, address family): the kernel refuses a second VXLAN
 * device with the same key in one namespace ("A VXLAN device with the specified VNI already
 * exists"; it compares VNI, port and family, not local or remote). And its underlay `dev` must
 * be a link declared in the same namespace or existing there.
 */
export async function claimVxlan(vxlan: VxlanDeclaration): Promise<CheckFailure[]> {
  const { managedBy, namespace, name, vni, dstPort, family } = vxlan;
  const failures: CheckFailure[] = [];
  if (known(managedBy) && (namespace === undefined || known(namespace))) {
    if (typeof vni === "number" && typeof dstPort === "number" && family !== undefined) {
      const key = JSON.stringify([namespace ?? null, vni, dstPort, family]);
      const holder = here().vnis.get(key);
      if (holder !== undefined && holder.managedBy !== managedBy) {
        failures.push({
          property: "vni",
          reason:
            `VNI ${vni} on UDP port ${dstPort} (IPv${family}) in ${describeNamespace(namespace)} is also declared by ` +
            `${owner(holder.managedBy)} (device ${JSON.stringify(holder.name)}): the kernel allows one VXLAN device ` +
            "per VNI, port and address family in a namespace",
        });
      } else here().vnis.set(key, { name: String(name), managedBy });
    }
    if (known(vxlan.dev)) failures.push(...(await checkUnderlay(namespace, vxlan.dev)));
  }
  return failures;
}

async function checkUnderlay(namespace: string | undefined, dev: string): Promise<CheckFailure[]> {
  if (here().links.has(linkKey(namespace, dev))) return [];
  const existing = await existingLink(namespace, dev);
  if (existing) return [];
  const where = describeNamespace(namespace);
  const elsewhere = [...here().links.keys()].find((key) => key.endsWith(`/${dev}`));
  if (elsewhere !== undefined) {
    const other = elsewhere.slice(0, -dev.length - 1);
    return [
      {
        property: "dev",
        reason:
          `interface ${JSON.stringify(dev)} is declared in ${describeNamespace(other || undefined)}, not in ${where}: ` +
          "a VXLAN device and its underlay must share a namespace",
      },
    ];
  }
  return [
    {
      property: "dev",
      reason:
        `no interface ${JSON.stringify(dev)} is declared in ${where} in this stack or exists there: ` +
        "declare the underlay (a netns.VethPair end, say) and pass its name",
    },
  ];
}
