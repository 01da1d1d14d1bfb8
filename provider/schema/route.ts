/**
 * A route in one table of one namespace: `ip route add DEST [via GW] [dev DEV] metric M table T`.
 *
 * The kernel keys a route by (table, destination, metric): those fields identify it and changing
 * them replaces it; `via` and `dev` change in place (`ip route replace`).
 *
 * `destination: "default"` is the default route of the gateway's family (`0.0.0.0/0` for an IPv4
 * `via`, `::/0` for an IPv6 one), as `ip route add default via GW` does; without `via` it is IPv4,
 * again as `ip` does, so an IPv6 default route through a device only is written `::/0`.
 */
import { canonicalAddress, canonicalCidr, formatAddress, parseAddress, type Family } from "../address";
import { z } from "zod";
import { hostField } from "./host";
import { cidrProblems } from "./addresses";
import { interfaceName, namespaceName } from "./names";
import { adoptField, managedByField, stackInstanceField } from "./ownershipFields";
import { quote, ruledNumber, ruledString } from "./rules";
import { isUnknown, type Known, orUnknown, type Unknown, UNKNOWN } from "./unknown";
import { diffBy, ownershipRules, replace, update } from "./diff";

export type { Family };

/** The spelling of the default route; see the module comment for its family. */
export const DEFAULT_DESTINATION = "default";

/** Route metrics (RTA_PRIORITY) are u32. */
export const METRIC_MAX = 0xffff_ffff;

/** The kernel's metric for an IPv6 route added with none, or with 0 (IP6_RT_PRIO_USER). */
export const IPV6_DEFAULT_METRIC = 1024;

/** Routing table ids are u32; 0 is RT_TABLE_UNSPEC. The names are the kernel's reserved tables. */
export const TABLE_NAMES = { default: 253, main: 254, local: 255 } as const;
export const MAIN_TABLE = TABLE_NAMES.main;

/** The family of an IP address, or undefined if it is not one. */
export function addressFamily(address: string): Family | undefined {
  return parseAddress(address)?.family;
}

// ---------------------------------------------------------------------------------------------
// Field rules

const DESTINATION_EXAMPLE = `e.g. 10.0.0.0/24, fd00::/64, 10.0.0.5/32 for one host, or "default"`;

/**
 * `"default"`, or a network in CIDR form whose host bits are zero: the kernel refuses
 * `10.0.0.1/24` for IPv4 ("Invalid prefix for given prefix length"), so it is refused here, at
 * preview, with the network that was probably meant.
 */
export function destinationProblems(destination: string): string[] {
  if (destination === DEFAULT_DESTINATION) return [];
  if (!destination.includes("/")) {
    return [
      `a destination is a network in CIDR form, ${DESTINATION_EXAMPLE}; ${quote(destination)} has no prefix length`,
    ];
  }
  const problems = cidrProblems(destination);
  if (problems.length > 0) return problems;
  const slash = destination.lastIndexOf("/");
  const parsed = parseAddress(destination.slice(0, slash));
  if (parsed === undefined) return [];
  const bits = parsed.family === 4 ? 32n : 128n;
  const prefix = BigInt(Number(destination.slice(slash + 1)));
  const hostMask = (1n << (bits - prefix)) - 1n;
  if ((parsed.value & hostMask) === 0n) return [];
  const network = `${formatAddress({ family: parsed.family, value: parsed.value & ~hostMask })}/${prefix}`;
  return [
    `a destination is a network, so its host bits must be zero; ${quote(destination)} has host bits set ` +
      `(did you mean ${network}?)`,
  ];
}

export const routeDestination = ruledString(destinationProblems);

/** One unicast IPv4 or IPv6 address, without a prefix length. */
export function gatewayProblems(via: string): string[] {
  if (via.includes("/")) return [`a gateway is one address, without a prefix length; got ${quote(via)}`];
  if (via.includes("%"))
    return [`a gateway cannot carry a zone index ("%..."); set dev instead; got ${quote(via)}`];
  const parsed = parseAddress(via);
  if (parsed === undefined) {
    return [`${quote(via)} is not an IPv4 address (dotted quad, no leading zeros) or an IPv6 address`];
  }
  const { family, value } = parsed;
  if (value === 0n) return [`a gateway cannot be the unspecified address; got ${quote(via)}`];
  const multicast = family === 4 ? value >> 28n === 0xen : value >> 120n === 0xffn;
  if (multicast || (family === 4 && value === 0xffff_ffffn)) {
    return [`a gateway must be a unicast address; ${quote(via)} is ${multicast ? "multicast" : "broadcast"}`];
  }
  return [];
}

