import { hostField } from "./host";
import { z } from "zod";
import { addressList } from "./addresses";
import { formatPath } from "./propertyPath";
import { mtu } from "./mtu";
import { interfaceName, interfaceNameProblems, namespaceName } from "./names";
import { managedByField, stackInstanceField } from "./ownershipFields";
import { quote, ruledString } from "./rules";
import { isUnknown, type Known, orUnknown } from "./unknown";
import {
  type Accumulator,
  cidrSet,
  comparedElsewhere,
  compareFields,
  type DiffRules,
  type InputDiff,
  mayEqual,
  ownershipRules,
  replace,
  resolveObject,
  result,
  update,
} from "./diff";
import { gatewayProblems } from "./route";

/**
 * One host of a Lan: a namespace of its own (named by its key in `hosts`), cabled by a veth pair
 * to the Lan's bridge. Every field changes in place except `interface` and `port`, whose change
 * re-makes this host (and only this host) inside the Lan's update.
 */
export const lanHostSchema = z.strictObject({
  /** The host end's name inside the host's namespace. Changing it re-makes the host. */
  interface: orUnknown(interfaceName).default("eth0"),
  /** The bridge end's name in the Lan's namespace; default: the host's key. Changing it re-makes the host. */
  port: orUnknown(interfaceName).optional(),
  /** Addresses of the host end (CIDR). */
  addresses: orUnknown(addressList).default([]),
  /** MTU of both ends of the host's cable; default: the Lan's `mtu`, else the kernel's. */
  mtu: orUnknown(mtu).optional(),
  /**
   * The host's IPv4 default route: via this address, out of its interface. (IPv6: a `netns.Route`
   * in the host's namespace.)
   */
  gateway: orUnknown(ruledString(ipv4GatewayProblems)).optional(),
});

/** A unicast IPv4 address: `ip -batch` reads a host's default route back only for IPv4. */
function ipv4GatewayProblems(via: string): string[] {
  const problems = gatewayProblems(via);
  if (problems.length > 0 || !via.includes(":")) return problems;
  return [`a Lan host's gateway is IPv4; for an IPv6 default route declare a netns.Route; got ${quote(via)}`];
}

/**
 * A bridge in a namespace of its own and its hosts, each in its own namespace on a veth pair into
 * the bridge: a star as one engine resource. See DESIGN.md "Lan".
 */
export const lanSchema = z
  .strictObject({
    /** The namespace the Lan makes for its bridge. Changing it replaces the Lan. */
    namespace: orUnknown(namespaceName),
    /** The bridge's name in that namespace. Changing it replaces the Lan. */
    bridge: orUnknown(interfaceName).default("br"),
    /** MTU of the bridge and of every cable whose host leaves `mtu` unset. */
    mtu: orUnknown(mtu).optional(),
    /** The hosts, keyed by the name of the namespace each gets. */
    hosts: orUnknown(z.record(namespaceName, orUnknown(lanHostSchema))).default({}),
    /**
     * Whether the hosts' interfaces get an IPv6 link-local address. Default: only when some host
     * has an IPv6 address. Each one's duplicate detection, router solicitations and MLD reports are
     * multicast the bridge floods to every port, so N hosts coming up make N² copies: at 1,000
     * hosts, 1.8 million packets the kernel drops (docs/BENCHMARKS.md). Changing it re-makes every
     * host.
     */
    ipv6LinkLocal: orUnknown(z.boolean()).optional(),
    managedBy: managedByField,
    /** The owning stack's instance id, from the SDK's StackInstance resource; part of the mark. */
    stackInstance: stackInstanceField,
    host: hostField,
  })
  .superRefine(
    (value, ctx) => {
      const hosts = value?.hosts;
      if (typeof hosts !== "object" || hosts === null) return;
      const ports = new Map<string, string>();
      if (typeof value.bridge === "string" && !isUnknown(value.bridge)) ports.set(value.bridge, "the bridge");
      for (const [key, host] of Object.entries(hosts)) {
        if (key === value.namespace) {
          ctx.addIssue({
            code: "custom",
            path: ["hosts", key],
            input: key,
            message: `a host cannot be the Lan's own namespace ${quote(key)}`,
          });
        }
        if (typeof host !== "object" || host === null) continue;
        const port = (host as { port?: unknown }).port ?? key;
        if (typeof port !== "string" || isUnknown(port)) continue;
        if ((host as { port?: unknown }).port === undefined && interfaceNameProblems(port).length > 0) {
          ctx.addIssue({
            code: "custom",
            path: ["hosts", key, "port"],
            input: key,
            message: `the bridge end is named after the host unless \`port\` is set, and ${quote(key)} is no interface name (${interfaceNameProblems(port).join("; ")}): set \`port\``,
          });
          continue;
        }
        const holder = ports.get(port);
        if (holder !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["hosts", key, "port"],
            input: port,
            message: `port ${quote(port)} in the Lan's namespace is also ${holder}`,
          });
        }
        ports.set(port, `the port of host ${quote(key)}`);
      }
    },
    // Runs even when other fields failed, so these failures are reported along with theirs.
    { when: () => true },
  );

export type LanInputs = z.input<typeof lanSchema>;
export type LanChecked = z.output<typeof lanSchema>;
export type LanResolved = Known<LanChecked>;
export type LanHostResolved = Known<z.output<typeof lanHostSchema>>;

/** A host's resolved spec: its port defaulted to its key, its MTU to the Lan's. */
export interface LanHostSpec {
  readonly key: string;
  readonly interface: string;
  readonly port: string;
  readonly addresses: readonly string[];
  readonly mtu: number | undefined;
  readonly gateway: string | undefined;
  /** Whether its interface has an IPv6 link-local address (the Lan's `ipv6LinkLocal`). */
  readonly linkLocal: boolean;
}

