import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import { after, describe } from "node:test";
import { linkDelete, linkList } from "../../provider/kernel/link";
import { NETNS_RUN_DIR, netnsAdd, netnsDelete, netnsRemoveMark } from "../../provider/kernel/netns";

/** Throwaway namespaces for one test file, all named `pnk-<4 hex>-...` so leftovers are recognisable. */
export interface Sandbox {
  readonly prefix: string;
  /** Creates namespace `<prefix><suffix>` (removed again by the suite's `after`). */
  netns(suffix: string): Promise<string>;
  /** Deletes every namespace, host link and ownership record carrying the prefix. */
  cleanup(): Promise<void>;
}

export function newSandbox(): Sandbox {
  const prefix = `pnk-${randomBytes(2).toString("hex")}-`;
  return {
    prefix,
    async netns(suffix) {
      const name = prefix + suffix;
      await netnsAdd(name);
      return name;
    },
    async cleanup() {
      const names = (await readdir(NETNS_RUN_DIR).catch(() => [] as string[])).filter((n) =>
        n.startsWith(prefix),
      );
      for (const n of names) await netnsDelete(n);
      for (const n of names) await netnsRemoveMark(n);
      for (const l of await linkList(undefined))
        if (l.name.startsWith(prefix)) await linkDelete(undefined, l.name);
    },
  };
}

const isRoot = process.getuid?.() === 0;

/**
 * A describe() for real-kernel tests: skipped (with the reason) only when not root and not in CI,
 * where a skipped suite would hide a failure (its tests then fail instead); a fresh sandbox,
 * cleaned up after the suite even when tests fail.
 */
export function kernelSuite(name: string, body: (sb: Sandbox) => void): void {
  const skip = isRoot || process.env.CI ? false : "needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN): run as root";
  describe(name, { skip }, () => {
    const sb = newSandbox();
    after(() => sb.cleanup());
    body(sb);
  });
}

/** One add -> read -> update -> read -> delete -> read -> delete round trip, shared by every kind. */
export interface RoundTrip<S> {
  add(): Promise<void>;
  read(): Promise<S | undefined>;
  /** Asserts the state read right after add. */
  checkAdded(state: S): void;
  update?(): Promise<void>;
  /** Asserts the state read after update. */
  checkUpdated?(state: S): void;
  remove(): Promise<void>;
}

export async function roundTrip<S>(rt: RoundTrip<S>): Promise<void> {
  assert.equal(await rt.read(), undefined, "absent before add");
  await rt.add();
  const added = await rt.read();
  assert.ok(added !== undefined, "present after add");
  rt.checkAdded(added);
  if (rt.update) {
    await rt.update();
    const updated = await rt.read();
    assert.ok(updated !== undefined, "present after update");
    rt.checkUpdated?.(updated);
  }
  await rt.remove();
  assert.equal(await rt.read(), undefined, "absent after delete");
  await rt.remove(); // already gone is success
}
