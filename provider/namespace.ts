import * as pulumi from "@pulumi/pulumi";
import { NotFoundError } from "./kernel/errors";
import { MARK_PREFIX } from "./kernel/ip";
import {
  loopbackUpWithAlias,
  netnsAdd,
  netnsClaimMark,
  netnsDelete,
  netnsFacts,
  netnsIdentity,
  netnsReadMark,
  netnsReleaseMark,
  netnsWriteMark,
  type NamespaceFacts,
} from "./kernel/netns";
import { sysctlRead, sysctlWrite } from "./kernel/sysctl";
import { claimNamespace } from "./claims";
import { checkWith } from "./lifecycle";
import { collisionError, lookAlikeError, ownerMark, rollBack, type Owned } from "./ownership";
import { assertPrivileged } from "./privileges";
import { aliasMark, proveNamespace, type Proof } from "./proof";
import { namespaceHolding } from "./holdings";
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

/**
 * Who the namespace called `name` belongs to, as far as `owned` is concerned (provider/proof.ts).
 * The record matters only to a namespace without our mark (a round trip on another machine).
 * State written before namespaces carried marks on their loopback is proven by its record and
 * the nsfs inode recorded at create.
 */
async function ownership(
  name: string,
  owned: Pick<Owned, "managedBy" | "stackInstance"> & { inode?: number },
): Promise<{ facts: NamespaceFacts; proof: Proof }> {
  const mark = ownerMark(owned);
  const facts = await netnsFacts(name);
  const marked = aliasMark(facts.links.find((l) => l.name === "lo")?.alias) === mark;
  const record = marked || facts.file === "absent" ? undefined : await netnsReadMark(name);
  const legacyInode = owned.stackInstance === undefined ? owned.inode : undefined;
  return { facts, proof: proveNamespace(facts, mark, record, { legacyInode }) };
}

const FOREIGN_UNMARKED: Proof = { verdict: "foreign", carried: undefined };
const carriedBy = (proof: Proof) => (proof.verdict === "foreign" ? proof.carried : undefined);

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

/**
 * Finishes what a proof found: deletes a namespace that is ours (or half made or a leftover of
 * ours), warns about and leaves a foreign one, and drops our record either way. Gone is success.
 */
async function removeProven(name: string, mark: string, proof: Proof): Promise<void> {
  if (proof.verdict === "foreign") {
    // Someone made a namespace of this name after ours went away: it is theirs to keep.
    pulumi.log.warn(
      `${describe(name)} was left untouched: it is not the one this stack made (${proof.carried ? `marked as ${proof.carried}` : "unmarked"}).`,
    );
  } else if (proof.verdict !== "absent") {
    // `ip netns delete` also unlinks the empty file an interrupted add or delete left.
    await netnsDelete(name);
  }
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
    const { facts, proof } = await ownership(name, inputs);
    if (facts.file === "mounted") {
      // Ours from an interrupted run, or adopted: converge what is there.
      if (proof.verdict === "foreign" && !inputs.adopt) throw collisionError(describe(name), proof.carried);
      return { id: name, outs: await converge(inputs) };
    }
    if (proof.verdict === "foreign") {
      // An empty /run/netns file no record of ours explains: `ip netns add` would fail on it, and
      // it is not ours to remove.
      throw new Error(
        `${describe(name)} cannot be created: /run/netns/${name} is an empty file that no namespace is ` +
          "mounted on (an interrupted `ip netns add` or `ip netns delete`), and this stack did not " +
          `leave it. If nothing uses the name, remove it with \`ip netns delete ${name}\`; nothing was changed.`,
      );
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
      // `ip netns delete` unlinks the empty file an interrupted add or delete of ours left.
      if (proof.verdict === "leftover") await netnsDelete(name);
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
    const { facts, proof } = await ownership(id, props);
    // Gone, half deleted, or a look-alike someone made under the name since: ours is no more.
    // Refresh drops it from state and delete never runs again, so our record, and the empty
    // /run/netns file an `ip netns delete` killed half way leaves, go now; a look-alike stays.
    if (proof.verdict !== "ours" || facts.inode === undefined) {
      if (proof.verdict === "leftover") await netnsDelete(id);
      await netnsReleaseMark(id, mark);
      return {};
    }
    const identity = { inode: facts.inode };
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
    const { facts, proof: before } = await ownership(olds.name, olds);
    if (facts.file !== "mounted") {
      throw new Error(
        `${describe(olds.name)} is gone from the kernel: run \`pulumi refresh\` and then \`pulumi up\` ` +
          "to create it again.",
      );
    }
    // The object must carry the old mark, or already the new one (an update killed half way).
    if (before.verdict !== "ours" && carriedBy(before) !== ownerMark(news)) {
      throw lookAlikeError(describe(olds.name), carriedBy(before));
    }
    return { outs: await converge(news) };
  },

  async delete(id, props: NamespaceOutputs) {
    assertPrivileged();
    const { proof } = await ownership(id, props);
    // Create marks a namespace before it returns, so one in state that looks half made lost its
    // mark since: it is not proven ours, and stays.
    await removeProven(id, ownerMark(props), proof.verdict === "half-made" ? FOREIGN_UNMARKED : proof);
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
  holdings: (props, mark) => namespaceHolding(props, mark),
  provider: namespaceProvider,
});
