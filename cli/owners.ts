// Whose each object of the inventory is, and whether its stack's state knows it. Pure: the
// kernel inventory and the stacks' states in, one entry per object out.
import { linkGroupFor } from "../provider/kernel/ip";
import type { FoundLink, FoundNamespace, FoundRecord, Inventory } from "../provider/kernel/inventory";
import { isFreshClaim } from "../provider/kernel/records";
import { parseRouteRecordDetails, routeRecordFile } from "../provider/kernel/route";
import { parseInstanceRecordDetails } from "../provider/kernel/stackInstance";
import { tapStagingName } from "../provider/kernel/tuntap";
import { parseMark, type ParsedMark } from "../provider/ownership";
import { holdingKey, type HeldObject } from "../provider/holdings";
import { proveNamespace, proveServiceProcess } from "../provider/proof";
import { parseServiceRecordDetails } from "../provider/kernel/service";
import type { StackView } from "./stackView";

/** A kernel object (as a state holds it, with what the kernel says of it) or record, by where it is. */
export type ObjectRef =
  | (Extract<HeldObject, { type: "namespace" }> & { readonly staleFile: boolean })
  | (Extract<HeldObject, { type: "link" }> & { readonly kind: string | undefined; readonly ifindex: number })
  | (Extract<HeldObject, { type: "route" }> & {
      readonly via: string | undefined;
      readonly dev: string | undefined;
    })
  | (Extract<HeldObject, { type: "process" }> & {
      readonly pid: number;
      /** Its record's file name: the record goes with it. */
      readonly file: string;
    })
  | {
      readonly type: "record";
      readonly kind: FoundRecord["kind"];
      readonly file: string;
      /** Why it stands alone: the object it was written for is gone or carries another mark. */
      readonly stale: string;
    };

/**
 * - `in state`: its stack's state holds it.
 * - `orphan`: it is its stack's (by the stack instance in its mark) and the state does not hold it.
 * - `pending`: the state has a pending operation for its resource (an update runs, or was killed).
 * - `in progress`: a claim younger than a minute whose object does not exist yet: a create running.
 * - `state unknown`: no state read here holds its stack instance.
 * - `owner unknown`: it shows a sign of pulumi-netns (device group, protocol 110) but names no owner
 *   that can be proven; never removed.
 */
export type Status = "in state" | "orphan" | "pending" | "in progress" | "state unknown" | "owner unknown";

export interface Entry {
  readonly object: ObjectRef;
  /** The ownership mark it carries or its record names; undefined when it names none. */
  readonly mark: string | undefined;
  /** What {@link mark} names; for a destroyed-instance record, that instance and its stack. */
  readonly owner: ParsedMark | undefined;
  /** How the owner was told. */
  readonly proof: string;
  readonly status: Status;
  /** The stack (as Pulumi names it) in whose state it is, or whose orphan it is. */
  readonly stack: string | undefined;
  /** Why the status, where it is not plain. */
  readonly note: string | undefined;
}

export interface ClassifyOptions {
  /**
   * Stack instances to count as a stack's though no state read here holds them (`gc --instance`,
   * for a lost state): instance id to the stack's name as Pulumi lists it.
   */
  readonly claimed?: ReadonlyMap<string, string>;
  /** Now, in milliseconds since the epoch (records younger than a minute may be creates running). */
  readonly now?: number;
  /**
   * Stacks (as Pulumi lists them) known to run nothing: their state has no pending operation, which
   * the engine writes before it asks the provider to create anything. A claim younger than a minute
   * that carries one of their instances is a killed run's, not a create in progress.
   */
  readonly settled?: readonly string[];
}

type Verdict = Pick<Entry, "status" | "stack" | "note">;

