// Resources on another machine, over SSH: two "machines" (scripts/machines.ts), each a network
// and mount namespace with its own /run and a real sshd. What a resource with `host` makes lands on
// its machine, marks and records included, and nowhere else; every way the connection can fail
// gives a clear error and leaves what a re-run converges.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { onHost } from "../../../provider/kernel/host";
import { MARK_PREFIX } from "../../../provider/kernel/ip";
import { recordClaim, RECORDS_ROOT } from "../../../provider/kernel/records";
import { closeSshHosts, HostConnectionError, sshHost } from "../../../provider/kernel/ssh";
import { SpawnError } from "../../../provider/kernel/runner";
import { startMachines, type Machine, type Machines } from "../../../scripts/machines";
import { uniquePrefix } from "../../helpers/names";
import { isRoot, requireRoot } from "../../helpers/root";
import { driver, managedBy, markOf } from "./harness";

const p = uniquePrefix();
const namespace = driver("Namespace");
const bridge = driver("Bridge");
const veth = driver("VethPair");

const json = async (m: Machine, args: readonly string[]) =>
  JSON.parse((await m.run("ip", ["-j", ...args])) || "[]") as Record<string, unknown>[];
const namespacesOn = async (m: Machine) => (await json(m, ["netns", "list"])).map((n) => n.name).sort();
const linksOn = async (m: Machine, ns: string) =>
  Object.fromEntries((await json(m, ["-n", ns, "link", "show"])).map((l) => [l.ifname, l]));
const recordsOn = async (m: Machine, dir: string) =>
  (await m.run("find", ["/run/pulumi-netns", "-path", `*/${dir}/*`, "-printf", "%f\\n"]))
    .split("\n")
    .filter(Boolean);

/**
 * A connection failure as a user reads it: one sentence naming B, and the line Pulumi's dynamic
 * provider writes for a failed check, read or delete (`${e}: ${e.stack}`) without stack frames
 * and without this process's private known_hosts.
 */
function assertReadable(e: unknown, host: string): HostConnectionError {
  assert.ok(e instanceof HostConnectionError, String(e));
  assert.ok(e.message.includes(host), e.message);
  assert.ok(!e.message.includes("\n") && e.message.endsWith("."), e.message);
  const printed = `${e}: ${e.stack}`;
  assert.equal(printed, `HostConnectionError: ${e.message}`);
  assert.ok(!printed.includes("    at "), printed);
  assert.ok(!/\/tmp\/|known_hosts|ssh-keygen -f/.test(printed), printed);
  return e;
}

