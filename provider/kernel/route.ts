import { createHash } from "node:crypto";
import { canonicalAddress, canonicalCidr, isIPv6Cidr } from "../address";
import { KernelCommandError, NotFoundError, PermissionError } from "./errors";
import { defaultIp, int, type Ip } from "./ip";
import { recordClaim, recordRead, recordRelease, recordWrite, RECORDS_ROOT } from "./records";

/**
 * The route protocol (rtm_protocol, `ip route add ... proto N`) that marks routes as ours, set
 * atomically with the route. 110 is 0x6e, "n", like the link group's "ns" (0x6e73): above
 * RTPROT_STATIC (4), so the kernel treats it as a routing daemon's, and unused by the kernel's
 * RTPROT_* list and iproute2's rt_protos (8-18, 42 babel, 99 openr, 186-192). `ip route` prints
 * it as `proto 110`.
 *
 * A route carries no room for more than this one byte, so the protocol says "pulumi-netns", not
 * which stack or resource: a record (below) says that.
 */
export const OWNED_ROUTE_PROTOCOL = 0x6e;

/** rtm_type RTN_UNICAST: a route that forwards (as opposed to blackhole, unreachable, local...). */
export const RTN_UNICAST = 1;

/** Where a route is, as the kernel keys it. */
export interface RouteKey {
  /** A network in CIDR form; `0.0.0.0/0` or `::/0` for a default route. Its family is the route's. */
  readonly destination: string;
  /** Numeric table id (254 is main). */
  readonly table: number;
  /** The kernel keeps 0 for IPv4 and turns 0 into 1024 for IPv6; omitted means that default. */
  readonly metric?: number | undefined;
}

/** What {@link routeAddLine} and {@link routeReplaceLine} install. */
export interface RouteSpec extends RouteKey {
  readonly via?: string | undefined;
  readonly dev?: string | undefined;
  /** rtm_protocol; normally {@link OWNED_ROUTE_PROTOCOL}. */
  readonly protocol: number;
}

/** A route as `ip -d -N -j route show` reports it. */
export interface RouteState {
  /** Normalised CIDR (`0.0.0.0/0`, not `default`). */
  readonly destination: string;
  readonly metric: number;
  readonly protocol: number;
  /** rtm_type; {@link RTN_UNICAST} for an ordinary route. */
  readonly type: number;
  /** The gateway, normalised; undefined for a route straight onto a link, or a multipath route. */
  readonly via: string | undefined;
  /** Undefined for a multipath route, which has one per nexthop. */
  readonly dev: string | undefined;
  /** Several nexthops (`ip route append`, `nexthop via ...`). */
  readonly multipath: boolean;
}

/** The family of a CIDR key. */
const familyOf = (key: RouteKey): 4 | 6 => (isIPv6Cidr(canonicalCidr(key.destination)) ? 6 : 4);

/** The metric the kernel gives a route of `key`: the one asked for, or the family's default. */
function routeKeyMetric(key: RouteKey): number {
  if (key.metric !== undefined && key.metric > 0) return key.metric;
  return familyOf(key) === 6 ? 1024 : 0;
}

/** The argv (after `ip -j [-n NS]`) of {@link routeShow}. */
function routeShowArgs(key: RouteKey): string[] {
  return [
    "-d",
    "-N",
    `-${familyOf(key)}`,
    "route",
    "show",
    "table",
    int(key.table),
    "exact",
    canonicalCidr(key.destination),
  ];
}

/**
 * Reads the route at `key`, or undefined when there is none (also when the table does not exist
 * yet: the kernel creates a table with its first route). Only routes without TOS (IPv4) or source
 * prefix (IPv6) are considered; those are what `ip route add DEST` without `tos`/`from` makes.
 * A missing namespace raises NotFoundError (`missing: "netns"`).
 * Equivalent to: `ip -d -N -j [-n NS] -4|-6 route show table T exact DEST`, filtered by metric.
 */
export async function routeShow(
  netns: string | undefined,
  key: RouteKey,
  ip: Ip = defaultIp(),
): Promise<RouteState | undefined> {
  let json: unknown;
  try {
    json = await ip.json<unknown>(routeShowArgs(key), { netns });
  } catch (e) {
    if (isNoSuchTable(e)) return undefined;
    throw e;
  }
  return parseRoute(json, key);
}

/** A route carrying our protocol, as {@link routeListOwned} finds it. */
export interface OwnedRoute extends Required<RouteKey> {
  readonly via: string | undefined;
  readonly dev: string | undefined;
}