/** One entry per object of `inventory` that carries a sign of pulumi-netns, with whose it is. */
export function classify(
  inventory: Inventory,
  stacks: readonly StackView[],
  options: ClassifyOptions = {},
): Entry[] {
  const now = options.now ?? Date.now();
  const records = (kind: FoundRecord["kind"]) =>
    new Map(inventory.records.filter((r) => r.kind === kind).map((r) => [r.file, r]));
  const netnsRecords = records("namespace");
  const routeRecords = records("route");
  const destroyed = new Map(
    [...records("instance")].map(([file, r]) => [file, parseInstanceRecordDetails(r.details)]),
  );

  // Marks a half-made link (device group or staging name, no alias) may be matched against.
  const candidates = new Set<string>(stacks.flatMap((s) => s.marks));
  for (const m of [
    ...inventory.namespaces.map((n) => n.mark),
    ...inventory.links.map((l) => l.mark),
    ...inventory.records.filter((r) => r.kind !== "instance").map((r) => r.mark),
  ]) {
    if (m !== undefined) candidates.add(m);
  }

  const stackOf = (owner: Pick<ParsedMark, "project" | "stack">) =>
    stacks.find((s) => s.project === owner.project && s.stack === owner.stack);

  /** The status of an object carrying `mark`; `object` is how a state would name it. */
  const verdict = (mark: string, object: HeldObject | undefined): Verdict => {
    const owner = parseMark(mark);
    if (!owner) return { status: "owner unknown", stack: undefined, note: "the mark cannot be read" };
    const key = object && holdingKey({ object, mark });
    const held = (s: StackView) => key !== undefined && s.holdings.has(key);
    const inStack = (s: StackView, orphanNote?: string): Verdict => {
      if (held(s)) return { status: "in state", stack: s.name, note: undefined };
      if (s.pendingMarks.has(mark)) {
        return { status: "pending", stack: s.name, note: "its resource has a pending operation" };
      }
      return { status: "orphan", stack: s.name, note: orphanNote };
    };
    if (owner.instance === undefined) {
      const s = stackOf(owner);
      if (s && (s.instances.length === 0 || held(s) || s.pendingMarks.has(mark))) {
        return inStack(s, "made before stack instances, and the stack has none");
      }
      return {
        status: "state unknown",
        stack: undefined,
        note: s
          ? "made before stack instances; the stack has an instance now, so it cannot be proven its"
          : "made before stack instances",
      };
    }
    const current = stacks.find((s) => s.instances.includes(owner.instance!));
    if (current) return inStack(current);
    const claimedBy = options.claimed?.get(owner.instance);
    const claimer = claimedBy === undefined ? undefined : stacks.find((s) => s.name === claimedBy);
    if (claimer && stackOf(owner) === claimer) {
      return inStack(claimer, "its stack instance was named with --instance");
    }
    if (destroyed.has(owner.instance)) {
      const s = stackOf(owner);
      if (s) return inStack(s, "its stack instance was destroyed");
      return { status: "state unknown", stack: undefined, note: "its stack instance was destroyed" };
    }
    return { status: "state unknown", stack: undefined, note: "no state read here holds its stack instance" };
  };

  /** Whether a claim made at `modifiedMs` for `mark` may still be a create running. */
  const inProgress = (mark: string, modifiedMs: number) => {
    if (!isFreshClaim(modifiedMs, now)) return false;
    // Whose stack it is, as for any object (its current, a named or a destroyed instance).
    const stack = verdict(mark, undefined).stack;
    return stack === undefined || !(options.settled ?? []).includes(stack);
  };

  const entries: Entry[] = [];
  const add = (object: ObjectRef, mark: string | undefined, proof: string, v: Verdict) =>
    entries.push({ object, mark, owner: mark === undefined ? undefined : parseMark(mark), proof, ...v });

  // Namespaces: the mark on their loopback, or, for one `ip netns add` just made, the record.
  const attachedNetnsRecords = new Set<string>();
  const namespaceNames = new Set<string>();
  for (const ns of inventory.namespaces) {
    namespaceNames.add(ns.name);
    const owned = namespaceOwner(ns, netnsRecords.get(ns.name), candidates);
    if (!owned) continue;
    const record = netnsRecords.get(ns.name);
    if (record?.mark === owned.mark) attachedNetnsRecords.add(ns.name);
    const ref: ObjectRef = { type: "namespace", name: ns.name, staleFile: ns.staleFile };
    const fresh = owned.byRecord && record !== undefined && inProgress(record.mark, record.modifiedMs);
    const v = fresh
      ? { status: "in progress" as const, stack: undefined, note: "claimed less than a minute ago" }
      : verdict(owned.mark, { type: "namespace", name: ns.name });
    add(ref, owned.mark, owned.proof, v);
  }

  for (const link of inventory.links) {
    const ref: ObjectRef = {
      type: "link",
      netns: link.netns,
      name: link.name,
      kind: link.kind,
      ifindex: link.ifindex,
    };
    const owned = linkOwner(link, candidates);
    if (!owned) {
      add(ref, undefined, "device group of pulumi-netns without an alias (half made)", {
        status: "owner unknown",
        stack: undefined,
        note: "no known mark has this device group",
      });
      continue;
    }
    add(
      ref,
      owned.mark,
      owned.proof,
      verdict(owned.mark, { type: "link", netns: link.netns, name: link.name }),
    );
  }

  const attachedRouteRecords = new Set<string>();
  for (const route of inventory.routes) {
    const ref: ObjectRef = { type: "route", ...route };
    const file = routeRecordFile(route.netns, route);
    const record = routeRecords.get(file);
    if (!record) {
      add(ref, undefined, "protocol 110 without a record", {
        status: "owner unknown",
        stack: undefined,
        note: "made before route records, or by someone else with protocol 110",
      });
      continue;
    }
    attachedRouteRecords.add(file);
    add(ref, record.mark, "protocol 110 and its record", verdict(record.mark, { type: "route", ...route }));
  }

  // A service's process: only through its record, proven by pid, start time, namespace and the
  // mark in its environment, or, where the record does not name it yet, as the session leader in
  // the recorded namespace whose environment carries the mark and the record's file. A record with
  // no such process is stale.
  for (const record of records("service").values()) {
    const service = parseServiceRecordDetails(record.details);
    const held: HeldObject | undefined = service && {
      type: "process",
      netns: service.netns,
      name: service.name,
    };
    const proven = service
      ? inventory.processes.filter(
          (p) =>
            p.file === record.file &&
            proveServiceProcess(p.pid, p.facts, { ...service, file: record.file }, record.mark).verdict ===
              "ours",
        )
      : [];
    if (service && proven.length > 0) {
      for (const found of proven) {
        const ref: ObjectRef = {
          type: "process",
          netns: service.netns,
          name: service.name,
          pid: found.pid,
          file: record.file,
        };
        const proof =
          found.pid === service.pid
            ? "pid, start time, namespace and the mark in its environment"
            : "session leader in its namespace, the mark and record in its environment";
        add(ref, record.mark, proof, verdict(record.mark, held));
      }
      continue;
    }
    const stale = service
      ? `the process of service ${service.name} in ${where(service.netns)} is not running`
      : "its details cannot be read";
    const ref: ObjectRef = { type: "record", kind: record.kind, file: record.file, stale };
    const v: Verdict = inProgress(record.mark, record.modifiedMs)
      ? { status: "in progress", stack: undefined, note: "claimed less than a minute ago" }
      : verdict(record.mark, held);
    add(ref, record.mark, "record", v);
  }

  // Records whose object is gone or carries another mark: stale, unless a create just claimed them.
  for (const record of netnsRecords.values()) {
    if (attachedNetnsRecords.has(record.file)) continue;
    const stale = namespaceNames.has(record.file)
      ? `namespace ${record.file} does not carry its mark`
      : `namespace ${record.file} is gone`;
    addRecord(record, stale, !namespaceNames.has(record.file));
  }
  for (const record of routeRecords.values()) {
    if (attachedRouteRecords.has(record.file)) continue;
    const route = parseRouteRecordDetails(record.details);
    const stale = route
      ? `route ${route.key.destination} (table ${route.key.table}, metric ${route.key.metric}) in ${where(route.netns)} is gone`
      : "its details cannot be read";
    addRecord(record, stale, true);
  }
  function addRecord(record: FoundRecord, stale: string, objectMissing: boolean) {
    const ref: ObjectRef = { type: "record", kind: record.kind, file: record.file, stale };
    const v: Verdict =
      objectMissing && inProgress(record.mark, record.modifiedMs)
        ? { status: "in progress", stack: undefined, note: "claimed less than a minute ago" }
        : verdict(record.mark, undefined);
    add(ref, record.mark, "record", v);
  }

  // A destroyed instance's record goes with the last object of that instance.
  for (const [instance, owner] of destroyed) {
    const ref: ObjectRef = {
      type: "record",
      kind: "instance",
      file: instance,
      stale: `stack instance ${instance} was destroyed`,
    };
    const parsed: ParsedMark = {
      instance,
      project: owner?.project ?? "",
      stack: owner?.stack ?? "",
      kind: "StackInstance",
      name: "",
    };
    const current = stacks.find((s) => s.instances.includes(instance));
    const s = current ?? (owner ? stackOf(owner) : undefined);
    const v: Verdict = current
      ? { status: "orphan", stack: current.name, note: "the stack holds this instance again" }
      : s
        ? { status: "orphan", stack: s.name, note: undefined }
        : { status: "state unknown", stack: undefined, note: undefined };
    entries.push({ object: ref, mark: undefined, owner: parsed, proof: "record", ...v });
  }
  return entries;
}

