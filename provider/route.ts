import type * as pulumi from "@pulumi/pulumi";
import { NotFoundError } from "./kernel/errors";
import {
  OWNED_ROUTE_PROTOCOL,
  routeAddLine,
  routeApply,
  routeDelete,
  routeReplaceLine,
  routeShow,
  RTN_UNICAST,
  type RouteKey,
  type RouteSpec,
  type RouteState,
} from "./kernel/route";
import { checkWith, collisionError, describeNamespace, withoutKernelChoices } from "./lifecycle";
import { assertPrivileged } from "./privileges";
import { diffInputs } from "./schema/diff";
import {
  canonicalAddress,
  canonicalDestination,
  destinationFamily,
  effectiveMetric,
  MAIN_TABLE,
  routeSchema,
  tableId,
  type RouteResolved,
} from "./schema/route";

/**
 * What a Route keeps in state: the route as the kernel keys and has it. `destination` is
 * canonical (`0.0.0.0/0` or `::/0` for `"default"`), `metric` and `table` are the numbers the
 * kernel uses, `dev` is the interface the kernel picked when the inputs left it out.
 */
export interface RouteOutputs {
  /** Omitted: the host namespace. */
  readonly namespace?: string;
  readonly destination: string;
  readonly via?: string;
  readonly dev?: string;
  readonly metric: number;
  readonly table: number;
  readonly adopt: boolean;
  readonly managedBy: string;
}

type Inputs = RouteResolved;
/** Inputs or outputs: both name the route the same way once canonicalised. */
type RouteLike = Pick<Inputs, "namespace" | "destination" | "via" | "metric" | "table">;

/** The kernel's key of a route described by inputs or by state. */
function keyOf(route: RouteLike): RouteKey {
  const family = destinationFamily(route.destination, route.via);
  return {
    destination: canonicalDestination(route.destination, route.via),
    table: tableId(route.table) as number,
    metric: effectiveMetric(route.metric, family) as number,
  };
}

function specOf(inputs: Inputs): RouteSpec {
  return { ...keyOf(inputs), via: inputs.via, dev: inputs.dev, protocol: OWNED_ROUTE_PROTOCOL };
}

const PROTOCOL_NAMES: Readonly<Record<number, string>> = {
  2: "kernel",
  3: "boot",
  4: "static",
  9: "ra",
  11: "zebra",
  12: "bird",
  16: "dhcp",
  186: "bgp",
  188: "ospf",
};

function describeRoute(namespace: string | undefined, key: RouteKey): string {
  const table = key.table === MAIN_TABLE ? "main" : String(key.table);
  return `Route ${key.destination} (table ${table}, metric ${key.metric}) in ${describeNamespace(namespace)}`;
}

/** The route at `key`, or undefined when it or its namespace is gone. */
async function observe(namespace: string | undefined, key: RouteKey): Promise<RouteState | undefined> {
  try {
    return await routeShow(namespace, key);
  } catch (e) {
    if (e instanceof NotFoundError && e.missing === "netns") return undefined;
    throw e;
  }
}

const isOurs = (state: RouteState): boolean => state.protocol === OWNED_ROUTE_PROTOCOL;

/** Whether the route at the key already is what `spec` asks for. */
function matches(state: RouteState, spec: RouteSpec): boolean {
  return (
    isOurs(state) &&
    state.type === RTN_UNICAST &&
    !state.multipath &&
    state.via === (spec.via === undefined ? undefined : canonicalAddress(spec.via)) &&
    (spec.dev === undefined || state.dev === spec.dev)
  );
}

/** Refuses a route someone else made unless the inputs adopt it. */
function assertMayTake(inputs: Inputs, key: RouteKey, state: RouteState): void {
  if (isOurs(state) || inputs.adopt) return;
  const proto = PROTOCOL_NAMES[state.protocol] ?? String(state.protocol);
  throw collisionError(`${describeRoute(inputs.namespace, key)} (proto ${proto})`, undefined);
}

function outputs(inputs: RouteLike & Pick<Inputs, "adopt" | "managedBy">, state: RouteState): RouteOutputs {
  const key = keyOf(inputs);
  return {
    ...(inputs.namespace !== undefined ? { namespace: inputs.namespace } : {}),
    destination: key.destination,
    ...(state.via !== undefined ? { via: state.via } : {}),
    ...(state.dev !== undefined ? { dev: state.dev } : {}),
    metric: key.metric as number,
    table: key.table,
    adopt: inputs.adopt,
    managedBy: inputs.managedBy,
  };
}

async function mustRead(inputs: Inputs, key: RouteKey): Promise<RouteOutputs> {
  const state = await observe(inputs.namespace, key);
  if (!state || !isOurs(state)) {
    throw new Error(`${describeRoute(inputs.namespace, key)} vanished while it was being set up`);
  }
  return outputs(inputs, state);
}

const idOf = (namespace: string | undefined, key: RouteKey) =>
  `${namespace ?? ""}/${key.table}/${key.metric}/${key.destination}`;

export const routeProvider: pulumi.dynamic.ResourceProvider = {
  check: checkWith(routeSchema),

  async diff(_id, olds: RouteOutputs, news: Inputs) {
    // Without `dev` in the inputs, the interface the kernel picked is not drift.
    return diffInputs("Route", withoutKernelChoices({ ...olds }, { ...news }, ["dev"]), news);
  },

  async create(inputs: Inputs) {
    assertPrivileged();
    const spec = specOf(inputs);
    const state = await routeShow(inputs.namespace, spec);
    if (state) assertMayTake(inputs, spec, state);
    // Absent: one `route add`, atomic with its mark. Ours from an interrupted run, or adopted:
    // one `route replace`, which also marks it ours.
    const adding = state === undefined;
    if (adding) await routeApply(inputs.namespace, routeAddLine(spec));
    else if (!matches(state, spec)) await routeApply(inputs.namespace, routeReplaceLine(spec));
    try {
      return { id: idOf(inputs.namespace, spec), outs: await mustRead(inputs, spec) };
    } catch (e) {
      if (adding) await routeDelete(inputs.namespace, spec, OWNED_ROUTE_PROTOCOL);
      throw e;
    }
  },

  async read(id, props?: RouteOutputs) {
    assertPrivileged();
    if (!props) return {};
    const state = await observe(props.namespace, keyOf(props));
    // Gone, or replaced by someone else's route (another protocol): ours is no more.
    if (!state || !isOurs(state)) return {};
    return { id, props: outputs(props, state) };
  },

  async update(_id, _olds: RouteOutputs, news: Inputs) {
    assertPrivileged();
    const spec = specOf(news);
    const state = await observe(news.namespace, spec);
    // A route has no identity to keep, and the kernel drops it with its device: when the link it
    // uses was replaced, re-adding it (`ip route replace` adds a missing route) is the update.
    if (state) assertMayTake(news, spec, state);
    if (!state || !matches(state, spec)) await routeApply(news.namespace, routeReplaceLine(spec));
    return { outs: await mustRead(news, spec) };
  },

  async delete(_id, props: RouteOutputs) {
    assertPrivileged();
    // The kernel deletes only a route carrying our protocol: one someone else put at this key
    // since is left alone, without a read-then-delete race.
    await routeDelete(props.namespace, keyOf(props), OWNED_ROUTE_PROTOCOL);
  },
};