/**
 * Every route carrying `protocol` (normally {@link OWNED_ROUTE_PROTOCOL}) in the namespace, IPv4
 * and IPv6, in every table. A missing namespace raises NotFoundError (`missing: "netns"`).
 * Equivalent to: `ip -j -d -N [-n NS] -4 route show table all proto P`, and the same with `-6`.
 */
export async function routeListOwned(
  netns: string | undefined,
  protocol: number = OWNED_ROUTE_PROTOCOL,
  ip: Ip = defaultIp(),
): Promise<OwnedRoute[]> {
  const families = [4, 6] as const;
  const lists = await Promise.all(
    families.map((family) =>
      ip.json<unknown>(["-d", "-N", `-${family}`, "route", "show", "table", "all", "proto", int(protocol)], {
        netns,
      }),
    ),
  );
  return families.flatMap((family, i) => parseRouteList(lists[i], family));
}

/**
 * Parses `ip -j -d -N -4|-6 route show table all ...` into route keys: `default` becomes
 * `0.0.0.0/0` or `::/0`, host routes get their /32 or /128, a missing metric is 0 (IPv4 prints
 * none for 0). Entries without a destination it can read are left out.
 */
export function parseRouteList(json: unknown, family: 4 | 6): OwnedRoute[] {
  if (!Array.isArray(json)) throw new Error("ip -j route show: expected a JSON array");
  const wanted = family === 6 ? "::/0" : "0.0.0.0/0";
  const routes: OwnedRoute[] = [];
  for (const r of json as Record<string, unknown>[]) {
    if (typeof r !== "object" || r === null) continue;
    const destination = parseDestination(r.dst, wanted);
    if (destination === undefined) continue;
    const nexthops = Array.isArray(r.nexthops) ? r.nexthops : undefined;
    routes.push({
      destination,
      table: numeric(r.table, 254),
      metric: numeric(r.metric, 0),
      via: nexthops ? undefined : parseGateway(r),
      dev: nexthops || typeof r.dev !== "string" ? undefined : r.dev,
    });
  }
  return routes;
}

/** Picks the route at `key` out of `ip -d -N -j route show ... exact DEST`. */
export function parseRoute(json: unknown, key: RouteKey): RouteState | undefined {
  if (!Array.isArray(json)) throw new Error("ip -j route show: expected a JSON array");
  const destination = canonicalCidr(key.destination);
  const metric = routeKeyMetric(key);
  for (const r of json as Record<string, unknown>[]) {
    if (typeof r !== "object" || r === null) continue;
    if (r.tos !== undefined && r.tos !== "0" && r.tos !== 0) continue;
    if (r.from !== undefined || r.src !== undefined) continue;
    const dst = parseDestination(r.dst, destination);
    if (dst !== destination || numeric(r.metric, 0) !== metric) continue;
    const nexthops = Array.isArray(r.nexthops) ? r.nexthops : undefined;
    return {
      destination,
      metric,
      // Without -d, ip leaves out proto boot and type unicast; with it both are always there.
      protocol: numeric(r.protocol, 3),
      type: numeric(r.type, RTN_UNICAST),
      via: nexthops ? undefined : parseGateway(r),
      dev: nexthops || typeof r.dev !== "string" ? undefined : r.dev,
      multipath: nexthops !== undefined && nexthops.length > 1,
    };
  }
  return undefined;
}

function parseDestination(dst: unknown, wanted: string): string | undefined {
  if (typeof dst !== "string") return undefined;
  if (dst === "default") return isIPv6Cidr(wanted) ? "::/0" : "0.0.0.0/0";
  return canonicalCidr(dst); // host routes print without /32 or /128
}

/** `"gateway":"10.0.0.1"`, or RFC 5549's `"via":{"family":"inet6","host":"fe80::1"}`. */
function parseGateway(r: Record<string, unknown>): string | undefined {
  const via = r.via as { host?: unknown } | undefined;
  const host =
    typeof r.gateway === "string" ? r.gateway : typeof via?.host === "string" ? via.host : undefined;
  return host === undefined ? undefined : canonicalAddress(host);
}

function numeric(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : NaN;
}

function specArgs(spec: RouteSpec): string[] {
  return [
    canonicalCidr(spec.destination),
    ...(spec.via !== undefined ? ["via", spec.via] : []),
    ...(spec.dev !== undefined ? ["dev", spec.dev] : []),
    "metric",
    int(routeKeyMetric(spec)),
    "table",
    int(spec.table),
    "proto",
    int(spec.protocol),
  ];
}

