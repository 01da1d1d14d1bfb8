import * as pulumi from "@pulumi/pulumi";
import { NotFoundError } from "./kernel/errors";
import {
  OWNED_ROUTE_PROTOCOL,
  routeAddLine,
  routeApply,
  routeClaimRecord,
  routeDelete,
  routeReadRecord,
  routeReleaseRecord,
  routeWriteRecord,
  routeReplaceLine,
  routeShow,
  RTN_UNICAST,
  type RouteKey,
  type RouteSpec,
  type RouteState,
} from "./kernel/route";
import { claimRoute } from "./claims";
import { checkWith, describeNamespace, withoutKernelChoices } from "./lifecycle";
import { collisionError, lookAlikeError, ownerMark, rollBack, type Owned } from "./ownership";
import { assertPrivileged } from "./privileges";
import { proveRoute } from "./proof";
import { routeHolding } from "./holdings";
import { defineKind } from "./kind";
import { routeReferences } from "./schema/references";
import { canonicalAddress } from "./address";
import {
  canonicalDestination,
  destinationFamily,
  diffRoute,
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
export interface RouteOutputs extends Owned {
  /** Omitted: the host namespace. */
  readonly namespace?: string;
  readonly destination: string;
  readonly via?: string;
  readonly dev?: string;
  readonly metric: number;
  readonly table: number;
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

/** Whether a route carries our protocol: pulumi-netns made it, some stack or other. */
const hasOurProtocol = (state: RouteState): boolean => state.protocol === OWNED_ROUTE_PROTOCOL;

/**
 * Whether the route at `key` is the one of the resource with these ownership fields: it carries
 * our protocol and its record names the resource's mark. State written before route records is
 * recognised by the protocol alone while no record names anyone else.
 */
function isOurs(
  state: RouteState,
  record: string | undefined,
  owned: Pick<Owned, "managedBy" | "stackInstance">,
): boolean {
  const legacy = owned.stackInstance === undefined;
  return proveRoute(state, record, ownerMark(owned), { legacy }).verdict === "ours";
}

/** Whether the route at the key already is what `spec` asks for. */
function matches(state: RouteState, spec: RouteSpec): boolean {
  return (
    hasOurProtocol(state) &&
    state.type === RTN_UNICAST &&
    !state.multipath &&
    state.via === (spec.via === undefined ? undefined : canonicalAddress(spec.via)) &&
    (spec.dev === undefined || state.dev === spec.dev)
  );
}

/** The owner to name when refusing a route: its record's, when it carries our protocol. */
function ownerNamed(state: RouteState, record: string | undefined): string | undefined {
  return hasOurProtocol(state) ? record : undefined;
}

function describeTaken(namespace: string | undefined, key: RouteKey, state: RouteState): string {
  const proto = PROTOCOL_NAMES[state.protocol] ?? String(state.protocol);
  return `${describeRoute(namespace, key)} (proto ${proto})`;
}

function outputs(inputs: RouteLike & Owned, state: RouteState): RouteOutputs {
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
    ...(inputs.stackInstance !== undefined ? { stackInstance: inputs.stackInstance } : {}),
  };
}

async function mustRead(inputs: Inputs, key: RouteKey): Promise<RouteOutputs> {
  const state = await observe(inputs.namespace, key);
  if (!state || !hasOurProtocol(state)) {
    throw new Error(`${describeRoute(inputs.namespace, key)} vanished while it was being set up`);
  }
  return outputs(inputs, state);
}

const idOf = (namespace: string | undefined, key: RouteKey) =>
  `${namespace ?? ""}/${key.table}/${key.metric}/${key.destination}`;

const routeProvider: pulumi.dynamic.ResourceProvider = {
  check: checkWith(routeSchema, (inputs) => claimRoute(inputs)),

  async diff(_id, olds: RouteOutputs, news: Inputs) {
    // Without `dev` in the inputs, the interface the kernel picked is not drift.
    return diffRoute(withoutKernelChoices({ ...olds }, { ...news }, ["dev"]), news);
  },

  async create(inputs: Inputs) {
    assertPrivileged();
    const spec = specOf(inputs);
    const mark = ownerMark(inputs);
    const id = idOf(inputs.namespace, spec);
    const [state, record] = await Promise.all([
      routeShow(inputs.namespace, spec),
      routeReadRecord(inputs.namespace, spec),
    ]);
    if (state) {
      // Ours from an interrupted run, or adopted: one `route replace`, which also marks it ours.
      if (!isOurs(state, record, inputs) && !inputs.adopt) {
        throw collisionError(describeTaken(inputs.namespace, spec, state), ownerNamed(state, record));
      }
      if (record !== mark) await routeWriteRecord(inputs.namespace, spec, mark);
      if (!matches(state, spec)) await routeApply(inputs.namespace, routeReplaceLine(spec));
      return { id, outs: await mustRead(inputs, spec) };
    }
    // Absent: claim the record, then one `route add`, atomic with its protocol.
    const claim = await routeClaimRecord(inputs.namespace, spec, mark);
    if (!claim.claimed) {
      throw new Error(
        `${describeRoute(inputs.namespace, spec)} is being created right now by ${claim.owner}; nothing ` +
          "was changed. Two resources cannot own one route: change the destination, table or metric.",
      );
    }
    try {
      await routeApply(inputs.namespace, routeAddLine(spec));
    } catch (e) {
      return rollBack(e, () => routeReleaseRecord(inputs.namespace, spec, mark));
    }
    try {
      return { id, outs: await mustRead(inputs, spec) };
    } catch (e) {
      return rollBack(e, async () => {
        await routeDelete(inputs.namespace, spec, OWNED_ROUTE_PROTOCOL);
        await routeReleaseRecord(inputs.namespace, spec, mark);
      });
    }
  },

  async read(id, props?: RouteOutputs) {
    assertPrivileged();
    if (!props) return {};
    const key = keyOf(props);
    const [state, record] = await Promise.all([
      observe(props.namespace, key),
      routeReadRecord(props.namespace, key),
    ]);
    // Gone, or someone else's route at the key since: ours is no more, and so is our record.
    if (!state || !isOurs(state, record, props)) {
      await routeReleaseRecord(props.namespace, key, ownerMark(props));
      return {};
    }
    return { id, props: outputs(props, state) };
  },

  async update(_id, olds: RouteOutputs, news: Inputs) {
    assertPrivileged();
    const spec = specOf(news);
    const mark = ownerMark(news);
    const [state, record] = await Promise.all([
      observe(news.namespace, spec),
      routeReadRecord(news.namespace, spec),
    ]);
    if (state && !isOurs(state, record, olds) && !isOurs(state, record, news)) {
      throw lookAlikeError(describeTaken(news.namespace, spec, state), ownerNamed(state, record));
    }
    // A route has no identity to keep, and the kernel drops it with its device: when the link it
    // uses was replaced, re-adding it (`ip route replace` adds a missing route) is the update.
    if (!state) {
      const claim = await routeClaimRecord(news.namespace, spec, mark);
      if (!claim.claimed) {
        throw new Error(
          `${describeRoute(news.namespace, spec)} is being created right now by ${claim.owner}; nothing was changed.`,
        );
      }
    } else if (record !== mark) {
      await routeWriteRecord(news.namespace, spec, mark);
    }
    if (!state || !matches(state, spec)) await routeApply(news.namespace, routeReplaceLine(spec));
    return { outs: await mustRead(news, spec) };
  },

  async delete(_id, props: RouteOutputs) {
    assertPrivileged();
    const key = keyOf(props);
    const mark = ownerMark(props);
    const [state, record] = await Promise.all([
      observe(props.namespace, key),
      routeReadRecord(props.namespace, key),
    ]);
    if (state && !isOurs(state, record, props)) {
      pulumi.log.warn(
        `${describeTaken(props.namespace, key, state)} was left untouched: it is not the one this stack made.`,
      );
    } else if (state) {
      // The kernel deletes only a route carrying our protocol: one someone else put at this key
      // in the meantime is left alone, without a read-then-delete race.
      await routeDelete(props.namespace, key, OWNED_ROUTE_PROTOCOL);
    }
    await routeReleaseRecord(props.namespace, key, mark);
  },
};

/** A route in one table of one namespace. */
export const routeKind = defineKind({
  kind: "Route",
  declaredBy: "user",
  schema: routeSchema,
  diffInputs: diffRoute,
  kernelKind: undefined,
  references: routeReferences,
  holdings: routeHolding,
  provider: routeProvider,
});
