// Two "machines" on this one for the multi-host tests: each a network and mount namespace of its
// own (its own /run, so its own /run/netns and /run/pulumi-netns) running a real OpenSSH server,
// reached from the test's namespace over a veth each, and joined to each other by a veth underlay.
// Run it inside /work/bin/isolated: everything here lives in the test's private network.
import { spawn, type ChildProcess } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  symlinkSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { SshEndpoint } from "../provider/kernel/ssh";

export interface Machine {
  readonly name: string;
  /** The address the test reaches its sshd at. */
  readonly address: string;
  /** Its end of the A–B underlay. */
  readonly underlay: string;
  /** The pid whose namespaces are the machine's (a `sleep` that holds them). */
  readonly pid: number;
  /** How the provider reaches it: the test's key, the pinned host key. */
  readonly endpoint: SshEndpoint;
  /** Runs a program on the machine (its network and mount namespace), as a person at its console. */
  run(file: string, args: readonly string[]): Promise<string>;
  /** Stops its sshd and every session: the machine is unreachable until {@link startSsh}. */
  stopSsh(): Promise<void>;
  startSsh(): Promise<void>;
}

export interface Machines {
  readonly a: Machine;
  readonly b: Machine;
  /** The test's own key pair's public half, and a second key no machine accepts. */
  readonly refusedKey: string;
  /** Stops everything and removes the files. */
  close(): Promise<void>;
}

const sh = async (file: string, args: readonly string[]) => (await execa(file, args)).stdout;

async function keyPair(dir: string, name: string): Promise<{ privateKey: string; publicKey: string }> {
  const file = join(dir, name);
  await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file]);
  const publicKey = readFileSync(`${file}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
  return { privateKey: readFileSync(file, "utf8"), publicKey };
}

/** The pids whose network namespace is `pid`'s (its sshd and sessions, the holder itself). */
function pidsInNetns(pid: number): number[] {
  const ns = readlinkSync(`/proc/${pid}/ns/net`);
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/net`) === ns) found.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

async function waitFor(what: string, ok: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts machines A and B: `prefix` names their veths (the unique test prefix); `subnet` is the
 * second octet of their private addresses (10.S.1.0/30 to A, 10.S.2.0/30 to B, 10.S.3.0/24 A–B).
 */
export async function startMachines(prefix: string, subnet = 231): Promise<Machines> {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-machines-`));
  const client = await keyPair(dir, "client");
  const refused = await keyPair(dir, "refused");
  writeFileSync(join(dir, "authorized_keys"), client.publicKey + "\n", { mode: 0o600 });
  // The PATH of a machine without iproute2: the tools the records use, and no `ip`.
  mkdirSync(join(dir, "no-ip"));
  for (const tool of ["env", "sh", "cat", "ln", "mv", "rm", "mkdir", "stat", "find", "test"]) {
    symlinkSync(`/usr/bin/${tool}`, join(dir, "no-ip", tool));
  }
  const holders: ChildProcess[] = [];

  const machine = async (name: "a" | "b", index: number): Promise<Machine> => {
    const host = await keyPair(dir, `host-${name}`);
    const config = join(dir, `sshd-${name}.conf`);
    writeFileSync(
      config,
      [
        `HostKey ${join(dir, `host-${name}`)}`,
        `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
        "ListenAddress 0.0.0.0:22",
        // A second port whose sessions have a PATH without `ip`: a machine missing iproute2.
        "ListenAddress 0.0.0.0:2222",
        "PidFile none",
        "StrictModes no",
        "UsePAM no",
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "MaxSessions 100",
        "MaxStartups 100",
        "Match LocalPort 2222",
        `  SetEnv PATH=${join(dir, "no-ip")}`,
        "",
      ].join("\n"),
    );
    // The holder: a process whose namespaces are the machine's; its own tmpfs /run gives it its
    // own /run/netns, /run/pulumi-netns and sshd's privilege separation directory, and its own
    // empty /root a plain login (this machine's root runs pyenv from .bashrc, 250 ms a command).
    const holder = spawn(
      "unshare",
      [
        "--mount",
        "--net",
        "--propagation",
        "private",
        "sh",
        "-c",
        "mount -t tmpfs machine /run && mount -t tmpfs machine /root && mkdir -p /run/netns /run/pulumi-netns /run/sshd && ip link set lo up && exec sleep infinity",
      ],
      { stdio: "ignore" },
    );
    holders.push(holder);
    const pid = holder.pid;
    if (pid === undefined) throw new Error("cannot start unshare");
    await waitFor(`machine ${name}`, async () =>
      sh("nsenter", ["-t", String(pid), "-m", "ls", "/run"]).then(
        (out) => out.includes("sshd"),
        () => false,
      ),
    );
    const enter = ["-t", String(pid), "-n", "-m"];
    const run = (file: string, args: readonly string[]) => sh("nsenter", [...enter, "--", file, ...args]);
    const outside = `${prefix}${name}o`;
    const inside = `${prefix}${name}i`;
    await sh("ip", ["link", "add", outside, "type", "veth", "peer", "name", inside, "netns", String(pid)]);
    await sh("ip", ["address", "add", `10.${subnet}.${index}.1/30`, "dev", outside]);
    await sh("ip", ["link", "set", outside, "up"]);
    await run("ip", ["address", "add", `10.${subnet}.${index}.2/30`, "dev", inside]);
    await run("ip", ["link", "set", inside, "up"]);
    let sshd: ChildProcess | undefined;
    const address = `10.${subnet}.${index}.2`;
    const startSsh = async () => {
      sshd = spawn("nsenter", [...enter, "--", "/usr/sbin/sshd", "-D", "-e", "-f", config], {
        stdio: "ignore",
      });
      await waitFor(`sshd on machine ${name}`, () =>
        run("ss", ["-Htln", "sport", "=", ":22"]).then(
          (out) => out.trim() !== "",
          () => false,
        ),
      );
    };
    const stopSsh = async () => {
      for (const p of pidsInNetns(pid)) if (p !== pid) process.kill(p, "SIGKILL");
      sshd = undefined;
      await waitFor(`sshd on machine ${name} to stop`, async () => pidsInNetns(pid).length === 1);
    };
    await startSsh();
    void sshd;
    return {
      name,
      address,
      underlay: `10.${subnet}.3.${index}`,
      pid,
      endpoint: { address, port: 22, user: "root", hostKey: host.publicKey, privateKey: client.privateKey },
      run,
      stopSsh,
      startSsh,
    };
  };

  const a = await machine("a", 1);
  const b = await machine("b", 2);
  // The underlay: one veth from A's namespace to B's, as a cable between two machines.
  await sh("ip", [
    "link",
    "add",
    `${prefix}ua`,
    "netns",
    String(a.pid),
    "type",
    "veth",
    "peer",
    "name",
    `${prefix}ub`,
    "netns",
    String(b.pid),
  ]);
  await a.run("ip", ["address", "add", `${a.underlay}/24`, "dev", `${prefix}ua`]);
  await a.run("ip", ["link", "set", `${prefix}ua`, "up"]);
  await b.run("ip", ["address", "add", `${b.underlay}/24`, "dev", `${prefix}ub`]);
  await b.run("ip", ["link", "set", `${prefix}ub`, "up"]);

  return {
    a,
    b,
    refusedKey: refused.privateKey,
    async close() {
      for (const m of [a, b]) {
        for (const p of pidsInNetns(m.pid)) if (p !== m.pid) process.kill(p, "SIGKILL");
      }
      for (const h of holders) h.kill("SIGKILL");
      // The test-side veth ends go with their peers when the machines' namespaces die.
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
