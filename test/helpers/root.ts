import type { TestContext } from "node:test";

/**
 * Skips a test that needs root when not root, except in CI, where a skipped tier would hide a
 * failure: there it fails instead.
 */
export function requireRoot(t: TestContext): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env.CI) throw new Error("this test needs root (CAP_NET_ADMIN); CI must run as root");
  t.skip("needs root (CAP_NET_ADMIN)");
  return false;
}

/** For suite hooks, which cannot skip: whether the kernel work can run at all. */
export const isRoot = (): boolean => process.getuid?.() === 0;
