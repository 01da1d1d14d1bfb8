// A small kernel for unit tests of the resource layer: namespaces and their links (lo, bridges,
// veths), addresses, an IPv4 default route, the /run/netns files and the records under
// /run/pulumi-netns, all in memory. Its runner executes the `ip` commands and `ip -batch` lines it
// is sent against that model, so a handler's answers depend on what it asked for, not on the order
// a test guessed; its listings are the recorded entries of recordedNamespaces.ts with the model's
// values put in. Everything the handler sent, and every record file it touched, is kept in order
// in `events`, which is what the tests assert.
import { isIPv6 } from "node:net";
import type { ClaimAttempt, FileStat, Host, HostFiles } from "../../provider/kernel/host";
import type { Runner } from "../../provider/kernel/runner";
import * as recorded from "./recordedNamespaces";

const NSFS_MAGIC = 0x6e736673;
const TMPFS_MAGIC = 0x01021994;
const RUN_NETNS = "/run/netns/";

export interface FakeLink {
  readonly ifindex: number;
  readonly name: string;
  readonly kind: "loopback" | "bridge" | "veth";
  group: number;
  alias: string | undefined;
  up: boolean;
  mtu: number;
  master: string | undefined;
  mac: string;
  addresses: string[];
  addrGenMode: "eui64" | "none";
  /** The other end of a veth: deleting one end deletes both. */
  peer?: { readonly netns: string; readonly name: string };
}

export interface FakeNamespace {
  readonly inode: number;
  readonly links: Map<string, FakeLink>;
  gateway: { via: string; dev: string } | undefined;
}

/** What the handler did, in order: an `ip` process (its namespace and lines), or a record file operation. */
export type FakeEvent =
  | { readonly kind: "ip"; readonly netns: string | undefined; readonly lines: readonly string[] }
  | { readonly kind: "file"; readonly op: keyof HostFiles; readonly path: string };

/** An `ip` line that only reads. */
const READS = /^(-\S+ )*(netns list|link show|address show|route show)\b/;

class KernelRefusal extends Error {}

type Json = Record<string, unknown>;
const parse = (text: string) => JSON.parse(text) as Json[];

// The recorded entries the fake prints in the shape of: per printing form, per kind of link.
const TEMPLATES = {
  detailedLink: {
    loopback: parse(recorded.hostLinkShow)[0]!,
    veth: parse(recorded.hostLinkShow)[1]!,
    bridge: without(parse(recorded.hubAddressShow)[1]!, "addr_info"),
  },
  address: {
    loopback: parse(recorded.hubAddressShow)[0]!,
    veth: parse(recorded.hostAddressShow)[1]!,
    port: parse(recorded.hubAddressShow)[2]!,
    bridge: parse(recorded.hubAddressShow)[1]!,
  },
  plainLink: {
    loopback: parse(recorded.hostLinkShowPlain)[0]!,
    veth: parse(recorded.hostLinkShowPlain)[1]!,
    // A bridge has no peer: the veth entry without one.
    bridge: without(parse(recorded.hostLinkShowPlain)[1]!, "link_index", "link_netnsid"),
  },
  route: parse(recorded.hostRouteShow)[0]!,
};

function without(o: Json, ...keys: string[]): Json {
  const copy = { ...o };
  for (const key of keys) delete copy[key];
  return copy;
}