/** "namespace X" or "the host namespace". */
export const where = (netns: string | undefined): string =>
  netns === undefined ? "the host namespace" : `namespace ${netns}`;

/**
 * Whose namespace `ns` is, by the mark on its loopback; or, with no mark there, by its record when
 * the proof of namespaces (provider/proof.ts) finds it half made or a leftover of the record's
 * owner, or when it was made before namespaces carried marks. A half-made namespace may hold
 * links in the device group of the record's mark or of a mark below it (a Lan's hosts), among the
 * marks known (`candidates`). Undefined: it shows no sign of being ours.
 */
export function namespaceOwner(
  ns: FoundNamespace,
  record: Pick<FoundRecord, "mark"> | undefined,
  candidates: Iterable<string> = [],
): { mark: string; proof: string; byRecord: boolean } | undefined {
  if (ns.mark !== undefined) return { mark: ns.mark, proof: "loopback alias", byRecord: false };
  if (!record) return undefined;
  const below = [...candidates].filter((m) => m === record.mark || m.startsWith(`${record.mark}/`));
  const proof = proveNamespace(ns.facts, record.mark, record.mark, {
    halfMadeGroups: new Set([record.mark, ...below].map(linkGroupFor)),
  });
  if (proof.verdict === "leftover") {
    return {
      mark: record.mark,
      proof: "record; /run/netns file of an interrupted ip netns add or delete",
      byRecord: true,
    };
  }
  if (proof.verdict === "half-made") {
    return {
      mark: record.mark,
      proof: "record; untouched since its create added it (half made)",
      byRecord: true,
    };
  }
  if (parseMark(record.mark)?.instance === undefined) {
    return { mark: record.mark, proof: "record (made before stack instances)", byRecord: true };
  }
  return undefined;
}

/**
 * Whose link it is: the mark in its alias; or, half made (no alias yet), the known mark whose
 * device group it is in or whose tap staging name it has. Undefined when neither proves an owner.
 */
export function linkOwner(
  link: Pick<FoundLink, "mark" | "otherAlias" | "group" | "name" | "kind">,
  candidates: Iterable<string>,
): { mark: string; proof: string } | undefined {
  if (link.mark !== undefined) return { mark: link.mark, proof: "alias" };
  if (link.otherAlias !== undefined) return undefined;
  for (const mark of candidates) {
    if (link.group === linkGroupFor(mark)) {
      return { mark, proof: "device group of its mark, no alias yet (half made)" };
    }
    if (link.kind === "tun" && link.name === tapStagingName(mark)) {
      return { mark, proof: "tap staging name of its mark (half made)" };
    }
  }
  return undefined;
}
