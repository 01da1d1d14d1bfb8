// A Lan: a bridge in a namespace the Lan makes, and hosts, each a namespace of its own on a veth
// pair into the bridge. One engine resource for what would be 2N+2 fine-grained ones; its kernel
// work is one `ip -batch` in the host namespace for every namespace and link it adds, then one
// batch per namespace for their settings. See DESIGN.md "Lan".
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { claimLinks, claimNamespace } from "./claims";
import { pool } from "./kernel/inventory";
import { linkGroupFor, MARK_PREFIX } from "./kernel/ip";
import {
  hostBatch,
  namespaceApply,
  namespaceView,
  type NamespaceLink,
  type NamespaceView,
} from "./kernel/lan";
import { linkAddLine, linkOwnership, linkSetAlias, linkSetNoLinkLocal, linkSetUp } from "./kernel/link";
import {
  netnsAddLine,
  netnsClaimMark,
  netnsDeleteLine,
  netnsIsStaleFile,
  netnsList,
  netnsLookup,
  type NamespaceFacts,
  netnsReadMark,
  netnsReleaseMark,
  netnsWriteMark,
} from "./kernel/netns";
import { defaultRouteDeleteLine, defaultRouteReplaceLine } from "./kernel/route";
import { vethAddArgs } from "./kernel/veth";
import { stateObject, stateString, type Holding, type StateProps } from "./holdings";
import { defineKind } from "./kind";
import { aliasMark, proveLink, proveNamespace, type Proof } from "./proof";
import { checkWith } from "./lifecycle";
import { formatPath } from "./schema/propertyPath";
import { convergeLines, type LinkSpec } from "./link";
import { collisionError, lookAlikeError, ownerMark, rollBack, type Owned } from "./ownership";
import { assertPrivileged } from "./privileges";
import { lanReferences } from "./schema/references";
import { diffLan, lanHostSpecs, lanSchema, planLan, type LanHostSpec, type LanResolved } from "./schema/lan";

/** One host as the kernel has it. */
export interface LanHostOutputs {
  readonly interface: string;
  readonly port: string;
  /** The host end's global addresses, canonical and sorted. */
  readonly addresses: string[];
  /** The MTU of the host end (the bridge end's is the same). */
  readonly mtu: number;
  readonly macAddress: string;
  /** The IPv4 default route's gateway, if the namespace has one. */
  readonly gateway?: string;
  /** Whether the kernel makes the host end an IPv6 link-local address (its `addrgenmode` is not `none`). */
  readonly ipv6LinkLocal: boolean;
}

/** What a Lan keeps in state: its inputs, and each host as the kernel has it. */
export interface LanOutputs extends Omit<Owned, "adopt"> {
  readonly namespace: string;
  readonly bridge: string;
  readonly mtu?: number;
  readonly ipv6LinkLocal?: boolean;
  readonly bridgeMacAddress: string;
  readonly hosts: Record<string, LanHostOutputs>;
}

type Inputs = LanResolved;
type Marks = Pick<Owned, "managedBy" | "stackInstance">;

/** The kernel kinds of the links a Lan makes. */
const BRIDGE = "bridge";
const VETH = "veth";

/** Room for a host's part of its mark in an interface alias (IFALIASZ 256, less the NUL). */
const ALIAS_MAX_BYTES = 255;

/**
 * The mark of one host's objects (its namespace's loopback alias, both ends of its cable, their
 * device group): the Lan's mark and the host's key, so each host is proven on its own and two
 * hosts' objects never pass for each other. A key too long for an alias is replaced by its hash.
 */
