// Recorded data for the CLI's unit tests: exported states shaped as `pulumi stack export` prints
// them (3.276, file backend), and kernel inventories as provider/kernel/inventory.ts reads them.
import { linkGroupFor, MARK_PREFIX } from "../../../provider/kernel/ip";
import type {
  FoundLink,
  FoundNamespace,
  FoundRecord,
  FoundRoute,
  Inventory,
} from "../../../provider/kernel/inventory";
import type { NamespaceFacts } from "../../../provider/kernel/netns";
import { routeRecordFile } from "../../../provider/kernel/route";

export const DEV = "0a1b2c3d4e5f6071";
export const PROD = "1b2c3d4e5f607182";
export const LOST = "2c3d4e5f60718293";
export const DESTROYED = "3d4e5f6071829304";

export const mark = (
  instance: string | undefined,
  stack: string,
  kind: string,
  name: string,
  project = "lab",
) => [instance, project, stack, kind, name].filter((p) => p !== undefined).join("/");

const TYPE = "pulumi-nodejs:dynamic/netns:";

function resource(stack: string, kind: string, name: string, outputs: Record<string, unknown>) {
  const urn = `urn:pulumi:${stack}::lab::${TYPE}${kind}::${name}`;
  return {
    urn,
    custom: true,
    id: `id-${name}`,
    type: `${TYPE}${kind}`,
    inputs: { __provider: "exports.handler = ...", ...outputs },
    outputs,
    parent: `urn:pulumi:${stack}::lab::pulumi:pulumi:Stack::lab-${stack}`,
    provider: `urn:pulumi:${stack}::lab::pulumi:providers:pulumi-nodejs::default::0000`,
    created: "2025-01-01T00:00:00.000Z",
    modified: "2025-01-01T00:00:00.000Z",
  };
}

/** An exported deployment of stack `stack` of project "lab" with `resources` and pending creates. */
export function exported(
  stack: string,
  instance: string | undefined,
  resources: { kind: string; name: string; outputs: Record<string, unknown> }[],
  pending: { kind: string; name: string; inputs: Record<string, unknown> }[] = [],
) {
  const owned = (kind: string, name: string, props: Record<string, unknown>) => ({
    ...props,
    managedBy: `lab/${stack}/${kind}/${name}`,
    ...(instance !== undefined ? { stackInstance: instance } : {}),
    adopt: false,
  });
  return {
    version: 3,
    deployment: {
      manifest: { time: "2025-01-01T00:00:00Z", magic: "", version: "v3.276.0" },
      secrets_providers: { type: "passphrase", state: { salt: "v1:x" } },
      resources: [
        {
          urn: `urn:pulumi:${stack}::lab::pulumi:pulumi:Stack::lab-${stack}`,
          custom: false,
          type: "pulumi:pulumi:Stack",
        },
        ...(instance !== undefined
          ? [resource(stack, "StackInstance", "pulumi-netns-stack", { instance })]
          : []),
        ...resources.map((r) => resource(stack, r.kind, r.name, owned(r.kind, r.name, r.outputs))),
      ],
      pending_operations: pending.map((p) => ({
        resource: { ...resource(stack, p.kind, p.name, {}), inputs: owned(p.kind, p.name, p.inputs) },
        type: "creating",
      })),
    },
  };
}

export const ns = (
  name: string,
  m: string | undefined,
  extra: Partial<FoundNamespace> = {},
): FoundNamespace => {
  const found = {
    name,
    mark: m,
    pristine: false,
    staleFile: false,
    inode: 4026532000 + name.length,
    links: [],
    ...extra,
  };
  // What the kernel would show of it: `lo` with the mark (up once used), and the links it holds.
  const facts: NamespaceFacts = found.staleFile
    ? { file: "stale", links: [] }
    : {
        file: "mounted",
        inode: found.inode,
        links: [
          {
            name: "lo",
            alias: m === undefined ? undefined : MARK_PREFIX + m,
            group: 0,
            adminUp: !found.pristine,
          },
          ...found.links.map((l) => ({ name: l, alias: undefined, group: 0, adminUp: true })),
        ],
      };
  return { facts, ...found };
};

let ifindex = 10;
export const link = (
  netns: string | undefined,
  name: string,
  m: string | undefined,
  extra: Partial<FoundLink> = {},
): FoundLink => ({
  netns,
  name,
  ifindex: ifindex++,
  kind: "veth",
  mark: m,
  otherAlias: undefined,
  group: m === undefined ? 0 : linkGroupFor(m),
  ...extra,
});

export const route = (netns: string | undefined, destination: string, extra: Partial<FoundRoute> = {}) => ({
  netns,
  destination,
  table: 254,
  metric: 0,
  via: "10.0.0.1",
  dev: "eth0",
  ...extra,
});

const OLD = Date.parse("2025-01-01T00:00:00Z");
export const NOW = OLD + 3_600_000;

export const netnsRecord = (name: string, m: string, modifiedMs = OLD): FoundRecord => ({
  kind: "namespace",
  file: name,
  mark: m,
  details: [],
  modifiedMs,
});

export function routeRecord(r: FoundRoute, m: string, modifiedMs = OLD): FoundRecord {
  return {
    kind: "route",
    file: routeRecordFile(r.netns, r),
    mark: m,
    details: [
      JSON.stringify({
        netns: r.netns ?? null,
        destination: r.destination,
        table: r.table,
        metric: r.metric,
      }),
    ],
    modifiedMs,
  };
}

export const instanceRecord = (
  instance: string,
  owner?: { project: string; stack: string },
): FoundRecord => ({
  kind: "instance",
  file: instance,
  mark: instance,
  details: [JSON.stringify({ destroyed: "2025-01-01T00:00:00.000Z", ...owner })],
  modifiedMs: OLD,
});

export const inventory = (parts: Partial<Inventory>): Inventory => ({
  namespaces: [],
  links: [],
  routes: [],
  records: [],
  processes: [],
  ...parts,
});
