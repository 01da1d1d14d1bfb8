import * as pulumi from "@pulumi/pulumi";
import { NotFoundError } from "./kernel/errors";
import { MARK_PREFIX } from "./kernel/ip";
import {
  loopbackUpWithAlias,
  netnsAdd,
  netnsClaimMark,
  netnsDelete,
  netnsIdentity,
  netnsIsStaleFile,
  netnsLookup,
  netnsLoopback,
  netnsReadMark,
  netnsReleaseMark,
  netnsWriteMark,
  type NetnsIdentity,
} from "./kernel/netns";
import { sysctlRead, sysctlWrite } from "./kernel/sysctl";
import { claimNamespace } from "./claims";
import { checkWith } from "./lifecycle";
import { collisionError, lookAlikeError, ownerMark, rollBack, type Owned } from "./ownership";
import { assertPrivileged } from "./privileges";
import { defineKind } from "./kind";
import { namespaceReferences } from "./schema/references";
import { diffNamespace, namespaceSchema, type NamespaceResolved } from "./schema/namespace";

/** What a Namespace keeps in state: its inputs and its kernel identity. */
export interface NamespaceOutputs extends Owned {
  readonly name: string;
  readonly sysctls: Record<string, string>;
  /** The nsfs inode of /run/netns/NAME; a namespace re-created under the same name has another. */
  readonly inode: number;
}

type Inputs = NamespaceResolved & { sysctls: Record<string, string> };

const describe = (name: string) => `Network namespace ${JSON.stringify(name)}`;

/** The mark a namespace carries, without the prefix: its loopback's alias. */
const markOn = (alias: string | undefined) =>
  alias?.startsWith(MARK_PREFIX) ? alias.slice(MARK_PREFIX.length) : undefined;

/**
 * Who the namespace called `name` belongs to, as far as `owned` is concerned: "ours" when its
 * loopback carries the owner's mark; "half-made" when it carries none but our record names the
 * owner and the namespace is exactly as `ip netns add` leaves it (a create killed before marking
 * it); otherwise "foreign", with the mark it carries. State written before namespaces carried
 * marks on their loopback is recognised by its record and the nsfs inode recorded at create.
 */
async function ownership(
  name: string,
  identity: NetnsIdentity,
  owned: Pick<Owned, "managedBy" | "stackInstance"> & { inode?: number },
): Promise<{ verdict: "ours" | "half-made" | "foreign"; carried: string | undefined }> {
  const mark = ownerMark(owned);
  const loopback = await netnsLoopback(name);
  const carried = markOn(loopback.alias);
  if (carried === mark) return { verdict: "ours", carried };
  // Only a namespace without our mark needs the record (a round trip on another machine).
  const record = await netnsReadMark(name);
  if (carried === undefined && record === mark) {
    if (owned.stackInstance === undefined && owned.inode === identity.inode)
      return { verdict: "ours", carried };
    if (loopback.pristine) return { verdict: "half-made", carried };
  }
  return { verdict: "foreign", carried: carried ?? (record !== mark ? record : undefined) };
}

/**
 * Brings an existing namespace to `inputs`: loopback up and marked, sysctls, its record (known to
 * be ours already when `recorded`: a claim just wrote it). The steps touch different things, so
 * they run together: on another machine each is a round trip.
 */
async function converge(inputs: Inputs, recorded = false): Promise<NamespaceOutputs> {
  const mark = ownerMark(inputs);
  const [identity] = await Promise.all([
    netnsIdentity(inputs.name),
    loopbackUpWithAlias(inputs.name, MARK_PREFIX + mark),
    !recorded &&
      netnsReadMark(inputs.name).then((m) => (m === mark ? undefined : netnsWriteMark(inputs.name, mark))),
    sysctlWrite(inputs.name, inputs.sysctls),
  ]);
  if (!identity) throw new Error(`${describe(inputs.name)} vanished while it was being set up`);
  return { ...inputs, inode: identity.inode };
}

/** Our record of a namespace that is gone or not ours any more is stale: it never proves anything. */
async function dropStaleRecord(name: string, mark: string): Promise<void> {
  if (await netnsIsStaleFile(name)) await netnsDelete(name);
  await netnsReleaseMark(name, mark);
}

