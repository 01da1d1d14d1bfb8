// `pulumi-netns gc --stack NAME`: removes exactly the orphans of one stack, the objects that carry
// its stack instance in their mark and that its state does not hold, proving the mark again
// right before each removal.
import { basename } from "node:path";
import { NotFoundError } from "../provider/kernel/errors";
import {
  observeFoundLink,
  observeNamespace,
  takeInventory,
  RECORD_DIRS,
  type Inventory,
} from "../provider/kernel/inventory";
import { linkDelete } from "../provider/kernel/link";
import { netnsDelete } from "../provider/kernel/netns";
import {
  recordDeadTemporaries,
  recordRead,
  recordRelease,
  recordRemoveTemporary,
} from "../provider/kernel/records";
import {
  OWNED_ROUTE_PROTOCOL,
  parseRouteRecordDetails,
  routeDelete,
  routeReadRecord,
  routeRecordFile,
  routeShow,
  type RouteKey,
} from "../provider/kernel/route";
import { stackInstanceRecordRemove } from "../provider/kernel/stackInstance";
import {
  parseServiceRecordDetails,
  processFacts,
  type ServiceRecordDetails,
} from "../provider/kernel/service";
import { findServiceProcesses, removeServiceLeftovers, stopProven } from "../provider/service";
import { isOwnedGroup } from "../provider/kernel/ip";
import { parseMark } from "../provider/ownership";
import {
  proveNamespace,
  proveServiceProcess,
  proveRecord,
  proveRoute,
  recordOutlivedItsObject,
} from "../provider/proof";
import { CommandFailure, UsageError, type CommandResult } from "./command";
import type { Sources } from "./ls";
import { classify, linkOwner, namespaceOwner, type Entry } from "./owners";
import { columns, describeObject, describeOwner, entryJson } from "./report";
import { shortStackName, type StackView } from "./stackView";

export const gcHelp = `Usage: pulumi-netns gc --stack NAME [--instance ID]... [--dry-run] [--json]

Removes the orphans of one stack of the project in the current directory (or above), and nothing
else: the namespaces, links, routes and records that carry the stack's instance in their mark
(\`pulumi-netns ls\` shows them as ORPHAN) and that its state does not hold. Each one's mark is
checked again right before it is removed; each removal is printed.

The stack's instances are the one in its state, and any destroyed one (\`pulumi destroy\` leaves a
record when something still carried it) whose objects name this project and stack. So after
abandoning a killed run (\`pulumi cancel\`, \`pulumi refresh --clear-pending-creates\`,
\`pulumi destroy\`) \`gc --stack NAME\` removes what the killed run made.

Never removed: objects of other stacks or instances; objects without a provable owner (a link in
pulumi-netns's device group without an alias, or a tap under a staging name, that no mark known
from a state or the host explains; a protocol 110 route without a record: \`ls\` lists them as
"owner unknown"); a namespace that holds anything but the
stack's orphans (it is kept, and said so). gc refuses to run while the stack's state has pending
operations: an update may be running; after a killed one, run \`pulumi cancel\` and
\`pulumi refresh --clear-pending-creates\` first. A run with PULUMI_SKIP_CHECKPOINTS=true records
no pending operation: never run gc on a stack while such a run is under way.

Temporary files of record writes whose writer died, naming one of the stack's instances, go too.

Options:
  --stack NAME     the stack whose orphans go (required)
  --instance ID    also count stack instance ID as this stack's: for objects of a lost state
                   (\`ls\` shows the id; objects must name this project and stack); repeatable
  --dry-run        list what would be removed, remove nothing
  --json           print a JSON report instead of text
  -h, --help       print this help

Exit status: 0 every orphan was removed (or there was none); 1 a state could not be read, the
state has pending operations, or an orphan could not be removed (the report says which and why);
2 usage error.`;

export interface GcOptions {
  readonly stack: string;
  readonly instances: readonly string[];
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly cwd: string;
}