/**
 * Batch line adding a route; fails with "File exists" if a route is at its key. The destination
 * is always a CIDR (never `default`), so its family needs no `-6`; the metric is always given, so
 * the key `ip` acts on is the one {@link routeShow} reads.
 * Equivalent to: `ip route add DEST [via GW] [dev DEV] metric M table T proto P`.
 */
export const routeAddLine = (spec: RouteSpec): string[] => ["route", "add", ...specArgs(spec)];

/**
 * Batch line setting the route at the spec's key to exactly the spec (gateway, device, protocol;
 * a multipath route becomes single-path), or adding it: one netlink request, so the route is
 * never missing in between.
 * Equivalent to: `ip route replace DEST [via GW] [dev DEV] metric M table T proto P`.
 */
export const routeReplaceLine = (spec: RouteSpec): string[] => ["route", "replace", ...specArgs(spec)];

/**
 * Batch line deleting the route at `key`, only if it carries `protocol` (the kernel compares it,
 * IPv4 and IPv6 alike), so a route someone else put there in the meantime is left alone.
 * Equivalent to: `ip route delete DEST metric M table T proto P`.
 */
export function routeDeleteLine(key: RouteKey, protocol: number): string[] {
  return [
    "route",
    "delete",
    canonicalCidr(key.destination),
    "metric",
    int(routeKeyMetric(key)),
    "table",
    int(key.table),
    "proto",
    int(protocol),
  ];
}

/**
 * Runs one route line ({@link routeAddLine}, {@link routeReplaceLine}) in `netns`, turning the
 * kernel's terse route errors into errors that say what to do.
 * Equivalent to: `ip [-n NS] -batch -` with that line.
 */
export async function routeApply(
  netns: string | undefined,
  line: readonly string[],
  ip: Ip = defaultIp(),
): Promise<void> {
  try {
    await ip.batch(netns, [line]);
  } catch (e) {
    throw withRouteHint(e);
  }
}

/**
 * Deletes the route at `key` if it carries `protocol`; no such route (or table, or namespace) is
 * success.
 * Equivalent to: `ip [-n NS] route delete DEST metric M table T proto P`.
 */
export async function routeDelete(
  netns: string | undefined,
  key: RouteKey,
  protocol: number,
  ip: Ip = defaultIp(),
): Promise<void> {
  try {
    await ip.run(routeDeleteLine(key, protocol), { netns });
  } catch (e) {
    if (e instanceof NotFoundError && e.missing === "netns") return;
    if (e instanceof KernelCommandError && /No such process|ESRCH/.test(e.stderr)) return;
    if (isNoSuchTable(e)) return;
    throw e;
  }
}

function isNoSuchTable(e: unknown): boolean {
  return e instanceof KernelCommandError && /FIB table does not exist/.test(e.stderr);
}

const routeHints: readonly { readonly pattern: RegExp; readonly hint: string }[] = [
  {
    pattern: /Nexthop has invalid gateway|Network is unreachable|No route to host/,
    hint:
      "The gateway (via) is not reachable from that namespace: it must lie in a subnet of an address " +
      "on the interface (or be covered by another route). Create the address first, for example by " +
      "making the Route depend on the link that carries it.",
  },
  {
    pattern: /Egress device not specified/,
    hint: "A link-local IPv6 gateway needs the interface it is on: set dev.",
  },
  {
    pattern: /Invalid prefix for given prefix length/,
    hint: "The destination has host bits set; give the network address (10.0.0.0/24, not 10.0.0.1/24).",
  },
  {
    pattern: /File exists|EEXIST/,
    hint:
      "A route with that destination, table and metric appeared since pulumi-netns looked; " +
      "run the update again to see whose it is.",
  },
];

/** `e` with a route-specific hint when one applies; other errors unchanged. */
function withRouteHint(e: unknown): unknown {
  if (!(e instanceof KernelCommandError) || e instanceof NotFoundError || e instanceof PermissionError)
    return e;
  const rule = routeHints.find((r) => r.pattern.test(e.stderr));
  if (rule === undefined) return e;
  const failure = { argv: e.argv, exitCode: e.exitCode, stderr: e.stderr };
  return new KernelCommandError(e.batchLine ? { ...failure, batchLine: e.batchLine } : failure, rule.hint);
}

