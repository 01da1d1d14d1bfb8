// Without root or CAP_NET_ADMIN a user gets one clear sentence, not a failure per kernel call.
//
// The engine tier cannot run as another user here: the Pulumi CLI and Node live under /root
// (mode 0700), which `nobody` cannot traverse. So the provider's lifecycle calls run in a child
// Node process under `setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all`, from a
// copy of the node binary in a directory that user can reach; the checkout under /work/main is
// world-readable (checked below).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { accessSync, constants, copyFileSync, mkdtempSync, rmSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { uniquePrefix } from "../helpers/names";
import { assertNoLeaks, figure, leftovers } from "../helpers/reliability";
import { isRoot, requireRoot } from "../helpers/root";

const p = uniquePrefix();
const providerDir = path.resolve(__dirname, "../../provider");

/** Runs every resource kind's `create` (in parallel, as the engine would) and prints each outcome. */
const childScript = `
const { providers } = require(${JSON.stringify(providerDir)});
const p = ${JSON.stringify(p)};
const mb = (k, n) => "pnt/" + p + "/" + k + "/" + n;
const calls = [
  ["Namespace", { name: p + "np", sysctls: {}, adopt: false, managedBy: mb("Namespace", "np") }],
  ["Bridge", { name: p + "br", addresses: [], up: true, stp: false, vlanFiltering: false, adopt: false, managedBy: mb("Bridge", "br") }],
  ["TapDevice", { name: p + "tap", addresses: [], up: true, multiQueue: false, vnetHdr: false, adopt: false, managedBy: mb("TapDevice", "t") }],
  ["VethPair", { a: { name: p + "a", addresses: [], up: true }, b: { name: p + "b", addresses: [], up: true }, adopt: false, managedBy: mb("VethPair", "v") }],
  ["Vxlan", { name: p + "vx", vni: 4242, dstPort: 4789, learning: true, ttl: 0, addresses: [], up: true, adopt: false, managedBy: mb("Vxlan", "vx") }],
];
Promise.all(calls.map(([kind, inputs]) =>
  providers[kind].create(inputs).then(() => ({ kind, ok: true }), (e) => ({ kind, message: String(e && e.message) })),
)).then((r) => console.log(JSON.stringify(r)));
`;

describe("privileges", () => {
  after(() => {
    if (isRoot()) assertNoLeaks(p);
  });

  test("without CAP_NET_ADMIN every create fails with the same single sentence", async (t) => {
    if (!requireRoot(t)) return;
    for (const dir of [providerDir, path.resolve(providerDir, "../../node_modules/execa")]) {
      accessSync(dir, constants.R_OK | constants.X_OK);
    }
    const scratch = mkdtempSync(path.join(tmpdir(), `${p}-priv-`));
    chmodSync(scratch, 0o755);
    const node = path.join(scratch, "node");
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
    try {
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(
          "setpriv",
          ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", node, "-e", childScript],
          { cwd: scratch, encoding: "utf8" },
          (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
        ),
      );
      const results = JSON.parse(stdout) as { kind: string; ok?: boolean; message?: string }[];
      assert.equal(results.length, 5);
      assert.ok(
        results.every((r) => !r.ok),
        `nothing succeeds without privileges: ${stdout}`,
      );
      const messages = new Set(results.map((r) => r.message));
      figure(`privilege errors: ${results.length} creates, ${messages.size} distinct message(s)`);
      assert.equal(messages.size, 1, `one sentence for every resource: ${[...messages].join(" | ")}`);
      const [message] = messages;
      assert.match(message ?? "", /needs root \(or CAP_NET_ADMIN/);
      assert.doesNotMatch(message ?? "", /\bip -|exit \d|stderr/, "no kernel command noise");
      assert.deepEqual(leftovers(p), { namespaces: [], links: [], records: [] });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