function errno(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${path}`), { code });
}

export class FakeKernel {
  readonly namespaces = new Map<string, FakeNamespace>();
  /** Names whose /run/netns file is an empty file, no namespace (an interrupted add or delete). */
  readonly staleFiles = new Set<string>();
  /** Files by path (records and their temporaries). */
  readonly files = new Map<string, { text: string; mtimeMs: number }>();
  readonly events: FakeEvent[] = [];
  /** Makes the kernel refuse a line: return the stderr it prints. */
  refuse: (netns: string | undefined, line: string) => string | undefined = () => undefined;
  now = Date.now();
  private ifindex = 100;
  private inode = 4026532000;

  readonly runner: Runner = async (file, args, options) => {
    if (file !== "ip") return { stdout: "", stderr: `fake kernel: no ${file}\n`, exitCode: 127 };
    let netns: string | undefined;
    let numeric = false;
    let details = false;
    let i = 0;
    for (; i < args.length && args[i]!.startsWith("-"); i++) {
      if (args[i] === "-n") netns = args[++i];
      else if (args[i] === "-N") numeric = true;
      else if (args[i] === "-d") details = true;
      else if (args[i] === "-batch") break;
    }
    const batch = args[i] === "-batch";
    const rest = args.slice(i);
    const lines = batch ? (options?.input ?? "").split("\n").filter((l) => l !== "") : [rest.join(" ")];
    this.events.push({ kind: "ip", netns, lines });
    if (netns !== undefined && !this.namespaces.has(netns)) {
      return { stdout: "", stderr: recorded.noNetnsStderr.replace("pnsplit-nope", netns), exitCode: 255 };
    }
    const out: string[] = [];
    for (const [n, line] of lines.entries()) {
      try {
        const refused = this.refuse(netns, line);
        if (refused !== undefined) throw new KernelRefusal(refused);
        const printed = this.execute(netns, line.split(" "), { numeric, details });
        if (printed !== undefined) out.push(JSON.stringify(printed));
      } catch (e) {
        if (!(e instanceof KernelRefusal)) throw e;
        const tail = batch ? `Command failed -:${n + 1}\n` : "";
        return { stdout: out.join("\n"), stderr: `${e.message.replace(/\n$/, "")}\n${tail}`, exitCode: 1 };
      }
    }
    return { stdout: out.join("\n") + (out.length > 0 ? "\n" : ""), stderr: "", exitCode: 0 };
  };

  readonly host: Host = { label: "fake", runner: this.runner, files: this.hostFiles() };

  /** The `ip` processes that changed something (a line other than a listing), in order. */
  get changes(): { netns: string | undefined; lines: string[] }[] {
    return this.events.flatMap((e) =>
      e.kind === "ip" && e.lines.some((l) => !READS.test(l))
        ? [{ netns: e.netns, lines: e.lines.filter((l) => !READS.test(l)) }]
        : [],
    );
  }

  /** A namespace as `ip netns add` leaves it. */
  addNamespace(name: string): FakeNamespace {
    const ns: FakeNamespace = { inode: this.inode++, links: new Map(), gateway: undefined };
    this.namespaces.set(name, ns);
    this.addLink(name, { name: "lo", kind: "loopback", group: 0, mtu: 65536, mac: "00:00:00:00:00:00" });
    return ns;
  }

  addLink(
    netns: string,
    link: Pick<FakeLink, "name" | "kind" | "group" | "mtu"> & Partial<FakeLink>,
  ): FakeLink {
    const ns = this.namespaces.get(netns);
    if (!ns) throw new Error(`no namespace ${netns}`);
    const made: FakeLink = {
      alias: undefined,
      up: false,
      master: undefined,
      mac: `02:00:00:00:${(this.ifindex >> 8).toString(16).padStart(2, "0")}:${(this.ifindex & 255).toString(16).padStart(2, "0")}`,
      addresses: [],
      addrGenMode: "eui64",
      ...link,
      ifindex: this.ifindex++,
    };
    ns.links.set(made.name, made);
    return made;
  }

  /** The record file of namespace `name`, as `netnsClaimMark` writes it. */
  writeRecord(name: string, mark: string, mtimeMs = this.now - 3_600_000): void {
    this.files.set(`/run/pulumi-netns/netns/${name}`, { text: `${mark}\n`, mtimeMs });
  }

  record(name: string): string | undefined {
    return this.files.get(`/run/pulumi-netns/netns/${name}`)?.text.split("\n")[0];
  }

  private link(netns: string | undefined, name: string | undefined): FakeLink {
    const link = name === undefined ? undefined : this.namespaces.get(netns ?? "")?.links.get(name);
    if (!link) throw new KernelRefusal(`Cannot find device "${name}"`);
    return link;
  }

  /** The links a listing prints: all, or the one `dev` names. */
  private shown(ns: FakeNamespace, dev: string | undefined): FakeLink[] {
    if (dev === undefined) return [...ns.links.values()];
    const link = ns.links.get(dev);
    if (!link) throw new KernelRefusal(`Device "${dev}" does not exist.`);
    return [link];
  }

  private execute(
    netns: string | undefined,
    words: string[],
    how: { numeric: boolean; details: boolean },
  ): unknown {
    const ns = this.namespaces.get(netns ?? "");
    const [object, verb, ...rest] = words;
    const opt = (key: string, from = rest) => {
      const at = from.indexOf(key);
      return at < 0 ? undefined : from[at + 1];
    };
    switch (`${object} ${verb}`) {
      case "netns list":
        return [...this.namespaces.keys()].filter((n) => n !== "").map((name) => ({ name }));
      case "netns add": {
        const name = rest[0]!;
        if (this.namespaces.has(name) || this.staleFiles.has(name)) {
          throw new KernelRefusal(recorded.netnsExistsStderr.replace("pnsplit-h1", name));
        }
        this.addNamespace(name);
        return undefined;
      }
      case "netns delete": {
        const name = rest[0]!;
        if (this.staleFiles.delete(name)) return undefined;
        const gone = this.namespaces.get(name);
        if (!gone)
          throw new KernelRefusal(
            `Cannot remove namespace file "/run/netns/${name}": No such file or directory`,
          );
        for (const l of gone.links.values())
          if (l.peer) this.namespaces.get(l.peer.netns)?.links.delete(l.peer.name);
        this.namespaces.delete(name);
        return undefined;
      }
      case "link add": {
        const peerAt = rest.indexOf("peer");
        const own = peerAt < 0 ? rest : rest.slice(0, peerAt);
        const kind = opt("type", own) as FakeLink["kind"];
        const end = (spec: string[]) => ({
          netns: opt("netns", spec) ?? netns ?? "",
          name: opt("name", spec)!,
          mtu: Number(opt("mtu", spec) ?? 1500),
          group: Number(opt("group", spec) ?? 0),
        });
        const ends = peerAt < 0 ? [end(own)] : [end(own), end(rest.slice(peerAt + 1))];
        for (const e of ends) {
          if (!this.namespaces.has(e.netns)) throw new KernelRefusal(`Invalid "netns" value "${e.netns}"`);
          if (this.namespaces.get(e.netns)!.links.has(e.name))
            throw new KernelRefusal(recorded.batchExistsStderr.split("\n")[0]!);
        }
        const [a, b] = ends.map((e) => this.addLink(e.netns, { ...e, kind }));
        if (a && b) {
          a.peer = { netns: ends[1]!.netns, name: b.name };
          b.peer = { netns: ends[0]!.netns, name: a.name };
        }
        return undefined;
      }
      case "link set": {
        const link = this.link(netns, opt("dev"));
        if (rest.includes("up")) link.up = true;
        if (rest.includes("down")) link.up = false;
        if (rest.includes("nomaster")) link.master = undefined;
        const alias = opt("alias");
        if (alias !== undefined) link.alias = alias;
        const master = opt("master");
        if (master !== undefined) link.master = this.link(netns, master).name;
        const mtu = opt("mtu");
        if (mtu !== undefined) link.mtu = Number(mtu);
        const group = opt("group");
        if (group !== undefined) link.group = Number(group);
        if (opt("addrgenmode") === "none") link.addrGenMode = "none";
        return undefined;
      }
      case "link delete": {
        const link = this.link(netns, opt("dev"));
        ns!.links.delete(link.name);
        if (link.peer) this.namespaces.get(link.peer.netns)?.links.delete(link.peer.name);
        return undefined;
      }
      case "link show":
        return this.shown(ns!, opt("dev")).map((l) =>
          this.render(l, how.details ? "detailedLink" : "plainLink", how.numeric),
        );
      case "address show":
        return this.shown(ns!, opt("dev")).map((l) => this.render(l, "address", how.numeric));
      case "address add": {
        const link = this.link(netns, opt("dev"));
        if (link.addresses.includes(rest[0]!)) throw new KernelRefusal("RTNETLINK answers: File exists");
        link.addresses.push(rest[0]!);
        return undefined;
      }
      case "address delete": {
        const link = this.link(netns, opt("dev"));
        link.addresses = link.addresses.filter((a) => a !== rest[0]);
        return undefined;
      }
      case "address flush":
        return undefined;
      case "route replace":
        ns!.gateway = { via: opt("via")!, dev: this.link(netns, opt("dev")).name };
        return undefined;
      case "route delete":
        ns!.gateway = undefined;
        return undefined;
      case "route show":
        return ns!.gateway ? [{ ...TEMPLATES.route, gateway: ns!.gateway.via, dev: ns!.gateway.dev }] : [];
      default:
        throw new Error(`fake kernel: no model of \`ip ${words.join(" ")}\``);
    }
  }

  private render(l: FakeLink, form: "detailedLink" | "address" | "plainLink", numeric: boolean): Json {
    const templates: Record<string, Json> = TEMPLATES[form];
    const template = (
      form === "address" && l.kind === "veth" && l.master ? templates.port : templates[l.kind]
    )!;
    const flags = ((template.flags as string[]) ?? []).filter((f) => f !== "UP" && f !== "LOWER_UP");
    const entry: Json = {
      ...template,
      ifindex: l.ifindex,
      ifname: l.name,
      flags: l.up ? [...flags, "UP", "LOWER_UP"] : flags,
      mtu: l.mtu,
      group: l.group === 0 && !numeric ? "default" : String(l.group),
      address: l.mac,
      operstate: l.kind === "loopback" ? (l.up ? "UNKNOWN" : "DOWN") : l.up ? "UP" : "DOWN",
    };
    if ("inet6_addr_gen_mode" in template) entry.inet6_addr_gen_mode = l.addrGenMode;
    if (l.master === undefined) delete entry.master;
    else entry.master = l.master;
    if (l.alias === undefined) delete entry.ifalias;
    else entry.ifalias = l.alias;
    if (form === "address") {
      entry.addr_info = l.addresses.map((cidr) => {
        const [local, prefixlen] = cidr.split("/");
        return isIPv6(local!)
          ? { family: "inet6", local, prefixlen: Number(prefixlen), scope: "0", nodad: true }
          : { family: "inet", local, prefixlen: Number(prefixlen), scope: "0", label: l.name };
      });
    }
    return entry;
  }

  private hostFiles(): HostFiles {
    const files = this.files;
    const log = (op: keyof HostFiles, path: string) => this.events.push({ kind: "file", op, path });
    const read = (path: string) => {
      const f = files.get(path);
      if (!f) throw errno("ENOENT", path);
      return f;
    };
    return {
      readFile: async (path) => (log("readFile", path), read(path).text),
      rename: async (from, to) => {
        log("rename", to);
        files.set(to, read(from));
        files.delete(from);
      },
      remove: async (path) => {
        log("remove", path);
        files.delete(path);
      },
      removeIfFirstLine: async (path, line) => {
        log("removeIfFirstLine", path);
        if (files.get(path)?.text.split("\n")[0] === line) files.delete(path);
      },
      stat: async (path): Promise<FileStat> => {
        log("stat", path);
        const name = path.startsWith(RUN_NETNS) ? path.slice(RUN_NETNS.length) : undefined;
        const ns = name === undefined ? undefined : this.namespaces.get(name);
        if (ns) return { mtimeMs: this.now, ino: ns.inode, dev: 4, size: 0, fsType: NSFS_MAGIC };
        if (name !== undefined && this.staleFiles.has(name)) {
          return { mtimeMs: this.now, ino: 1, dev: 25, size: 0, fsType: TMPFS_MAGIC };
        }
        const f = read(path);
        return { mtimeMs: f.mtimeMs, ino: 2, dev: 25, size: f.text.length, fsType: TMPFS_MAGIC };
      },
      writeAtomic: async (dir, _tmp, file, text) => {
        log("writeAtomic", `${dir}/${file}`);
        files.set(`${dir}/${file}`, { text, mtimeMs: this.now });
      },
      claim: async (dir, tmp, file, text): Promise<ClaimAttempt> => {
        log("claim", `${dir}/${file}`);
        const held = files.get(`${dir}/${file}`);
        if (held) {
          files.set(`${dir}/${tmp}`, { text, mtimeMs: this.now });
          return { linked: false, text: held.text, mtimeMs: held.mtimeMs };
        }
        files.set(`${dir}/${file}`, { text, mtimeMs: this.now });
        return { linked: true };
      },
      readFiles: async (dir) => {
        log("readFiles", dir);
        return [...files.entries()]
          .filter(([p]) => p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes("/"))
          .map(([p, f]) => ({ name: p.slice(dir.length + 1), mtimeMs: f.mtimeMs, text: f.text }));
      },
    };
  }
}