export type Outcome = "removed" | "gone" | "would remove" | "kept" | "failed";

export interface GcItem {
  readonly entry: Entry;
  readonly outcome: Outcome;
  /** Why it was kept or failed, or what it went with. */
  readonly reason: string | undefined;
}

const INSTANCE_ID = /^[A-Za-z0-9_-]{1,32}$/;

/** The order removals run in: what lives inside a namespace before the namespace, records last. */
const ORDER: Record<string, number> = { process: 0, route: 0, link: 1, namespace: 2, record: 3 };
const rank = (e: Entry) =>
  (ORDER[e.object.type] ?? 9) + (e.object.type === "record" && e.object.kind === "instance" ? 1 : 0);

/** The orphans of stack `stack` among `entries`, in the order gc removes them. */
export function orphansOf(entries: readonly Entry[], stack: string): Entry[] {
  return entries.filter((e) => e.status === "orphan" && e.stack === stack).sort((a, b) => rank(a) - rank(b));
}

export async function gc(options: GcOptions, sources: Sources): Promise<CommandResult> {
  for (const id of options.instances) {
    if (!INSTANCE_ID.test(id))
      throw new UsageError(`--instance ${JSON.stringify(id)}: not a stack instance id`);
  }
  const states = await sources.readStates(options.cwd, undefined);
  if (states.project === undefined && states.error !== undefined) {
    throw new CommandFailure(`could not read the Pulumi project in ${states.dir ?? "."}: ${states.error}`);
  }
  if (states.project === undefined) {
    throw new CommandFailure(
      "no Pulumi project here (no Pulumi.yaml in this directory or above): run gc in the directory " +
        "of the project whose stack it names, where `pulumi up` runs.",
    );
  }
  if (states.error !== undefined) {
    throw new CommandFailure(`could not list the stacks of project ${states.project}: ${states.error}`);
  }
  const read =
    states.stacks.find((s) => s.name === options.stack) ??
    states.stacks.find((s) => shortStackName(s.name) === options.stack);
  if (!read) {
    const known = states.stacks.map((s) => s.name).join(", ") || "none";
    throw new CommandFailure(
      `project ${states.project} has no stack ${options.stack} (its stacks: ${known}).`,
    );
  }
  if (!read.view) {
    throw new CommandFailure(
      `could not read the state of stack ${read.name}, so its orphans cannot be told: ${read.error ?? ""}`,
    );
  }
  const view = read.view;
  if (view.pendingOperations > 0) {
    throw new CommandFailure(
      `the state of stack ${view.name} has ${view.pendingOperations} pending operations: an update may be ` +
        "running, and what it is creating would look like orphans. If it was killed, run `pulumi cancel` " +
        "and `pulumi refresh --clear-pending-creates` first (see docs/RELIABILITY.md).",
    );
  }
  const views = states.stacks.flatMap((s) => (s.view ? [s.view] : []));
  for (const id of options.instances) {
    const holder = views.find((v) => v.instances.includes(id));
    if (holder) {
      throw new CommandFailure(
        `stack instance ${id} is the current instance of stack ${holder.name}; its orphans are that ` +
          `stack's: run \`pulumi-netns gc --stack ${holder.name}\`.`,
      );
    }
  }
  const inventory = await sources.takeInventory();
  const claimed = new Map(options.instances.map((id) => [id, view.name]));
  // No pending operation (checked above): nothing of this stack runs, so its fresh claims are a
  // killed run's.
  const entries = classify(inventory, views, { claimed, now: sources.now, settled: [view.name] });
  const orphans = orphansOf(entries, view.name);
  const items: GcItem[] = [];
  for (const entry of orphans) {
    if (options.dryRun) {
      items.push({ entry, outcome: "would remove", reason: undefined });
      continue;
    }
    try {
      items.push({ entry, ...(await remove(entry, inventory, view)) });
    } catch (e) {
      items.push({ entry, outcome: "failed", reason: e instanceof Error ? e.message : String(e) });
    }
  }
  if (!options.dryRun) items.push(...(await sweepTemporaries(view, options.instances, orphans)));
  const unproven = entries.filter((e) => e.status === "owner unknown").length;
  const ok = items.every((i) => i.outcome !== "kept" && i.outcome !== "failed");
  const stdout = options.json
    ? JSON.stringify(gcJson(states.project, view, options, items, unproven), null, 2)
    : gcText(view, options, items, unproven);
  return { exitCode: ok ? 0 : 1, stdout, stderr: "" };
}