export const routeGateway = ruledString(gatewayProblems);

export function metricProblems(metric: number): string[] {
  if (Number.isInteger(metric) && metric >= 0 && metric <= METRIC_MAX) return [];
  return [`metric is an integer from 0 to ${METRIC_MAX} (a u32); got ${quote(metric)}`];
}

export const routeMetric = ruledNumber(metricProblems);

export function tableProblems(table: string | number): string[] {
  if (typeof table === "string") {
    return table in TABLE_NAMES
      ? []
      : [
          `table names are "main", "default" and "local" (use the number for other tables); got ${quote(table)}`,
        ];
  }
  if (Number.isInteger(table) && table >= 1 && table <= METRIC_MAX) return [];
  return [
    `table is an integer from 1 to ${METRIC_MAX} (0 is RT_TABLE_UNSPEC) or "main"; got ${quote(table)}`,
  ];
}

export const routeTable = z
  .union([z.number(), z.string()], {
    error: (iss) => `table is a number or "main", "default" or "local"; got ${quote(iss.input)}`,
  })
  .superRefine((value, ctx) => {
    for (const message of tableProblems(value)) ctx.addIssue({ code: "custom", message, input: value });
  });

// ---------------------------------------------------------------------------------------------
// The schema

export const routeSchema = z
  .strictObject({
    /** Namespace the route lives in; omitted means the host namespace. Changing it replaces the route. */
    namespace: orUnknown(namespaceName).optional(),
    /** A network in CIDR form, or `"default"`. Changing it replaces the route. */
    destination: orUnknown(routeDestination),
    /** The gateway, of the destination's family. At least one of `via` and `dev` is required. */
    via: orUnknown(routeGateway).optional(),
    /** The outgoing interface; omitted: the kernel picks it from `via`. Required with a link-local `via`. */
    dev: orUnknown(interfaceName).optional(),
    /** Omitted: the kernel's default, 0 for IPv4 and 1024 for IPv6. Part of the route's identity. */
    metric: orUnknown(routeMetric).optional(),
    /** A table id or `"main"`, `"default"`, `"local"`; omitted: main (254). Part of the route's identity. */
    table: orUnknown(routeTable).optional(),
    /** Take over a route someone else made at this destination/table/metric instead of failing. */
    adopt: adoptField,
    /** `<project>/<stack>/<kind>/<name>`, computed by the SDK. */
    managedBy: managedByField,
    /** The owning stack's instance id, from the SDK's StackInstance resource; part of the mark. */
    stackInstance: stackInstanceField,
    /** The machine it lives on, over SSH; unset: this one. Moving it replaces it. */
    host: hostField,
  })
  .superRefine(
    (value, ctx) => {
      if (typeof value !== "object" || value === null) return;
      const {
        destination: dest,
        via,
        dev,
      } = value as { destination?: unknown; via?: unknown; dev?: unknown };
      if (via === undefined && dev === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["via"],
          input: via,
          message: "a route needs a gateway (via), an interface (dev), or both; neither is set",
        });
        return;
      }
      const viaFamily =
        typeof via === "string" && gatewayProblems(via).length === 0 ? addressFamily(via) : undefined;
      if (viaFamily === undefined) return;
      const destFamily =
        typeof dest === "string" && !isUnknown(dest) && destinationProblems(dest).length === 0
          ? destinationFamily(dest, undefined)
          : undefined;
      if (dest !== DEFAULT_DESTINATION && destFamily !== undefined && destFamily !== viaFamily) {
        ctx.addIssue({
          code: "custom",
          path: ["via"],
          input: via,
          message: `the gateway must be of the destination's family; ${quote(via)} is IPv${viaFamily} but ${quote(dest)} is IPv${destFamily}`,
        });
      }
      if (viaFamily === 6 && dev === undefined && isLinkLocal(via as string)) {
        ctx.addIssue({
          code: "custom",
          path: ["dev"],
          input: dev,
          message: `a link-local gateway (fe80::/10) is reachable only on one interface, so dev is required with via ${quote(via)}`,
        });
      }
    },
    // Runs even when a field failed, so cross-field failures come in the same report.
    { when: () => true },
  );

