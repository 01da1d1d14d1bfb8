import type * as pulumi from "@pulumi/pulumi";
import {
  loopbackUp,
  netnsAdd,
  netnsDelete,
  netnsIdentity,
  netnsIsStaleFile,
  netnsClaimMark,
  netnsReadMark,
  netnsReleaseMark,
  netnsRemoveMark,
  netnsWriteMark,
} from "./kernel/netns";
import { sysctlRead, sysctlWrite } from "./kernel/sysctl";
import { claimNamespace } from "./claims";
import { checkWith, collisionError } from "./lifecycle";
import { assertPrivileged } from "./privileges";
import { diffInputs } from "./schema/diff";
import { namespaceSchema, type NamespaceResolved } from "./schema/namespace";

/** What a Namespace keeps in state: its inputs and its kernel identity. */
export interface NamespaceOutputs {
  readonly name: string;
  readonly sysctls: Record<string, string>;
  readonly adopt: boolean;
  readonly managedBy: string;
  /** The nsfs inode of /run/netns/NAME; a namespace re-created under the same name has another. */
  readonly inode: number;
}

type Inputs = NamespaceResolved & { sysctls: Record<string, string> };

/** Brings an existing namespace to `inputs`: loopback up (a fresh namespace has it down), sysctls. */
async function converge(inputs: Inputs): Promise<NamespaceOutputs> {
  await loopbackUp(inputs.name);
  await sysctlWrite(inputs.name, inputs.sysctls);
  const identity = await netnsIdentity(inputs.name);
  if (!identity)
    throw new Error(`namespace ${JSON.stringify(inputs.name)} vanished while it was being set up`);
  return { ...inputs, inode: identity.inode };
}

export const namespaceProvider: pulumi.dynamic.ResourceProvider = {
  check: checkWith(namespaceSchema, (inputs) => claimNamespace(inputs.name, inputs.managedBy)),

  async diff(_id, olds: NamespaceOutputs, news: Inputs) {
    return diffInputs("Namespace", olds, news);
  },

  async create(inputs: Inputs) {
    assertPrivileged();
    const { name, managedBy } = inputs;
    const [exists, mark] = await Promise.all([netnsIdentity(name), netnsReadMark(name)]);
    if (exists && mark !== managedBy && !inputs.adopt) {
      throw collisionError(`Network namespace ${JSON.stringify(name)}`, mark);
    }
    // Ours from an interrupted run, or adopted: converge what is there. Otherwise create it, with
    // the ownership record written first so a crash right after `ip netns add` leaves it ours.
    const createdHere = !exists;
    if (createdHere) {
      const claim = await netnsClaimMark(name, managedBy);
      if (!claim.claimed) {
        throw new Error(
          `Network namespace ${JSON.stringify(name)} is being created right now by ${claim.owner}; nothing ` +
            "was changed. Two stacks cannot own one namespace: choose another name.",
        );
      }
      try {
        // `ip netns delete` unlinks a file that an `ip netns add` killed half way left behind.
        if (await netnsIsStaleFile(name)) await netnsDelete(name);
        await netnsAdd(name);
      } catch (e) {
        await netnsReleaseMark(name, managedBy);
        throw e;
      }
    } else if (mark !== managedBy) {
      await netnsWriteMark(name, managedBy);
    }
    try {
      return { id: name, outs: await converge(inputs) };
    } catch (e) {
      if (createdHere) {
        await netnsDelete(name);
        await netnsReleaseMark(name, managedBy);
      }
      throw e;
    }
  },

  async read(id, props?: NamespaceOutputs) {
    assertPrivileged();
    const identity = await netnsIdentity(id);
    if (!identity) {
      // Gone (deleted by hand, or a destroy interrupted between `ip netns delete` and the record's
      // removal): refresh drops it from state and delete never runs again, so clear up now: our
      // record, and the empty /run/netns file an `ip netns delete` killed half way leaves.
      if (props && (await netnsReadMark(id)) === props.managedBy) {
        if (await netnsIsStaleFile(id)) await netnsDelete(id);
        await netnsRemoveMark(id);
      }
      return {};
    }
    if (!props) return {};
    const sysctls = await sysctlRead(id, Object.keys(props.sysctls ?? {}));
    return { id, props: { ...props, sysctls, inode: identity.inode } };
  },

  async update(_id, olds: NamespaceOutputs, news: Inputs) {
    assertPrivileged();
    if (olds.managedBy !== news.managedBy) await netnsWriteMark(news.name, news.managedBy);
    return { outs: await converge(news) };
  },

  async delete(id, props: NamespaceOutputs) {
    assertPrivileged();
    // Only what we created or adopted (both carry our record): a namespace of that name without
    // it was made by someone else after ours went away.
    if ((await netnsReadMark(id)) !== props.managedBy) return;
    await netnsDelete(id);
    await netnsRemoveMark(id);
  },
};