// ---------------------------------------------------------------------------------------------
// Ownership records of routes. A route carries one byte of mark (its protocol), shared by every
// stack; the record says which resource's it is. Both must agree (see provider/route.ts).

/** Where route records live, one file per (namespace, table, destination, metric). */
export const ROUTE_RECORD_DIR = `${RECORDS_ROOT}/route`;

/** Where a record says its route is. */
export interface RecordedRoute {
  /** Undefined: the host namespace. */
  readonly netns: string | undefined;
  readonly key: Required<RouteKey>;
}

function canonicalKey(key: RouteKey): Required<RouteKey> {
  return { destination: canonicalCidr(key.destination), table: key.table, metric: routeKeyMetric(key) };
}

/** The record's file name: a hash, since namespace names and IPv6 prefixes make awkward file names. */
export function routeRecordFile(netns: string | undefined, key: RouteKey): string {
  const k = canonicalKey(key);
  const text = JSON.stringify([netns ?? null, k.table, k.destination, k.metric]);
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

const routeDetails = (netns: string | undefined, key: RouteKey) => [
  JSON.stringify({ netns: netns ?? null, ...canonicalKey(key) }),
];

/** Where a route record's details say its route is; undefined for a record it cannot read. */
export function parseRouteRecordDetails(details: readonly string[]): RecordedRoute | undefined {
  try {
    const d = JSON.parse(details[0] ?? "") as Record<string, unknown>;
    if (typeof d.destination !== "string" || typeof d.table !== "number" || typeof d.metric !== "number") {
      return undefined;
    }
    const netns = typeof d.netns === "string" ? d.netns : undefined;
    return { netns, key: { destination: d.destination, table: d.table, metric: d.metric } };
  } catch {
    return undefined;
  }
}

/** The mark recorded for the route at `key` in `netns`, or undefined. */
export async function routeReadRecord(
  netns: string | undefined,
  key: RouteKey,
  dir = ROUTE_RECORD_DIR,
): Promise<string | undefined> {
  return (await recordRead(dir, routeRecordFile(netns, key)))?.mark;
}

/** Claims the route at `key` for `mark` before adding it (see recordClaim). */
export async function routeClaimRecord(
  netns: string | undefined,
  key: RouteKey,
  mark: string,
  dir = ROUTE_RECORD_DIR,
): Promise<{ claimed: true } | { claimed: false; owner: string }> {
  return recordClaim(dir, routeRecordFile(netns, key), { mark, details: routeDetails(netns, key) });
}

/** Records that the route at `key` is `mark`'s (adopting it, or rewriting the mark on update). */
export async function routeWriteRecord(
  netns: string | undefined,
  key: RouteKey,
  mark: string,
  dir = ROUTE_RECORD_DIR,
): Promise<void> {
  await recordWrite(dir, routeRecordFile(netns, key), { mark, details: routeDetails(netns, key) });
}

/** Removes the record of the route at `key` if it names `mark`. */
export async function routeReleaseRecord(
  netns: string | undefined,
  key: RouteKey,
  mark: string,
  dir = ROUTE_RECORD_DIR,
): Promise<void> {
  await recordRelease(dir, routeRecordFile(netns, key), mark);
}

/**
 * Batch line setting the IPv4 default route (main table, metric 0) to leave via `gateway` out of
 * `dev`, or adding it: one netlink request, so the route is never missing in between.
 * Equivalent to: `ip route replace default via GW dev DEV`.
 */
export const defaultRouteReplaceLine = (gateway: string, dev: string): string[] => [
  "route",
  "replace",
  "default",
  "via",
  gateway,
  "dev",
  dev,
];

/** Equivalent to: `ip route delete default via GW dev DEV`. */
export const defaultRouteDeleteLine = (gateway: string, dev: string): string[] => [
  "route",
  "delete",
  "default",
  "via",
  gateway,
  "dev",
  dev,
];

/** Batch line reading the IPv4 default route(s) of the main table. Equivalent to: `ip -j route show default`. */
export const defaultRouteShowLine = (): string[] => ["route", "show", "default"];

/** The gateway of the first IPv4 default route in `ip -j route show default`'s output, if any. */
export function parseDefaultGateway(json: unknown): string | undefined {
  if (!Array.isArray(json)) return undefined;
  for (const r of json as { gateway?: unknown }[]) if (typeof r.gateway === "string") return r.gateway;
  return undefined;
}