export function hostMark(lanMark: string, key: string): string {
  const plain = `${lanMark}/${encodeURIComponent(key)}`;
  if (Buffer.byteLength(MARK_PREFIX + plain) <= ALIAS_MAX_BYTES) return plain;
  return `${lanMark}/~${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
}

const describeHub = (name: string) => `Network namespace ${JSON.stringify(name)} (the Lan's bridge)`;
const describeHost = (key: string) => `Network namespace ${JSON.stringify(key)} (a host of the Lan)`;

/** What {@link judge} found: the namespace's view when it is one, and whose it is. */
interface Judged {
  readonly view: NamespaceView | undefined;
  readonly proof: Proof;
}

/**
 * Reads a namespace of the Lan and proves whose it is (provider/proof.ts): a half-made one may hold
 * links in `groups`, which the Lan's first batch adds with the namespaces before any is marked.
 * A host's view has its links' IPv6 settings (`linkDetails`); the hub's, with a port per host,
 * does without. The record is read only for a namespace whose loopback lacks the mark (one
 * command less per host, which on another machine is a round trip).
 */
async function judge(
  name: string,
  mark: string,
  groups: ReadonlySet<number>,
  linkDetails: boolean,
): Promise<Judged> {
  const { identity, staleFile } = await netnsLookup(name);
  const view = identity ? await namespaceView(name, linkDetails) : undefined;
  if (!view) {
    // Not a namespace: nothing, or the empty file of an interrupted add or delete, or deleted
    // (perhaps half way) while it was read.
    const stale = identity ? await netnsIsStaleFile(name) : staleFile;
    if (!stale) return { view: undefined, proof: { verdict: "absent" } };
    return { view: undefined, proof: proveNamespace(STALE_FILE, mark, await netnsReadMark(name)) };
  }
  const facts: NamespaceFacts = {
    file: "mounted",
    inode: identity?.inode,
    links: [...view.links.values()].map((l) => l.state),
  };
  const marked = aliasMark(view.links.get("lo")?.state.alias) === mark;
  const record = marked ? undefined : await netnsReadMark(name);
  return { view, proof: proveNamespace(facts, mark, record, { halfMadeGroups: groups }) };
}

const STALE_FILE: NamespaceFacts = { file: "stale", links: [] };
const carriedBy = (proof: Proof) => (proof.verdict === "foreign" ? proof.carried : undefined);

/** The groups a Lan's links are in: the bridge's (the Lan's mark) and each host's. */
function lanGroups(mark: string, keys: readonly string[]): Set<number> {
  return new Set([linkGroupFor(mark), ...keys.map((k) => linkGroupFor(hostMark(mark, k)))]);
}

/** A link observed in a namespace view, as convergeLines takes it. */
const observed = (view: NamespaceView | undefined, name: string) => {
  const link: NamespaceLink | undefined = view?.links.get(name);
  return link && { state: link.state, addresses: link.addresses };
};

/** The loopback line that marks a namespace, unless it already carries the mark and is up. */
function loopbackLines(view: NamespaceView | undefined, mark: string): string[][] {
  const lo = view?.links.get("lo")?.state;
  const alias = MARK_PREFIX + mark;
  return [
    ...(lo?.alias !== alias ? [linkSetAlias("lo", alias)] : []),
    ...(lo?.adminUp ? [] : [linkSetUp("lo")]),
  ];
}

/** The bridge and the ports of `hosts` in the hub, as batch lines (mark first, up last). */
function hubLines(inputs: Inputs, hub: NamespaceView | undefined, hosts: readonly LanHostSpec[]): string[][] {
  const mark = ownerMark(inputs);
  const bridge: LinkSpec = {
    name: inputs.bridge,
    namespace: inputs.namespace,
    addresses: [],
    up: true,
    mtu: inputs.mtu,
  };
  const lines = [...loopbackLines(hub, mark), ...convergeLines(bridge, observed(hub, inputs.bridge), mark)];
  for (const host of hosts) {
    const port: LinkSpec = {
      name: host.port,
      namespace: inputs.namespace,
      addresses: [],
      up: true,
      mtu: host.mtu,
      master: inputs.bridge,
    };
    lines.push(...convergeLines(port, observed(hub, host.port), hostMark(mark, host.key)));
  }
  return lines;
}

/** One host's namespace: its loopback, its end of the cable, its default route. */
function hostLines(inputs: Inputs, host: LanHostSpec, view: NamespaceView | undefined): string[][] {
  const mark = hostMark(ownerMark(inputs), host.key);
  const end: LinkSpec = {
    name: host.interface,
    namespace: host.key,
    addresses: host.addresses,
    up: true,
    mtu: host.mtu,
  };
  const lines = [...loopbackLines(view, mark), ...linkLocalLines(host, view?.links.get(host.interface))];
  lines.push(...convergeLines(end, observed(view, host.interface), mark));
  const had = view?.gateway;
  if (host.gateway !== undefined && host.gateway !== had) {
    lines.push(defaultRouteReplaceLine(host.gateway, host.interface));
  } else if (host.gateway === undefined && had !== undefined) {
    lines.push(defaultRouteDeleteLine(had, host.interface));
  }
  return lines;
}

/**
 * Turns off the host end's IPv6 link-local address when the Lan wants none: before the end first
 * comes up, or, on an end found up (a create resumed), also dropping the address it already made.
 */
function linkLocalLines(host: LanHostSpec, end: NamespaceLink | undefined): string[][] {
  if (host.linkLocal || end?.state.ipv6AddrGenMode === "none") return [];
  const lines = [linkSetNoLinkLocal(host.interface)];
  if (end?.state.adminUp) lines.push(["address", "flush", "dev", host.interface, "scope", "link"]);
  return lines;
}

function hostOutputs(
  host: Pick<LanHostSpec, "key" | "interface" | "port">,
  view: NamespaceView,
): LanHostOutputs {
  const end = view.links.get(host.interface);
  if (!end)
    throw new Error(
      `${describeHost(host.key)}: interface ${JSON.stringify(host.interface)} was not read back`,
    );
  return {
    interface: host.interface,
    port: host.port,
    addresses: [...end.addresses],
    mtu: end.state.mtu,
    macAddress: end.state.mac ?? "",
    ...(view.gateway !== undefined ? { gateway: view.gateway } : {}),
    ipv6LinkLocal: end.state.ipv6AddrGenMode !== "none",
  };
}

/** What {@link build} found before it changed anything. */
interface Found {
  hub: NamespaceView | undefined;
  hosts: Map<string, NamespaceView | undefined>;
  /** The names in the machine's namespace directory, when read: a name absent there has no stale file. */
  present?: ReadonlySet<string>;
}

/**
 * Finds the Lan's namespaces among `keys` (and the hub) and proves each is ours: under the mark of
 * `inputs`, or of `olds` (an update whose mark changes). Refuses, before any change, every one that
 * is not, naming them all. When no name exists (a first create), nothing is read.
 */
async function find(inputs: Inputs, keys: readonly string[], olds?: Marks): Promise<Found> {
  const marks = [ownerMark(inputs), ...(olds ? [ownerMark(olds)] : [])];
  const groups = new Set(marks.flatMap((m) => [...lanGroups(m, keys)]));
  const problems: Error[] = [];
  const look = async (name: string, markOf: (m: string) => string, what: string, host: boolean) => {
    for (const mark of marks) {
      const { view, proof } = await judge(name, markOf(mark), groups, host);
      // A leftover file of ours is no namespace: build claims the name and re-adds it.
      if (proof.verdict === "absent" || proof.verdict === "leftover") return undefined;
      if (proof.verdict !== "foreign") return view;
      if (mark === marks[marks.length - 1]) {
        const carried = carriedBy(proof);
        problems.push(olds ? lookAlikeError(what, carried) : collisionError(what, carried));
      }
    }
    return undefined;
  };
  const hub = await look(inputs.namespace, (m) => m, describeHub(inputs.namespace), false);
  const views = await pool(keys, 8, (key) => look(key, (m) => hostMark(m, key), describeHost(key), true));
  // A namespace of ours may still hold a look-alike under a name of ours (someone deleted our link
  // and added theirs): each link is proven on its own, as read proves it, or build would mark it.
  const link = (
    view: NamespaceView | undefined,
    netns: string,
    name: string,
    markOf: (m: string) => string,
  ) => {
    const state = view?.links.get(name)?.state;
    if (!state) return;
    const proofs = marks.map((m) => proveLink(state, markOf(m)));
    if (proofs.some((p) => p.verdict !== "foreign")) return;
    const what = `Interface ${JSON.stringify(name)} in namespace ${JSON.stringify(netns)}`;
    const carried = carriedBy(proofs[proofs.length - 1]!);
    problems.push(olds ? lookAlikeError(what, carried) : collisionError(what, carried));
  };
  link(hub, inputs.namespace, inputs.bridge, (m) => m);
  for (const host of lanHostSpecs(inputs).filter((h) => keys.includes(h.key))) {
    link(hub, inputs.namespace, host.port, (m) => hostMark(m, host.key));
    link(views[keys.indexOf(host.key)], host.key, host.interface, (m) => hostMark(m, host.key));
  }
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new AggregateError(problems, problems.map((p) => p.message).join("\n"));
  return { hub, hosts: new Map(keys.map((k, i) => [k, views[i]])) };
}

/**
 * Takes the hosts `keys` (and the hub) to `inputs`: one `ip -batch` in the host namespace adds
 * every namespace and link missing, then one batch in the hub (bridge, ports) and one per host
 * (loopback, its end, its default route), each ending in its read-back. Namespaces are claimed
 * (their record) before they are added, so a run killed at any point leaves only objects the next
 * run recognises as its own. With `fresh`, anything failing deletes every namespace this call
 * added; otherwise (an update, a resumed create) what was made stays, marked, for the next run.
 */
async function build(
  inputs: Inputs,
  keys: readonly string[],
  found: Found,
  fresh: boolean,
): Promise<{ bridgeMacAddress: string; hosts: Record<string, LanHostOutputs> }> {
  const mark = ownerMark(inputs);
  const hosts = lanHostSpecs(inputs).filter((h) => keys.includes(h.key));
  const added: { name: string; mark: string }[] = [];
  // What this call added, each proven ours as delete proves it (the batch that failed may have
  // stopped before adding the rest, or met a name someone took meanwhile).
  const undo = () =>
    remove(
      added.map((a) => ({
        name: a.name,
        marks: [a.mark],
        what: a.name === inputs.namespace ? describeHub(a.name) : describeHost(a.name),
      })),
      lanGroups(
        mark,
        hosts.map((h) => h.key),
      ),
    );
  try {
    const root: string[][] = [];
    const claim = async (name: string, owner: string): Promise<string[][]> => {
      const claimed = await netnsClaimMark(name, owner);
      if (!claimed.claimed) {
        throw new Error(
          `Network namespace ${JSON.stringify(name)} is being created right now by ${claimed.owner}; nothing ` +
            "was changed. Two stacks cannot own one namespace: choose another name.",
        );
      }
      added.push({ name, mark: owner });
      // `ip netns delete` unlinks the file an `ip netns add` killed half way left behind.
      const stale =
        (found.present === undefined || found.present.has(name)) && (await netnsIsStaleFile(name));
      return [...(stale ? [netnsDeleteLine(name)] : []), netnsAddLine(name)];
    };
    if (!found.hub) root.push(...(await claim(inputs.namespace, mark)));
    const missing = hosts.filter((host) => !found.hosts.get(host.key));
    // Eight at a time: each claim is a round trip on another machine. In host order, so the
    // batch reads the same every time.
    // Every claim settles before a refusal is raised, so the rollback sees each one that was made.
    const claims = await pool(missing, 8, (host) =>
      claim(host.key, hostMark(mark, host.key)).then(
        (lines) => ({ lines }),
        (error: unknown) => ({ error }),
      ),
    );
    for (const c of claims) if ("error" in c) throw c.error;
    for (const c of claims) if ("lines" in c) root.push(...c.lines);
    if (!found.hub?.links.has(inputs.bridge)) {
      root.push(
        linkAddLine(inputs.bridge, BRIDGE, [], {
          group: linkGroupFor(mark),
          netns: inputs.namespace,
          mtu: inputs.mtu,
        }),
      );
    }
    for (const host of hosts) {
      const view = found.hosts.get(host.key);
      if (view?.links.has(host.interface) && found.hub?.links.has(host.port)) continue;
      root.push(
        vethAddArgs({
          a: { name: host.interface, netns: host.key },
          b: { name: host.port, netns: inputs.namespace },
          mtu: host.mtu,
          group: linkGroupFor(hostMark(mark, host.key)),
        }),
      );
    }
    await hostBatch(root);
    const hubView = await namespaceApply(inputs.namespace, hubLines(inputs, found.hub, hosts));
    const views = await pool(hosts, 8, (host) =>
      namespaceApply(host.key, hostLines(inputs, host, found.hosts.get(host.key)), true),
    );
    // Records written for namespaces found half made by an earlier run lacking one (a namespace
    // this call claimed has its record already).
    const claimedNow = new Set(added.map((a) => a.name));
    await pool(
      hosts.filter((host) => !claimedNow.has(host.key)),
      8,
      async (host) => {
        if ((await netnsReadMark(host.key)) !== hostMark(mark, host.key))
          await netnsWriteMark(host.key, hostMark(mark, host.key));
      },
    );
    const bridge = hubView.links.get(inputs.bridge);
    return {
      bridgeMacAddress: bridge?.state.mac ?? "",
      hosts: Object.fromEntries(hosts.map((host, i) => [host.key, hostOutputs(host, views[i]!)])),
    };
  } catch (e) {
    if (!fresh || added.length === 0) throw e;
    return rollBack(e, undo);
  }
}

function lanOutputs(
  inputs: Inputs,
  bridgeMacAddress: string,
  hosts: Record<string, LanHostOutputs>,
): LanOutputs {
  return {
    namespace: inputs.namespace,
    bridge: inputs.bridge,
    ...(inputs.mtu !== undefined ? { mtu: inputs.mtu } : {}),
    ...(inputs.ipv6LinkLocal !== undefined ? { ipv6LinkLocal: inputs.ipv6LinkLocal } : {}),
    bridgeMacAddress,
    hosts,
    managedBy: inputs.managedBy,
    ...(inputs.stackInstance !== undefined ? { stackInstance: inputs.stackInstance } : {}),
  };
}

/**
 * Deletes the namespaces `names` (each with its mark) that are proven ours, in one batch; warns
 * about look-alikes and leaves them; drops the records either way. Gone is success.
 */
async function remove(
  targets: readonly { name: string; marks: readonly string[]; what: string }[],
  groups: ReadonlySet<number>,
) {
  const doomed: string[] = [];
  await pool(targets, 8, async ({ name, marks, what }) => {
    let carried: string | undefined;
    for (const mark of marks) {
      // Deleting needs only the verdict, which no IPv6 setting changes.
      const { proof } = await judge(name, mark, groups, false);
      if (proof.verdict === "absent") return;
      // `ip netns delete` also unlinks the empty file of an interrupted add or delete of ours.
      if (proof.verdict !== "foreign") {
        doomed.push(name);
        return;
      }
      carried = proof.carried;
    }
    pulumi.log.warn(
      `${what} was left untouched: it is not the one this stack made (${carried ? `marked as ${carried}` : "unmarked"}).`,
    );
  });
  await hostBatch(doomed.map(netnsDeleteLine));
  await pool(targets, 8, async ({ name, marks }) => {
    for (const mark of marks) await netnsReleaseMark(name, mark);
  });
}

/** Drops our record of a namespace the state drops, and the empty file it left if that is ours. */
async function finishLeftover(name: string, mark: string, proof: Proof): Promise<void> {
  if (proof.verdict === "leftover") await hostBatch([netnsDeleteLine(name)]);
  await netnsReleaseMark(name, mark);
}

/**
 * Deletes, in one hub batch, the ports of the hosts `keys` that carry their host's mark under one
 * of `marks`. The kernel deletes a namespace's links in the background after `ip netns delete`
 * returns, so a host re-made at once would find its old port still on the bridge; deleting a veth
 * end deletes its peer at once.
 */
async function unplug(olds: LanOutputs, keys: readonly string[], marks: readonly string[]) {
  if (keys.length === 0) return;
  const hub = await namespaceView(olds.namespace);
  if (!hub) return;
  const lines = keys.flatMap((key) => {
    const port = olds.hosts[key]?.port;
    const state = port === undefined ? undefined : hub.links.get(port)?.state;
    if (!state || !marks.some((m) => linkOwnership(state, hostMark(m, key)) !== "foreign")) return [];
    return [["link", "delete", "dev", state.name]];
  });
  if (lines.length > 0) await namespaceApply(olds.namespace, lines);
}

const lanProvider: pulumi.dynamic.ResourceProvider = {
  check: checkWith(lanSchema, async (inputs) => {
    const refs = lanReferences(inputs);
    const failures = [
      ...claimNamespace(inputs.namespace, inputs.managedBy),
      ...Object.keys(typeof inputs.hosts === "object" ? inputs.hosts : {}).flatMap((key) =>
        claimNamespace(key, inputs.managedBy).map((f) => ({ ...f, property: formatPath(["hosts", key]) })),
      ),
    ];
    failures.push(
      ...(await claimLinks(inputs.managedBy, BRIDGE, refs.links.slice(0, 1))),
      ...(await claimLinks(inputs.managedBy, VETH, refs.links.slice(1))),
    );
    return failures;
  }),

  async diff(_id, olds: LanOutputs, news: Inputs) {
    return diffLan(olds, news);
  },

  async create(inputs: Inputs) {
    assertPrivileged();
    const keys = Object.keys(inputs.hosts).sort();
    // One listing of the machine's namespaces (a round trip on another machine, not one per host):
    // a first create finds every name free and reads nothing more; a resumed one proves what is there.
    const present = new Set(await netnsList());
    const found: Found = [inputs.namespace, ...keys].some((n) => present.has(n))
      ? { ...(await find(inputs, keys)), present }
      : { hub: undefined, hosts: new Map(keys.map((k) => [k, undefined])), present };
    const built = await build(inputs, keys, found, true);
    return { id: inputs.namespace, outs: lanOutputs(inputs, built.bridgeMacAddress, built.hosts) };
  },

  async read(id, props?: LanOutputs) {
    assertPrivileged();
    if (!props) return {};
    const mark = ownerMark(props);
    const keys = Object.keys(props.hosts ?? {});
    const groups = lanGroups(mark, keys);
    const hub = await judge(props.namespace, mark, groups, false);
    if (hub.proof.verdict !== "ours" || !hub.view) {
      // Refresh drops the Lan, and delete never runs again: the empty file an interrupted delete
      // of ours left goes now, with our record (a foreign namespace of the name stays).
      await finishLeftover(props.namespace, mark, hub.proof);
      // The hosts leave the state with the hub. As for a host dropped alone (below), our record of
      // one that is not ours now goes, or it would prove someone's fresh namespace of that name half
      // made by us (and gc would delete it); a host still ours keeps it, as an orphan.
      await pool(keys, 8, async (key) => {
        const own = hostMark(mark, key);
        const { proof } = await judge(key, own, groups, false);
        if (proof.verdict !== "ours") await finishLeftover(key, own, proof);
      });
      return {};
    }
    const hubView = hub.view;
    const bridge = hubView.links.get(props.bridge);
    if (!bridge || linkOwnership(bridge.state, mark) !== "ours") return {};
    const hosts: Record<string, LanHostOutputs> = {};
    // A host whose namespace, cable or port is gone, detached or down is left out: the next `up`
    // sees it missing and makes it again.
    await pool(keys, 8, async (key) => {
      const had = props.hosts[key]!;
      const own = hostMark(mark, key);
      const judged = await judge(key, own, groups, true);
      // Gone, half deleted or a look-alike: the state drops it, so our record, which names it,
      // goes now too (a record must never make someone else's fresh namespace look half made by
      // us), and so does the empty file an interrupted delete of ours left.
      if (judged.proof.verdict !== "ours" || !judged.view) return finishLeftover(key, own, judged.proof);
      const end = judged.view.links.get(had.interface);
      const port = hubView.links.get(had.port);
      if (!end || linkOwnership(end.state, own) !== "ours" || !end.state.adminUp) return;
      if (
        !port ||
        linkOwnership(port.state, own) !== "ours" ||
        port.state.master !== props.bridge ||
        !port.state.adminUp
      )
        return;
      hosts[key] = hostOutputs({ key, interface: had.interface, port: had.port }, judged.view);
    });
    const sorted = Object.fromEntries(
      Object.keys(hosts)
        .sort()
        .map((k) => [k, hosts[k]!]),
    );
    return { id, props: { ...props, bridgeMacAddress: bridge.state.mac ?? "", hosts: sorted } };
  },

  async update(_id, olds: LanOutputs, news: Inputs) {
    assertPrivileged();
    const plan = planLan(olds, news);
    const remarked = ownerMark(olds) !== ownerMark(news);
    const keys = Object.keys(news.hosts).sort();
    const targets = remarked ? keys : [...plan.add, ...plan.remake, ...plan.change].sort();
    const oldMark = ownerMark(olds);
    const newMark = ownerMark(news);
    const gone = [...plan.remove, ...plan.remake];
    await unplug(olds, gone, [oldMark, newMark]);
    await remove(
      gone.map((key) => ({
        name: key,
        marks: [hostMark(oldMark, key), hostMark(newMark, key)],
        what: describeHost(key),
      })),
      new Set([...lanGroups(oldMark, Object.keys(olds.hosts)), ...lanGroups(newMark, keys)]),
    );
    const found = await find(
      news,
      targets.filter((k) => !plan.remake.includes(k)),
      olds,
    );
    for (const key of plan.remake) found.hosts.set(key, undefined);
    if (!found.hub) {
      throw new Error(
        `${describeHub(news.namespace)} is gone from the kernel: run \`pulumi refresh\` and then ` +
          "`pulumi up` to create the Lan again.",
      );
    }
    const built = await build(news, targets, found, false);
    const hosts: Record<string, LanHostOutputs> = {};
    for (const key of keys) {
      const host = built.hosts[key] ?? olds.hosts[key];
      if (host) hosts[key] = host;
    }
    return { outs: lanOutputs(news, built.bridgeMacAddress, hosts) };
  },

  async delete(_id, props: LanOutputs) {
    assertPrivileged();
    const mark = ownerMark(props);
    const keys = Object.keys(props.hosts ?? {});
    // The hosts first, then the hub: a run killed in between leaves the hub, still proven ours.
    const groups = lanGroups(mark, keys);
    await remove(
      keys.map((key) => ({ name: key, marks: [hostMark(mark, key)], what: describeHost(key) })),
      groups,
    );
    await remove([{ name: props.namespace, marks: [mark], what: describeHub(props.namespace) }], groups);
  },
};

/**
 * The hub namespace and its bridge under the Lan's mark; each host's namespace, its end of the
 * cable and its port in the hub under the host's mark.
 */
function lanHoldings(props: StateProps, mark: string): Holding[] {
  const hub = stateString(props.namespace);
  if (hub === undefined) return [];
  const held: Holding[] = [{ object: { type: "namespace", name: hub }, mark }];
  const bridge = stateString(props.bridge);
  if (bridge !== undefined) held.push({ object: { type: "link", netns: hub, name: bridge }, mark });
  for (const [key, raw] of Object.entries(stateObject(props.hosts))) {
    const host = stateObject(raw);
    const own = hostMark(mark, key);
    held.push({ object: { type: "namespace", name: key }, mark: own });
    const end = stateString(host.interface);
    if (end !== undefined) held.push({ object: { type: "link", netns: key, name: end }, mark: own });
    const port = stateString(host.port);
    if (port !== undefined) held.push({ object: { type: "link", netns: hub, name: port }, mark: own });
  }
  return held;
}

/** A bridge and its hosts: a star of namespaces as one resource. */
export const lanKind = defineKind({
  kind: "Lan",
  declaredBy: "user",
  schema: lanSchema,
  diffInputs: diffLan,
  // Its links are of two kinds (a bridge, veth pairs), each claimed as such in `check`.
  kernelKind: undefined,
  references: lanReferences,
  holdings: lanHoldings,
  provider: lanProvider,
});