type Removal = Pick<GcItem, "outcome" | "reason">;
const removed: Removal = { outcome: "removed", reason: undefined };
const kept = (reason: string): Removal => ({ outcome: "kept", reason });
const gone = (reason: string): Removal => ({ outcome: "gone", reason });

const isGone = (e: unknown) => e instanceof NotFoundError && e.missing === "netns";

/** Proves the entry's mark once more on the object as it is now, then removes it. */
async function remove(entry: Entry, inventory: Inventory, view: StackView): Promise<Removal> {
  const object = entry.object;
  const mark = entry.mark;
  switch (object.type) {
    case "route": {
      if (mark === undefined) return kept("it names no owner");
      const key: RouteKey = object;
      let state;
      try {
        state = await routeShow(object.netns, key);
      } catch (e) {
        if (!isGone(e)) throw e;
      }
      if (!state) {
        await recordRelease(RECORD_DIRS.route, routeRecordFile(object.netns, object), mark);
        return gone("it was already gone; its record was removed");
      }
      if (proveRoute(state, await routeReadRecord(object.netns, key), mark).verdict !== "ours") {
        return kept("it no longer carries this mark");
      }
      // The kernel deletes it only while it carries protocol 110.
      await routeDelete(object.netns, key, OWNED_ROUTE_PROTOCOL);
      await recordRelease(RECORD_DIRS.route, routeRecordFile(object.netns, object), mark);
      return removed;
    }
    case "link": {
      if (mark === undefined) return kept("it names no owner");
      const now = await observeFoundLink(object.netns, object.name);
      if (!now) return gone("it went with its veth peer or its namespace");
      if (now.ifindex !== object.ifindex) return kept("another link took its name since it was listed");
      if (linkOwner(now, [mark])?.mark !== mark) return kept("it no longer carries this mark");
      await linkDelete(object.netns, object.name);
      return removed;
    }
    case "namespace": {
      if (mark === undefined) return kept("it names no owner");
      const now = await observeNamespace(object.name);
      const record = await recordRead(RECORD_DIRS.namespace, object.name);
      if (!now) {
        await recordRelease(RECORD_DIRS.namespace, object.name, mark);
        return gone("it was already gone");
      }
      const listed = inventory.namespaces.find((n) => n.name === object.name);
      if (now.inode !== listed?.inode) return kept("another namespace took its name since it was listed");
      const owned = namespaceOwner(now, record, [mark]);
      if (owned?.mark !== mark) return kept("it no longer carries this mark");
      if (now.links.length > 0) {
        return kept(`it holds links that are not orphans of this stack: ${now.links.join(", ")}`);
      }
      await netnsDelete(object.name);
      await recordRelease(RECORD_DIRS.namespace, object.name, mark);
      return removed;
    }
    case "process": {
      if (mark === undefined) return kept("it names no owner");
      const record = await serviceRecord(object.file, mark);
      if (!record) return kept("its record changed since it was listed");
      const recorded = { ...record, file: object.file };
      // Proven again (pid, start time, namespace, environment mark; or, not named by the record,
      // session, namespace and the mark and record in its environment) right before each signal.
      const facts = await processFacts(object.pid);
      const proof = proveServiceProcess(object.pid, facts, recorded, mark);
      if (proof.verdict === "foreign") return kept("it no longer carries this mark");
      if (proof.verdict === "ours") {
        const started = { startTime: facts.startTime!, netnsInode: facts.netnsInode! };
        await stopProven(object.pid, started, mark, { signal: "SIGTERM", timeoutSeconds: 10 });
      }
      // Another process of the record (two starts, one not recorded) keeps it for its own entry.
      if ((await findServiceProcesses(recorded, mark)).length > 0) return removed;
      await removeServiceLeftovers(record, mark);
      return proof.verdict === "ours"
        ? removed
        : gone("it had ended already; its files, log and record were removed");
    }
    case "record":
      return removeRecord(entry, view);
  }
}

