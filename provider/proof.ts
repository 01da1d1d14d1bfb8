// How a kernel object is proven a resource's own: one function per type of object a kind can hold
// (see holdings.ts), pure over what was read from the kernel and the records. The lifecycle
// handlers (read, update, delete, a create's resume and rollback), the Lan and the CLI's `ls` and
// `gc` all decide with these, so no two places can disagree about whose an object is.
// DESIGN.md "Ownership marks" says where each mark lives.
import { MARK_PREFIX } from "./kernel/ip";
import { linkOwnership, type LinkState } from "./kernel/link";
import type { NamespaceFacts } from "./kernel/netns";
import { OWNED_ROUTE_PROTOCOL } from "./kernel/route";
import type { ProcessFacts } from "./kernel/service";

/**
 * - `ours`: it carries the mark.
 * - `half-made`: it does not carry the mark yet, but is exactly what this owner's create leaves
 *   before marking it (a create killed in between): the owner may finish or remove it.
 * - `leftover`: not an object any more, only what an interrupted create or delete of this owner
 *   left (the empty `/run/netns` file of an `ip netns add` killed before its mount, or of an
 *   `ip netns delete` killed between its unmount and its unlink): the owner removes it.
 * - `absent`: nothing there.
 * - `foreign`: someone else's; `carried` is the mark it carries, if any.
 */
export type Proof =
  | { readonly verdict: "ours" | "half-made" | "leftover" | "absent" }
  | { readonly verdict: "foreign"; readonly carried: string | undefined };

const FOREIGN = (carried: string | undefined): Proof => ({ verdict: "foreign", carried });

/** The mark in an alias, without the prefix; undefined when the alias names none. */
export const aliasMark = (alias: string | undefined): string | undefined =>
  alias?.startsWith(MARK_PREFIX) ? alias.slice(MARK_PREFIX.length) : undefined;

export interface NamespaceProofOptions {
  /**
   * Device groups the owner's create adds links in before it marks the namespace (a Lan adds its
   * cables with the namespace in one batch): a half-made namespace may hold links of these groups.
   * None: only a namespace exactly as `ip netns add` leaves it is half made.
   */
  readonly halfMadeGroups?: ReadonlySet<number>;
  /**
   * State written before namespaces carried marks recorded the nsfs inode: with the record, that
   * inode proves the namespace.
   */
  readonly legacyInode?: number | undefined;
}

/**
 * Whether namespace facts prove it `mark`'s. `record` is the mark our record under
 * /run/pulumi-netns/netns names (claimed before `ip netns add`, released after `ip netns delete`).
 * A record never proves a namespace on its own: only with the namespace exactly as the owner's
 * create leaves it before marking, or with an empty file (a `/run/netns` name nobody else can
 * have added: `ip netns add` refuses a name whose file exists, and our record is there first).
 */
export function proveNamespace(
  facts: NamespaceFacts,
  mark: string,
  record: string | undefined,
  options: NamespaceProofOptions = {},
): Proof {
  if (facts.file === "absent") return { verdict: "absent" };
  if (facts.file === "stale") return record === mark ? { verdict: "leftover" } : FOREIGN(record);
  const lo = facts.links.find((l) => l.name === "lo");
  const carried = aliasMark(lo?.alias === "" ? undefined : lo?.alias);
  if (carried === mark) return { verdict: "ours" };
  const otherwise = FOREIGN(carried ?? (record !== mark ? record : undefined));
  if (carried !== undefined || record !== mark) return otherwise;
  if (options.legacyInode !== undefined && facts.inode === options.legacyInode) return { verdict: "ours" };
  const groups = options.halfMadeGroups ?? new Set<number>();
  const untouched =
    lo !== undefined &&
    (lo.alias === undefined || lo.alias === "") &&
    !lo.adminUp &&
    facts.links.every((l) => l.name === "lo" || groups.has(l.group));
  return untouched ? { verdict: "half-made" } : otherwise;
}

