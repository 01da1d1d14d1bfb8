// Which machine a handler works on: every kind's handlers run on the host their resource's `host`
// input names (schema/host.ts), so the kernel layer below them reaches that machine (kernel/host.ts).
import type * as pulumi from "@pulumi/pulumi";
import { localHost, onHost, type Host } from "./kernel/host";
import { loadPschedHz } from "./kernel/qdisc";
import { HostConnectionError, sshHost } from "./kernel/ssh";
import { hostSchema } from "./schema/host";

/**
 * The machine `inputs.host` names; this one when unset, and when it is not a valid host (check
 * then reports why, without reaching anything).
 */
export function hostOf(inputs: unknown): Host {
  const raw = typeof inputs === "object" && inputs !== null ? (inputs as { host?: unknown }).host : undefined;
  if (raw === undefined) return localHost;
  const parsed = hostSchema.safeParse(raw);
  return parsed.success ? sshHost(parsed.data) : localHost;
}

/** Where a resource lives, for its outputs and messages: undefined for this machine. */
export function machineOf(inputs: unknown): string | undefined {
  const host = hostOf(inputs);
  return host === localHost ? undefined : host.label;
}

/**
 * Outputs with the inputs' `host` (read and delete get only the state's outputs, and must reach
 * the same machine; the engine keeps its `privateKey` secret there, as it was in the inputs) and
 * `machine`, where the resource lives without any key material.
 */
function keepHost<T extends Record<string, unknown> | undefined>(outs: T, inputs: unknown): T {
  const host =
    typeof inputs === "object" && inputs !== null ? (inputs as { host?: unknown }).host : undefined;
  return host === undefined || outs === undefined ? outs : { ...outs, host, machine: machineOf(inputs) };
}

/**
 * Pulumi's dynamic provider writes `${e}: ${e.stack}` to its stderr for a failed check, read or
 * delete (create and update send the message alone), and `pulumi up` prints that stderr. A machine
 * that cannot be reached is not a fault of this code, so its frames help nobody: the line becomes
 * the error's name and its one sentence (`HostConnectionError: Cannot connect to ...`), once.
 */
export function asEngineSees(e: unknown): unknown {
  if (e instanceof HostConnectionError) {
    Object.defineProperties(e, {
      stack: { value: e.message, configurable: true, writable: true },
      toString: { value: () => e.name, configurable: true, writable: true },
    });
  }
  return e;
}

/** Runs a handler on `host`; a connection failure leaves it as {@link asEngineSees} shapes it. */
function onMachine<T>(host: Host, work: () => Promise<T>): Promise<T> {
  return onHost(host, work).catch((e: unknown) => {
    throw asEngineSees(e);
  });
}

/**
 * `provider` with each handler run on its resource's machine: check on the new inputs' (after
 * learning that machine's HZ, which a rate's check needs), create and update on the new inputs',
 * read and delete on the state's. diff reaches no machine. Outputs carry the host.
 */
export function onItsHost(provider: pulumi.dynamic.ResourceProvider): pulumi.dynamic.ResourceProvider {
  const { check, create, read, update, delete: remove } = provider;
  return {
    ...provider,
    ...(check && {
      check: (olds, news) => {
        const host = hostOf(news);
        return onMachine(host, async () => {
          if (host !== localHost) await loadPschedHz();
          return check(olds, news);
        });
      },
    }),
    create: (inputs) =>
      onMachine(hostOf(inputs), async () => {
        const result = await create(inputs);
        return { ...result, outs: keepHost(result.outs, inputs) };
      }),
    ...(read && {
      read: (id, props) =>
        onMachine(hostOf(props), async () => {
          const result = await read(id, props);
          // `{}` (gone) must stay `{}`: the engine reads a `props` key as "still there".
          return result.props === undefined ? result : { ...result, props: keepHost(result.props, props) };
        }),
    }),
    ...(update && {
      update: (id, olds, news) =>
        onMachine(hostOf(news), async () => {
          const result = await update(id, olds, news);
          return result.outs === undefined ? result : { ...result, outs: keepHost(result.outs, news) };
        }),
    }),
    ...(remove && { delete: (id, props) => onMachine(hostOf(props), () => remove(id, props)) }),
  };
}