describe("resources on another machine over SSH", { concurrency: false }, () => {
  let machines: Machines;
  let hostB: Record<string, unknown>;
  before(async () => {
    if (!isRoot()) return;
    machines = await startMachines(p);
    hostB = { ...machines.b.endpoint };
  });
  after(async () => {
    closeSshHosts();
    await machines?.close();
  });

  test("a namespace, a bridge and a veth pair made on B: there, marked there, recorded there, gone after delete", async (t) => {
    if (!requireRoot(t)) return;
    const { a, b } = machines;
    const ns = `${p}-n`;
    const n = await namespace.create({ name: ns, host: hostB, managedBy: managedBy(p, "Namespace", "n") });
    const br = await bridge.create({
      name: "br",
      namespace: ns,
      addresses: ["10.77.0.1/24"],
      host: hostB,
      managedBy: managedBy(p, "Bridge", "br"),
    });
    const pair = await veth.create({
      a: { name: "v0", namespace: ns, master: "br" },
      b: { name: "v1", namespace: ns, addresses: ["10.77.0.2/24"] },
      host: hostB,
      managedBy: managedBy(p, "VethPair", "v"),
    });

    assert.deepEqual(await namespacesOn(b), [ns]);
    assert.deepEqual(await namespacesOn(a), [], "machine A has nothing");
    assert.deepEqual(
      readdirSync("/run/netns").filter((f) => f.startsWith(p)),
      [],
      "this machine has nothing",
    );
    const links = await linksOn(b, ns);
    assert.equal(links.lo?.ifalias, MARK_PREFIX + markOf(p, "Namespace", "n"));
    assert.equal(links.br?.ifalias, MARK_PREFIX + markOf(p, "Bridge", "br"));
    assert.equal(links.v0?.ifalias, MARK_PREFIX + markOf(p, "VethPair", "v"));
    assert.equal(links.v0?.master, "br");
    assert.deepEqual(await recordsOn(b, "netns"), [ns], "the namespace's record is on B");
    assert.deepEqual(await recordsOn(a, "netns"), []);
    assert.equal(n.outs.inode, Number((await b.run("stat", ["-L", "-c", "%i", `/run/netns/${ns}`])).trim()));
    assert.equal(
      (br.outs as { host?: { address?: string } }).host?.address,
      b.address,
      "outputs carry the host",
    );
    assert.equal(br.outs.machine, `ssh://root@${b.address}:22`, "and where it lives, without the key");
    // The bridge answers from B's namespace: the pair and addresses are real, not just written down.
    await b.run("ip", ["netns", "exec", ns, "ping", "-c", "1", "-W", "2", "10.77.0.1"]);

    // Drift on B is seen through SSH; a look-alike on B is not ours.
    await b.run("ip", ["-n", ns, "link", "set", "dev", "v1", "down"]);
    assert.equal((await veth.read(pair.id, pair.outs)).props?.b.up, false);
    assert.equal((await namespace.read(n.id, n.outs)).id, ns);

    await veth.delete(pair.id, pair.outs);
    await bridge.delete(br.id, br.outs);
    await namespace.delete(n.id, n.outs);
    await namespace.delete(n.id, n.outs);
    assert.deepEqual(await namespacesOn(b), []);
    assert.deepEqual(await recordsOn(b, "netns"), []);
  });

  test("claims are per machine: one name on A and on B is two namespaces; twice on B is refused", async (t) => {
    if (!requireRoot(t)) return;
    const name = `${p}-same`;
    const check = (inputs: Record<string, unknown>) => namespace.provider.check({}, inputs);
    const onA = await check({
      name,
      host: { ...machines.a.endpoint },
      managedBy: managedBy(p, "Namespace", "onA"),
    });
    const onB = await check({ name, host: hostB, managedBy: managedBy(p, "Namespace", "onB") });
    assert.deepEqual([onA.failures ?? [], onB.failures ?? []], [[], []]);
    const again = await check({ name, host: hostB, managedBy: managedBy(p, "Namespace", "onB2") });
    assert.match(again.failures?.[0]?.reason ?? "", /also declared by Namespace onB/);
  });

  test("one SSH connection per host: a hundred commands open no new one", async (t) => {
    if (!requireRoot(t)) return;
    const host = sshHost(machines.b.endpoint);
    await host.runner("true", []);
    const sessions = async () =>
      (await machines.b.run("ss", ["-Htn", "state", "established", "sport", "=", ":22"]))
        .split("\n")
        .filter(Boolean).length;
    const before = await sessions();
    const started = Date.now();
    for (let i = 0; i < 100; i++) assert.equal((await host.runner("true", [])).exitCode, 0);
    const perCommand = (Date.now() - started) / 100;
    assert.equal(await sessions(), before, "the same TCP connections");
    assert.equal(before, 1, "exactly one: the master");
    t.diagnostic(`${perCommand.toFixed(1)} ms per command over the shared connection`);
  });

  test("a claim on B is one command and still atomic: of twelve racing claimers one wins; a fresh foreign record is refused", async (t) => {
    if (!requireRoot(t)) return;
    const host = sshHost(machines.b.endpoint);
    const dir = `${RECORDS_ROOT}/${p}-race`;
    const claimers = Array.from({ length: 12 }, (_, i) => `${p}/race/Namespace/c${i}`);
    const results = await onHost(host, () =>
      Promise.all(claimers.map((mark) => recordClaim(dir, "n", { mark, details: [] }))),
    );
    const winners = claimers.filter((_, i) => results[i]?.claimed);
    assert.equal(winners.length, 1, `exactly one claimer wins: ${JSON.stringify(results)}`);
    for (const r of results) if (!r.claimed) assert.equal(r.owner, winners[0]);
    assert.equal((await machines.b.run("head", ["-n", "1", `${dir}/n`])).trim(), winners[0]);
    // Someone else's record, written on B a moment ago: a create in progress there.
    await machines.b.run("sh", [
      "-c",
      `printf '%s\\n' "$1" > "$2"`,
      "sh",
      `${p}/other/Namespace/x`,
      `${dir}/held`,
    ]);
    const refused = await onHost(host, () => recordClaim(dir, "held", { mark: claimers[0]!, details: [] }));
    assert.deepEqual(refused, { claimed: false, owner: `${p}/other/Namespace/x` });
    assert.deepEqual(
      (await machines.b.run("ls", ["-A", dir])).split("\n").filter(Boolean).sort(),
      ["held", "n"],
      "no temporary file is left behind",
    );
    await machines.b.run("rm", ["-rf", dir]);
  });

  test("an unreachable machine fails clearly, on create, read and delete, and create converges once it is back", async (t) => {
    if (!requireRoot(t)) return;
    const inputs = { name: `${p}-down`, host: hostB, managedBy: managedBy(p, "Namespace", "down") };
    const kept = await namespace.create({
      name: `${p}-kept`,
      host: hostB,
      managedBy: managedBy(p, "Namespace", "kept"),
    });
    const label = `ssh://root@${machines.b.address}:22`;
    closeSshHosts();
    await machines.b.stopSsh();
    try {
      await assert.rejects(namespace.create(inputs), (e: Error) => {
        assertReadable(e, label);
        assert.match(
          e.message,
          /^cannot connect to ssh:\/\/root@10\.231\.2\.2:22 over SSH \(.*Connection refused\): check that the machine is up, that sshd listens on that address and port .*, then run `pulumi up` again\.$/,
        );
        return true;
      });
      // What refresh and destroy run: the handlers whose failures Pulumi prints with their stack.
      await assert.rejects(namespace.read(kept.id, kept.outs), (e: Error) => !!assertReadable(e, label));
      await assert.rejects(namespace.delete(kept.id, kept.outs), (e: Error) => !!assertReadable(e, label));
    } finally {
      await machines.b.startSsh();
    }
    assert.deepEqual(await namespacesOn(machines.b), [kept.id], "nothing half made");
    const made = await namespace.create(inputs);
    assert.deepEqual(await namespacesOn(machines.b), [inputs.name, kept.id].sort());
    await namespace.delete(made.id, made.outs);
    await namespace.delete(kept.id, kept.outs);
  });

  test("a changed host key and a refused key are refused before anything runs, each saying which", async (t) => {
    if (!requireRoot(t)) return;
    const name = `${p}-auth`;
    const label = `ssh://root@${machines.b.address}:22`;
    // B's real key, as OpenSSH's own tool prints its fingerprint.
    const fingerprint = execFileSync("ssh-keygen", ["-lf", "-"], {
      input: `${machines.b.endpoint.hostKey}\n`,
      encoding: "utf8",
    }).split(" ")[1];
    assert.match(fingerprint ?? "", /^SHA256:[A-Za-z0-9+/]{43}$/);
    const wrongHostKey = { ...hostB, hostKey: machines.a.endpoint.hostKey };
    await assert.rejects(
      namespace.create({ name, host: wrongHostKey, managedBy: managedBy(p, "Namespace", "auth") }),
      (e: Error) => {
        assertReadable(e, label);
        assert.ok(
          e.message.startsWith(`${label} presented the host key ${fingerprint} (ssh-ed25519), `),
          e.message,
        );
        assert.match(e.message, /set `host\.hostKey` to its new public key/);
        return true;
      },
    );
    const refused = { ...hostB, privateKey: machines.refusedKey };
    await assert.rejects(
      namespace.create({ name, host: refused, managedBy: managedBy(p, "Namespace", "auth") }),
      (e: Error) => {
        assertReadable(e, label);
        assert.match(
          e.message,
          /refused the login \(.*Permission denied \(publickey\)\): check the resource's `host\.user` and that `host\.privateKey`/,
        );
        return true;
      },
    );
    assert.deepEqual(await namespacesOn(machines.b), []);
  });

  test("a machine without ip says so, naming the machine", async (t) => {
    if (!requireRoot(t)) return;
    const noIp = { ...hostB, port: 2222 };
    await assert.rejects(
      namespace.create({ name: `${p}-noip`, host: noIp, managedBy: managedBy(p, "Namespace", "noip") }),
      (e: Error) => {
        assert.ok(e instanceof SpawnError, String(e));
        assert.match(
          String(e.cause),
          /ip is not installed or not on PATH on ssh:\/\/root@10\.231\.2\.2:2222/,
        );
        return true;
      },
    );
  });

  // The connection dies while the pair's `ip -batch` runs on B: before ip read its lines, or after
  // it made the pair but before the answer came back. The remote command is wrapped in a pause
  // (`sh -c`), so sshd and every session are killed while it surely runs.
  for (const [when, wrap] of [
    ["before ip ran", 'sleep 1; exec "$@"'],
    ["after ip made the pair", '"$@"; sleep 1'],
  ] as const) {
    test(`a connection dropped in the middle of a create (${when}): a clear error, and the re-run converges`, async (t) => {
      if (!requireRoot(t)) return;
      const ns = `${p}-cut${when.length}`;
      const n = await namespace.create({
        name: ns,
        host: hostB,
        managedBy: managedBy(p, "Namespace", `cut${when.length}`),
      });
      type Once = (argv: readonly string[], input?: string) => Promise<unknown>;
      // `once` is SshHost's one command over the shared connection.
      const host = sshHost(machines.b.endpoint) as unknown as { once: Once };
      const real = host.once.bind(host);
      let cut = false;
      host.once = async (argv, input) => {
        if (cut || !argv.includes("-batch")) return real(argv, input);
        cut = true;
        const running = real(["sh", "-c", wrap, "sh", ...argv], input);
        await new Promise((r) => setTimeout(r, 500));
        await machines.b.stopSsh();
        return running;
      };
      const inputs = {
        a: { name: "c0", namespace: ns },
        b: { name: "c1", namespace: ns },
        host: hostB,
        managedBy: managedBy(p, "VethPair", `cut${when.length}`),
      };
      try {
        await assert.rejects(veth.create(inputs), (e: Error) => {
          // The rollback fails too while B is down: the create's error says so on a line of its own.
          assert.match(
            e.message,
            /^the connection to ssh:\/\/root@10\.231\.2\.2:22 dropped while .*ip.* ran, which may have run in part \(.*Connection closed while the command ran\): run `pulumi up` again/,
          );
          t.diagnostic(e.message.split("\n")[0] ?? "");
          return true;
        });
      } finally {
        host.once = real;
        await machines.b.startSsh();
      }
      const made = Object.keys(await linksOn(machines.b, ns)).sort();
      assert.deepEqual(made, when === "before ip ran" ? ["lo"] : ["c0", "c1", "lo"]);
      const pair = await veth.create(inputs);
      const links = await linksOn(machines.b, ns);
      assert.equal(links.c0?.ifalias, MARK_PREFIX + markOf(p, "VethPair", `cut${when.length}`));
      assert.equal(links.c1?.ifalias, MARK_PREFIX + markOf(p, "VethPair", `cut${when.length}`));
      assert.equal(pair.outs.a.ifindex, links.c0?.ifindex);
      await veth.delete(pair.id, pair.outs);
      await namespace.delete(n.id, n.outs);
      assert.deepEqual(await namespacesOn(machines.b), []);
    });
  }
});