/** The service record `file` when it still names `mark`. */
async function serviceRecord(file: string, mark: string): Promise<ServiceRecordDetails | undefined> {
  const record = await recordRead(RECORD_DIRS.service, file);
  if (record?.mark !== mark) return undefined;
  return parseServiceRecordDetails(record.details);
}

/** The device groups of pulumi-netns the links in a namespace are in. */
const ownGroups = (ns: { facts: { links: readonly { group: number }[] } }) =>
  ns.facts.links.map((l) => l.group).filter(isOwnedGroup);

async function removeRecord(entry: Entry, view: StackView): Promise<Removal> {
  const object = entry.object;
  if (object.type !== "record") throw new Error("not a record");
  const mark = entry.mark;
  switch (object.kind) {
    case "namespace": {
      if (mark === undefined) return kept("it names no owner");
      const now = await observeNamespace(object.file);
      const record = await recordRead(RECORD_DIRS.namespace, object.file);
      if (proveRecord(record?.mark, mark).verdict !== "ours") return gone("it was already gone or rewritten");
      // A half-made Lan namespace holds links in its hosts' groups too: any of ours keeps the record.
      const namespace = now
        ? proveNamespace(now.facts, mark, mark, { halfMadeGroups: new Set(ownGroups(now)) })
        : ({ verdict: "absent" } as const);
      if (!recordOutlivedItsObject(namespace)) return kept("its namespace is ours, and the record proves it");
      await recordRelease(RECORD_DIRS.namespace, object.file, mark);
      return removed;
    }
    case "route": {
      if (mark === undefined) return kept("it names no owner");
      const record = await recordRead(RECORD_DIRS.route, object.file);
      if (!record || proveRecord(record.mark, mark).verdict !== "ours")
        return gone("it was already gone or rewritten");
      const route = parseRouteRecordDetails(record.details);
      if (route) {
        let state;
        try {
          state = await routeShow(route.netns, route.key);
        } catch (e) {
          if (!isGone(e)) throw e;
        }
        if (state?.protocol === OWNED_ROUTE_PROTOCOL) return kept("its route exists now");
      }
      await recordRelease(RECORD_DIRS.route, object.file, mark);
      return removed;
    }
    case "service": {
      if (mark === undefined) return kept("it names no owner");
      const record = await serviceRecord(object.file, mark);
      if (!record) return gone("it was already gone or rewritten");
      if ((await findServiceProcesses({ ...record, file: object.file }, mark)).length > 0) {
        return kept("its process runs now");
      }
      await removeServiceLeftovers(record, mark);
      return removed;
    }
    case "instance": {
      const instance = object.file;
      if (!view.instances.includes(instance)) {
        const left = await stillCarried(instance);
        if (left.length > 0) return kept(`objects still carry the instance: ${left.join(", ")}`);
      }
      await stackInstanceRecordRemove(instance);
      return removed;
    }
  }
}

/**
 * Removes the temporary files of interrupted record writes whose writers are dead and whose
 * record names one of the stack's instances (its state's, those named with --instance, and those
 * of its orphans): what a killed run left half written.
 */