const namespaceProvider: pulumi.dynamic.ResourceProvider = {
  check: checkWith(namespaceSchema, (inputs) =>
    claimNamespace(namespaceReferences(inputs).namespace, inputs.managedBy),
  ),

  async diff(_id, olds: NamespaceOutputs, news: Inputs) {
    return diffNamespace(olds, news);
  },

  async create(inputs: Inputs) {
    assertPrivileged();
    const { name } = inputs;
    const mark = ownerMark(inputs);
    const { identity, staleFile } = await netnsLookup(name);
    if (identity) {
      // Ours from an interrupted run, or adopted: converge what is there.
      const { verdict, carried } = await ownership(name, identity, inputs);
      if (verdict === "foreign" && !inputs.adopt) throw collisionError(describe(name), carried);
      return { id: name, outs: await converge(inputs) };
    }
    // Create it, with the record claimed first so a crash right after `ip netns add` leaves a
    // namespace this resource recognises (see ownership above).
    const claim = await netnsClaimMark(name, mark);
    if (!claim.claimed) {
      throw new Error(
        `${describe(name)} is being created right now by ${claim.owner}; nothing was changed. Two ` +
          "stacks cannot own one namespace: choose another name.",
      );
    }
    try {
      // `ip netns delete` unlinks a file that an `ip netns add` killed half way left behind.
      if (staleFile) await netnsDelete(name);
      await netnsAdd(name);
    } catch (e) {
      return rollBack(e, () => netnsReleaseMark(name, mark));
    }
    try {
      return { id: name, outs: await converge(inputs, true) };
    } catch (e) {
      return rollBack(e, async () => {
        await netnsDelete(name);
        await netnsReleaseMark(name, mark);
      });
    }
  },

  async read(id, props?: NamespaceOutputs) {
    assertPrivileged();
    if (!props) return {};
    const mark = ownerMark(props);
    const identity = await netnsIdentity(id);
    // Gone, or a look-alike someone made under the name since: ours is no more. Refresh drops it
    // from state and delete never runs again, so our record (and the empty /run/netns file an
    // `ip netns delete` killed half way leaves) go now.
    const ours = identity && (await ownership(id, identity, props)).verdict === "ours";
    if (!identity || !ours) {
      await dropStaleRecord(id, mark);
      return {};
    }
    try {
      const sysctls = await sysctlRead(id, Object.keys(props.sysctls ?? {}));
      return { id, props: { ...props, sysctls, inode: identity.inode } };
    } catch (e) {
      if (e instanceof NotFoundError && e.missing === "netns") return {};
      throw e;
    }
  },

  async update(_id, olds: NamespaceOutputs, news: Inputs) {
    assertPrivileged();
    const identity = await netnsIdentity(olds.name);
    if (!identity) {
      throw new Error(
        `${describe(olds.name)} is gone from the kernel: run \`pulumi refresh\` and then \`pulumi up\` ` +
          "to create it again.",
      );
    }
    // The object must carry the old mark, or already the new one (an update killed half way).
    const before = await ownership(olds.name, identity, olds);
    if (before.verdict !== "ours" && before.carried !== ownerMark(news)) {
      throw lookAlikeError(describe(olds.name), before.carried);
    }
    return { outs: await converge(news) };
  },

  async delete(id, props: NamespaceOutputs) {
    assertPrivileged();
    const mark = ownerMark(props);
    const identity = await netnsIdentity(id);
    if (identity) {
      const { verdict, carried } = await ownership(id, identity, props);
      if (verdict !== "ours") {
        // Someone made a namespace of this name after ours went away: it is theirs to keep.
        pulumi.log.warn(
          `${describe(id)} was left untouched: it is not the one this stack made (${carried ? `marked as ${carried}` : "unmarked"}).`,
        );
        await netnsReleaseMark(id, mark);
        return;
      }
      // A delete that succeeded leaves no file behind: only the record is left to drop.
      await netnsDelete(id);
      await netnsReleaseMark(id, mark);
      return;
    }
    await dropStaleRecord(id, mark);
  },
};

/** A network namespace: no link, but what links live in. */
export const namespaceKind = defineKind({
  kind: "Namespace",
  declaredBy: "user",
  schema: namespaceSchema,
  diffInputs: diffNamespace,
  kernelKind: undefined,
  references: namespaceReferences,
  provider: namespaceProvider,
});