/** The Lan's `ipv6LinkLocal`, defaulted: on when any host has an IPv6 address. */
export function lanLinkLocal(inputs: { hosts?: unknown; ipv6LinkLocal?: unknown }): boolean {
  if (typeof inputs.ipv6LinkLocal === "boolean") return inputs.ipv6LinkLocal;
  return Object.values(asRecord(inputs.hosts)).some((host) => {
    const addresses = asRecord(host).addresses;
    return Array.isArray(addresses) && addresses.some((a) => typeof a === "string" && a.includes(":"));
  });
}

/** Every host of resolved inputs, with its defaults applied, in key order. */
export function lanHostSpecs(inputs: Pick<LanResolved, "hosts" | "mtu" | "ipv6LinkLocal">): LanHostSpec[] {
  const linkLocal = lanLinkLocal(inputs);
  return Object.keys(inputs.hosts)
    .sort()
    .map((key) => {
      const host = inputs.hosts[key] as LanHostResolved;
      return {
        key,
        interface: host.interface ?? "eth0",
        port: host.port ?? key,
        addresses: host.addresses ?? [],
        mtu: host.mtu ?? inputs.mtu,
        gateway: host.gateway,
        linkLocal,
      };
    });
}

/** Host fields whose change re-makes the host; the others change in place. */
const hostRules: DiffRules<typeof lanHostSchema> = {
  interface: replace,
  port: replace,
  addresses: cidrSet,
  mtu: update,
  gateway: update,
};

/** What a Lan's update does per host: the keys to add, to remove, to re-make, to change in place. */
export interface LanPlan {
  readonly add: string[];
  readonly remove: string[];
  readonly remake: string[];
  readonly change: string[];
  /** The changed paths, for messages and the diff: `hosts.h1.addresses`, `hosts.h2`. */
  readonly paths: string[];
}

/**
 * The per-host plan between two hosts maps (olds may be outputs, news resolved inputs). A host's
 * effective MTU is compared only where the new inputs set one: an MTU the kernel chose is no drift.
 */
export function planLan(
  olds: { hosts?: unknown; mtu?: unknown },
  news: { hosts?: unknown; mtu?: unknown; ipv6LinkLocal?: unknown },
): LanPlan {
  const prevHosts = asRecord(olds.hosts);
  const nextHosts = asRecord(news.hosts);
  const linkLocal = lanLinkLocal(news);
  const plan: LanPlan = { add: [], remove: [], remake: [], change: [], paths: [] };
  const keys = [...new Set([...Object.keys(prevHosts), ...Object.keys(nextHosts)])].sort();
  for (const key of keys) {
    const path = formatPath(["hosts", key]);
    if (!(key in nextHosts)) {
      plan.remove.push(key);
      plan.paths.push(path);
      continue;
    }
    if (!(key in prevHosts)) {
      plan.add.push(key);
      plan.paths.push(path);
      continue;
    }
    const prev = resolveObject(lanHostSchema.shape, hostRules, prevHosts[key]);
    const next = resolveObject(lanHostSchema.shape, hostRules, nextHosts[key]);
    prev.port ??= key;
    next.port ??= key;
    next.mtu ??= news.mtu;
    if (next.mtu === undefined) delete prev.mtu;
    // Outputs keep the gateway the kernel has; none read back and none wanted are the same.
    const acc: Accumulator = { replaces: [], updates: [] };
    compareFields(acc, hostRules, ["hosts", key], prev, next);
    // Outputs from before the setting existed say nothing; a refresh reads what the kernel has.
    const had = asRecord(prevHosts[key]).ipv6LinkLocal;
    if (typeof had === "boolean" && had !== linkLocal) {
      acc.replaces.push(formatPath(["hosts", key, "ipv6LinkLocal"]));
    }
    if (acc.replaces.length > 0) plan.remake.push(key);
    else if (acc.updates.length > 0) plan.change.push(key);
    plan.paths.push(...acc.replaces, ...acc.updates);
  }
  return plan;
}

const asRecord = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

const lanRules: DiffRules<typeof lanSchema> = {
  namespace: replace,
  bridge: replace,
  mtu: update,
  // Per host, below: a host re-made is part of the Lan's update, never a replacement of the Lan.
  hosts: comparedElsewhere,
  ipv6LinkLocal: comparedElsewhere,
  managedBy: ownershipRules.managedBy,
  stackInstance: ownershipRules.stackInstance,
  host: ownershipRules.host,
};

/**
 * The Lan's diff: its namespace or bridge name replaces it; anything about a host is an update of
 * the Lan (see {@link planLan} for what that update does to each host). An unknown hosts map
 * (preview) may change any host.
 */
export function diffLan(olds: unknown, news: unknown): InputDiff {
  const prev = resolveObject(lanSchema.shape, lanRules, olds);
  const next = resolveObject(lanSchema.shape, lanRules, news);
  const acc: Accumulator = { replaces: [], updates: [] };
  compareFields(acc, lanRules, [], prev, next);
  if (isUnknown(next.hosts)) acc.updates.push("hosts");
  else if (isUnknown(next.ipv6LinkLocal)) acc.updates.push("ipv6LinkLocal");
  else {
    const plan = planLan(asRecord(olds), {
      hosts: next.hosts,
      mtu: next.mtu,
      ipv6LinkLocal: next.ipv6LinkLocal,
    });
    acc.updates.push(...plan.paths);
  }
  return result(acc, () => mayEqual(prev.namespace, next.namespace));
}