async function sweepTemporaries(
  view: StackView,
  claimed: readonly string[],
  orphans: readonly Entry[],
): Promise<GcItem[]> {
  const instances = new Set([
    ...view.instances,
    ...claimed,
    ...orphans.flatMap((o) => (o.owner?.instance === undefined ? [] : [o.owner.instance])),
  ]);
  const items: GcItem[] = [];
  for (const [kind, dir] of Object.entries(RECORD_DIRS) as [keyof typeof RECORD_DIRS, string][]) {
    for (const temporary of await recordDeadTemporaries(dir)) {
      const owner = parseMark(temporary.mark);
      // An instance record's first line is the instance itself.
      const instance = kind === "instance" ? temporary.mark : owner?.instance;
      if (instance === undefined || !instances.has(instance)) continue;
      const entry: Entry = {
        object: {
          type: "record",
          kind,
          file: basename(temporary.path),
          stale: "its writer died before it was put in place",
        },
        mark: temporary.mark,
        owner,
        proof: "temporary file of a dead writer",
        status: "orphan",
        stack: view.name,
        note: undefined,
      };
      try {
        await recordRemoveTemporary(temporary.path);
        items.push({ entry, outcome: "removed", reason: undefined });
      } catch (e) {
        items.push({ entry, outcome: "failed", reason: e instanceof Error ? e.message : String(e) });
      }
    }
  }
  return items;
}

/** What still carries stack instance `instance` in its mark, read afresh. */
async function stillCarried(instance: string): Promise<string[]> {
  const inventory = await takeInventory();
  const carries = (mark: string | undefined) => mark !== undefined && parseMark(mark)?.instance === instance;
  return [
    ...inventory.namespaces.filter((n) => carries(n.mark)).map((n) => `namespace ${n.name}`),
    ...inventory.links.filter((l) => carries(l.mark)).map((l) => `link ${l.name}`),
    ...inventory.records
      .filter((r) => r.kind !== "instance" && carries(r.mark))
      .map((r) => `record ${r.file}`),
  ];
}

const verb: Record<Outcome, string> = {
  removed: "removed",
  gone: "removed",
  "would remove": "would remove",
  kept: "KEPT",
  failed: "FAILED",
};

export function gcText(
  view: StackView,
  options: GcOptions,
  items: readonly GcItem[],
  unproven: number,
): string {
  const instances = view.instances.length > 0 ? view.instances.join(", ") : "none in its state";
  const out = [`gc of stack ${view.name} (project ${view.project}, stack instance ${instances})`];
  if (items.length === 0) {
    out.push("  no orphans of this stack on this host");
  } else {
    out.push(
      ...columns(
        items.map((i) => [
          verb[i.outcome],
          describeObject(i.entry.object),
          describeOwner(i.entry),
          [i.entry.note, i.reason].filter(Boolean).join("; "),
        ]),
      ),
    );
  }
  const count = (o: Outcome[]) => items.filter((i) => o.includes(i.outcome)).length;
  const done = count(["removed", "gone"]);
  out.push(
    options.dryRun
      ? `${items.length} orphans found; --dry-run: nothing was removed.`
      : `${items.length} orphans found, ${done} removed` +
          (count(["kept", "failed"]) > 0 ? `, ${count(["kept", "failed"])} not (see above).` : "."),
  );
  if (unproven > 0) {
    out.push(
      `${unproven} objects show a sign of pulumi-netns without a provable owner and were left alone ` +
        "(`pulumi-netns ls` lists them as owner unknown).",
    );
  }
  return out.join("\n");
}

export function gcJson(
  project: string,
  view: StackView,
  options: GcOptions,
  items: readonly GcItem[],
  unproven: number,
): Record<string, unknown> {
  return {
    project,
    stack: view.name,
    instances: view.instances,
    claimedInstances: options.instances,
    dryRun: options.dryRun,
    found: items.length,
    removed: items.filter((i) => i.outcome === "removed" || i.outcome === "gone").length,
    notRemoved: items.filter((i) => i.outcome === "kept" || i.outcome === "failed").length,
    ownerUnknown: unproven,
    objects: items.map((i) => ({ ...entryJson(i.entry), outcome: i.outcome, reason: i.reason ?? null })),
  };
}