/** Whether a link is `mark`'s: by its alias, or, half made, by its device group (see linkOwnership). */
export function proveLink(state: Pick<LinkState, "alias" | "group"> | undefined, mark: string): Proof {
  if (!state) return { verdict: "absent" };
  const owned = linkOwnership(state, mark);
  if (owned === "ours") return { verdict: "ours" };
  if (owned === "ours-half-made") return { verdict: "half-made" };
  return FOREIGN(aliasMark(state.alias));
}

/**
 * Whether a route is `mark`'s: it has protocol 110 (set atomically with the add) and our record
 * of its key names the mark (claimed before the add). State written before route records
 * (`legacy`) is proven by the protocol alone while no record names anyone else.
 */
export function proveRoute(
  state: { readonly protocol: number } | undefined,
  record: string | undefined,
  mark: string,
  options: { readonly legacy?: boolean } = {},
): Proof {
  if (!state) return { verdict: "absent" };
  const recorded = record === mark || (options.legacy === true && record === undefined);
  if (state.protocol === OWNED_ROUTE_PROTOCOL && recorded) return { verdict: "ours" };
  return FOREIGN(state.protocol === OWNED_ROUTE_PROTOCOL ? record : undefined);
}

/**
 * Whether a record is `mark`'s: it names the mark. A record of ours goes with its object, or
 * alone once its object is absent or someone else's; never while its object is ours or a leftover
 * (the record is what proves the leftover ours).
 */
export function proveRecord(record: string | undefined, mark: string): Proof {
  if (record === undefined) return { verdict: "absent" };
  return record === mark ? { verdict: "ours" } : FOREIGN(record);
}

/** Whether a record of ours may go without its object: the object no longer needs it. */
export const recordOutlivedItsObject = (object: Proof): boolean =>
  object.verdict === "absent" || object.verdict === "foreign";

/** A service's process as it was started: what its pid must still show to be the same process. */
export interface StartedProcess {
  readonly startTime: string;
  readonly netnsInode: number;
}

/**
 * Whether a process is `mark`'s service: alive (a zombie is dead), started when ours was (a reused
 * pid has another start time), in the namespace ours was started in, and carrying the mark in its
 * own environment. Anything else at that pid is foreign and is never signalled.
 */
export function proveProcess(
  facts: Pick<ProcessFacts, "state" | "startTime" | "netnsInode" | "mark">,
  started: StartedProcess,
  mark: string,
): Proof {
  if (facts.state !== "running") return { verdict: "absent" };
  const same =
    facts.startTime === started.startTime && facts.netnsInode === started.netnsInode && facts.mark === mark;
  return same ? { verdict: "ours" } : FOREIGN(facts.mark);
}

/** What a service record says of its process: the pid it names (once known) and where it runs. */
export interface RecordedService {
  /** The record's file name, which the process's own PULUMI_NETNS_SERVICE names too. */
  readonly file: string;
  readonly pid?: number | undefined;
  readonly startTime?: string | undefined;
  /** The nsfs inode of the namespace, recorded when the record is claimed, before the start. */
  readonly netnsInode?: number | undefined;
}

/**
 * Whether the process at `pid` is the one `mark`'s service record stands for. Either the record
 * names it (pid, start time, namespace and mark, as {@link proveProcess}), or the record does not
 * name it yet (a provider killed between the start and the record's rewrite, or during an update's
 * restart): then the process must lead its own session (the start makes one; its children do not),
 * run in the recorded namespace, and carry both the mark and the record's file name in its own
 * environment. A child of the service carries them too, but leads no session.
 */
export function proveServiceProcess(
  pid: number,
  facts: ProcessFacts,
  record: RecordedService,
  mark: string,
): Proof {
  if (facts.state !== "running") return { verdict: "absent" };
  if (record.pid === pid && record.startTime !== undefined && record.netnsInode !== undefined) {
    const named = proveProcess(facts, { startTime: record.startTime, netnsInode: record.netnsInode }, mark);
    if (named.verdict === "ours") return named;
  }
  const unnamed =
    record.netnsInode !== undefined &&
    facts.session === pid &&
    facts.netnsInode === record.netnsInode &&
    facts.mark === mark &&
    facts.serviceFile === record.file;
  return unnamed ? { verdict: "ours" } : FOREIGN(facts.mark);
}