function isLinkLocal(via: string): boolean {
  const parsed = parseAddress(via);
  return parsed?.family === 6 && parsed.value >> 118n === 0x3fan;
}

/** What users write (the SDK wraps each field in `pulumi.Input`). */
export type RouteInputs = z.input<typeof routeSchema>;
/** What `check` returns: defaults applied; during preview any value may still be UNKNOWN. */
export type RouteChecked = z.output<typeof routeSchema>;
/** Defaults applied and every value known: what `create` and `update` receive. */
export type RouteResolved = Known<RouteChecked>;

// ---------------------------------------------------------------------------------------------
// The route's identity, canonically

/**
 * The family of a route: a CIDR's own; for `"default"`, `via`'s, IPv4 without `via`. Undefined
 * when it cannot be known yet (an unknown destination, or `"default"` with an unknown `via`).
 */
export function destinationFamily(dest: unknown, via: unknown): Family | undefined {
  if (typeof dest !== "string" || isUnknown(dest)) return undefined;
  if (dest === DEFAULT_DESTINATION) {
    if (via === undefined) return 4;
    return typeof via === "string" && !isUnknown(via) ? addressFamily(via) : undefined;
  }
  return addressFamily(dest.slice(0, dest.lastIndexOf("/")));
}

/** `0.0.0.0/0` or `::/0` for `"default"`, else the CIDR as `ip` prints it; UNKNOWN when it cannot be told. */
export function canonicalDestination(dest: unknown, via: unknown): string | Unknown {
  const family = destinationFamily(dest, via);
  if (family === undefined) return typeof dest === "string" && !isUnknown(dest) ? dest : UNKNOWN;
  if (dest === DEFAULT_DESTINATION) return family === 4 ? "0.0.0.0/0" : "::/0";
  return canonicalCidr(dest as string);
}

/** The metric the kernel gives the route: IPv6 turns 0 (or none) into 1024. */
export function effectiveMetric(value: unknown, family: Family | undefined): number | Unknown {
  if (typeof value === "number" && value > 0) return value;
  if (family === undefined || isUnknown(value)) return UNKNOWN;
  return family === 6 ? IPV6_DEFAULT_METRIC : 0;
}

/** The numeric table id; omitted is main. */
export function tableId(value: unknown): number | Unknown {
  if (value === undefined) return MAIN_TABLE;
  if (typeof value === "string" && value in TABLE_NAMES)
    return TABLE_NAMES[value as keyof typeof TABLE_NAMES];
  return typeof value === "number" ? value : UNKNOWN;
}

/**
 * The route's fields in the form diffing compares: destination, metric and table as the kernel
 * keys them, `via` canonical. Unknown parts stay UNKNOWN; other fields pass through.
 */
export function comparableRoute(route: Record<string, unknown>): Record<string, unknown> {
  const family = destinationFamily(route.destination, route.via);
  return {
    ...route,
    destination: canonicalDestination(route.destination, route.via),
    metric: effectiveMetric(route.metric, family),
    table: tableId(route.table),
    via: typeof route.via === "string" ? canonicalAddress(route.via) : route.via,
  };
}

/** The kernel keys a route by (table, destination, metric); `via` and `dev` change in place. */
export const diffRoute = diffBy({
  schema: routeSchema,
  fields: {
    namespace: replace,
    destination: replace,
    table: replace,
    metric: replace,
    via: update,
    dev: update,
    ...ownershipRules,
  },
  identity: ["namespace", "destination", "table", "metric"],
  // Compared canonically: "default" is 0.0.0.0/0 or ::/0, an omitted metric the kernel's default.
  comparable: comparableRoute,
});
