// Two "machines" on this one for the multi-host tests: each a network and mount namespace of its
// own (its own /run, so its own /run/netns and /run/pulumi-netns) running a real OpenSSH server,
// reached from the test's namespace over a veth each, and joined to each other by a veth underlay.
// Run it inside /work/bin/isolated: everything here lives in the test's private network.
// The tests, the bench's remote row and, as a command (`node dist/scripts/machines.js start|stop
// LAB`, at the end), examples/two-machines' README start them here.
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
import { quote } from "shell-quote";
import type { SshEndpoint } from "../provider/kernel/ssh";

export interface Machine {
  readonly name: string;
  /** The address the test reaches its sshd at. */
  readonly address: string;
  /** Its end of the A–B underlay. */
  readonly underlay: string;
  /** The device that carries {@link underlay} on the machine. */
  readonly underlayDev: string;
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
  /** What {@link stopMachines} needs: the holders' pids, the directory of keys and configs. */
  readonly holders: readonly number[];
  readonly dir: string;
  /** The machines' cables' ends in the caller's namespace. */
  readonly links: readonly string[];
  /** Stops everything and removes the files. */
  close(): Promise<void>;
}

/**
 * Stops machines started by {@link startMachines} (maybe by another process): deletes their
 * cables' ends here (`links`; the kernel frees a dead namespace's veths only later, and whoever
 * looks next must not find them), then kills every process in each holder's network namespace
 * (sshd, sessions) and the holders, whose namespaces die with them and take everything made on
 * the machines along; removes `dir`.
 */
export async function stopMachines(
  holders: readonly number[],
  dir: string,
  links: readonly string[],
): Promise<void> {
  for (const link of links) await sh("ip", ["link", "delete", link]).catch(() => undefined);
  for (const pid of holders) {
    let inside: number[] = [];
    try {
      inside = pidsInNetns(pid);
    } catch {
      // Gone already.
    }
    for (const p of [...inside.filter((p) => p !== pid), pid]) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        // Exited meanwhile.
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
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
  const holders: number[] = [];
  const links: string[] = [];

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
        // MaxSessions stays OpenSSH's default (10), as on a real machine.
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
    const pid = holder.pid;
    if (pid === undefined) throw new Error("cannot start unshare");
    holders.push(pid);
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
    links.push(outside);
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
      underlayDev: `${prefix}u${name}`,
      pid,
      endpoint: { address, port: 22, user: "root", hostKey: host.publicKey, privateKey: client.privateKey },
      run,
      stopSsh,
      startSsh,
    };
  };

  try {
    const a = await machine("a", 1);
    const b = await machine("b", 2);
    // The underlay: one veth from A's namespace to B's, as a cable between two machines.
    await sh("ip", [
      "link",
      "add",
      a.underlayDev,
      "netns",
      String(a.pid),
      "type",
      "veth",
      "peer",
      "name",
      b.underlayDev,
      "netns",
      String(b.pid),
    ]);
    for (const m of [a, b]) {
      await m.run("ip", ["address", "add", `${m.underlay}/24`, "dev", m.underlayDev]);
      await m.run("ip", ["link", "set", m.underlayDev, "up"]);
    }
    return {
      a,
      b,
      refusedKey: refused.privateKey,
      holders,
      dir,
      links,
      close: () => stopMachines(holders, dir, links),
    };
  } catch (e) {
    // Half started: nothing may outlive the failure.
    await stopMachines(holders, dir, links);
    throw e;
  }
}

/**
 * `node dist/scripts/machines.js start LAB`: starts machines A and B as {@link startMachines} does
 * and leaves them running; writes into the directory LAB what a user of real machines would have:
 * `env` (their addresses, host keys and underlay, for `.`), `id` (the key they accept),
 * `known_hosts` and `ssh_config` (`ssh -F LAB/ssh_config a CMD`). `stop LAB` stops them and
 * removes LAB; nothing started is left.
 */
async function cli(argv: readonly string[]): Promise<void> {
  const [command, lab] = argv;
  if ((command !== "start" && command !== "stop") || lab === undefined || argv.length !== 2) {
    throw new Error("usage: node dist/scripts/machines.js start|stop LAB_DIR");
  }
  const state = join(lab, "machines.json");
  if (command === "stop") {
    let started: Pick<Machines, "holders" | "dir" | "links"> | undefined;
    try {
      started = JSON.parse(readFileSync(state, "utf8")) as Pick<Machines, "holders" | "dir" | "links">;
    } catch {
      // Never started, or stopped already.
    }
    if (started) await stopMachines(started.holders, started.dir, started.links);
    rmSync(lab, { recursive: true, force: true });
    return;
  }
  mkdirSync(lab, { recursive: true });
  // 10.235/16: apart from the tests' and the bench's machines.
  const { a, b, holders, dir, links } = await startMachines("lab", 235);
  writeFileSync(state, JSON.stringify({ holders, dir, links }) + "\n");
  const key = join(lab, "id");
  writeFileSync(key, a.endpoint.privateKey ?? "", { mode: 0o600 });
  writeFileSync(join(lab, "known_hosts"), [a, b].map((m) => `${m.address} ${m.endpoint.hostKey}\n`).join(""));
  writeFileSync(
    join(lab, "ssh_config"),
    [a, b]
      .map((m) =>
        [
          `Host ${m.name}`,
          `  HostName ${m.address}`,
          "  User root",
          `  IdentityFile ${key}`,
          `  UserKnownHostsFile ${join(lab, "known_hosts")}`,
          "  BatchMode yes",
          "",
        ].join("\n"),
      )
      .join(""),
  );
  const vars = [a, b].flatMap((m) => {
    const M = m.name.toUpperCase();
    return [
      [`${M}_ADDRESS`, m.address],
      [`${M}_HOST_KEY`, m.endpoint.hostKey],
      [`${M}_UNDERLAY`, m.underlay],
      [`${M}_UNDERLAY_DEV`, m.underlayDev],
    ];
  });
  writeFileSync(join(lab, "env"), vars.map(([k, v]) => `${k}=${quote([v!])}\n`).join(""));
  console.log(`machines A (${a.address}) and B (${b.address}) are up; stop them with: stop ${lab}`);
}

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    // The machines' processes are ours: leave without waiting for them.
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
