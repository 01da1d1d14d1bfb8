import { createHash } from "node:crypto";
import { classifyKernelFailure } from "./errors";
import { currentHost, type Host } from "./host";
import { execaRunner, type CommandResult, type Runner } from "./runner";

/**
 * The device group links of earlier versions joined (0x6e73, "ns"). Kept to recognise them in
 * `pulumi-netns ls`; links are now created in {@link linkGroupFor} their mark.
 */
export const LEGACY_OWNED_LINK_GROUP = 0x6e73;

/** The top byte of every device group we give a link: 0x6e, "n". */
const OWNED_GROUP_TAG = 0x6e;

/**
 * The device group of the link a resource with ownership mark `mark` creates, set atomically by
 * `ip link add ... group N`: 0x6e in the top byte (far from the small numbers administrators pick,
 * and never 0, `default`), and 24 bits of the mark's SHA-256 below it. So a link that a create
 * made but had not yet given its alias (the kernel ignores an alias on `link add`) still names
 * the very resource that made it, not just "some pulumi-netns stack".
 */
export function linkGroupFor(mark: string): number {
  const digest = createHash("sha256").update(mark).digest();
  return OWNED_GROUP_TAG * 2 ** 24 + digest.readUIntBE(0, 3);
}

/** Whether a device group is one that pulumi-netns gives its links (this version's or an earlier one's). */
export function isOwnedGroup(group: number): boolean {
  return Math.floor(group / 2 ** 24) === OWNED_GROUP_TAG || group === LEGACY_OWNED_LINK_GROUP;
}

/**
 * Aliases (`ip link set dev X alias ...`) of links we own, and of the loopback of namespaces we
 * own, are `MARK_PREFIX + mark` (see provider/ownership.ts).
 */
export const MARK_PREFIX = "pulumi-netns:";

/** Options shared by the {@link Ip} methods. */
export interface IpOptions {
  /** Run inside this named namespace (`ip -n NS ...`); omitted means the host namespace. */
  readonly netns?: string | undefined;
}

// ip re-tokenises batch lines on blanks, treats quotes, `#` and `\` specially, so none may appear.
// eslint-disable-next-line no-control-regex
const unsafeInBatch = /[\s"'`#\\\u0000-\u001f\u007f]/;

/**
 * Throws a plain Error naming the argument if it cannot be placed in an `ip -batch` line
 * unchanged: empty, or containing whitespace, quotes, `#`, backslash or control characters.
 */
export function assertBatchSafe(arg: string): void {
  if (arg === "" || unsafeInBatch.test(arg)) {
    throw new Error(
      `refusing to pass ${JSON.stringify(arg)} to ip -batch: arguments there must be non-empty and ` +
        "contain no whitespace, quotes, '#', backslashes or control characters",
    );
  }
}

/** Formats a non-negative integer argument, refusing anything else before it reaches `ip`. */
export function int(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got ${n}`);
  return String(n);
}

/** Throws a plain Error if `name` cannot be a network namespace name (a file in /run/netns). */
export function assertNetnsName(name: string): void {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    throw new Error(`invalid network namespace name ${JSON.stringify(name)}: it must be a plain file name`);
  }
}

/** The iproute2 programs the kernel layer runs: `ip` for links and addresses, `tc` for qdiscs. */
export type Iproute2 = "ip" | "tc";

/**
 * Runs `ip` and `tc` (and, for sysctls, programs inside a namespace) with argv arrays, turning
 * non-zero exits into {@link KernelCommandError}s. The only place in pulumi-netns that spawns processes.
 */
export class Ip {
  constructor(readonly runner: Runner = execaRunner) {}

  /** `ip [-n NS] ARGS...` (or `tc`, with `program`); resolves with stdout. */
  async run(
    args: readonly string[],
    options: IpOptions & { readonly program?: Iproute2 } = {},
  ): Promise<string> {
    return (await this.exec([options.program ?? "ip", ...netnsArgs(options.netns), ...args])).stdout;
  }

  /** `ip -j [-n NS] ARGS...`, parsed. Empty output (some `ip` commands print nothing) parses as `[]`. */
  async json<T>(
    args: readonly string[],
    options: IpOptions & { readonly program?: Iproute2 } = {},
  ): Promise<T> {
    const program = options.program ?? "ip";
    const out = (await this.exec([program, "-j", ...netnsArgs(options.netns), ...args])).stdout.trim();
    return JSON.parse(out === "" ? "[]" : out) as T;
  }

  /**
   * `ip [-n NS] -batch -` with `lines` on stdin. Not `-force`: ip stops at the first failing line,
   * and the error names it. Every argument is checked with {@link assertBatchSafe} before anything
   * runs. Empty lines are dropped (line numbers in errors count the lines sent); no lines runs nothing.
   */
  async batch(netns: string | undefined, allLines: readonly (readonly string[])[]): Promise<void> {
    const lines = batchLines(allLines);
    if (lines.length === 0) return;
    await this.exec(["ip", ...netnsArgs(netns), "-batch", "-"], batchInput(lines), lines);
  }

  /**
   * `ip -j [OPTIONS...] [-n NS] -batch -`: as {@link batch}, and resolves with the JSON value each
   * printing line (`address show`, `tuntap show`, ...) wrote, in order (see {@link parseJsonStream}).
   * Lines that print nothing (`link add`, `link set`) contribute no value. With `program` "tc",
   * the same for `tc -batch`, which re-tokenises its lines just as `ip` does.
   */
  async batchJson(
    netns: string | undefined,
    allLines: readonly (readonly string[])[],
    options: readonly string[] = [],
    program: Iproute2 = "ip",
  ): Promise<unknown[]> {
    const lines = batchLines(allLines);
    if (lines.length === 0) return [];
    const argv = [program, "-j", ...options, ...netnsArgs(netns), "-batch", "-"];
    return parseJsonStream((await this.exec(argv, batchInput(lines), lines)).stdout);
  }

  /**
   * Runs `command` inside namespace `netns` (`ip netns exec NS COMMAND...`), or directly when
   * `netns` is undefined (the host namespace); resolves with stdout.
   */
  async execIn(netns: string | undefined, command: readonly string[]): Promise<string> {
    if (netns !== undefined) assertNetnsName(netns);
    const argv = netns === undefined ? command : ["ip", "netns", "exec", netns, ...command];
    return (await this.exec(argv)).stdout;
  }

  private async exec(
    argv: readonly string[],
    input?: string,
    lines?: readonly (readonly string[])[],
  ): Promise<CommandResult> {
    const [file, ...args] = argv;
    if (file === undefined) throw new Error("empty argv");
    const result = await this.runner(file, args, input === undefined ? undefined : { input });
    if (result.exitCode === 0) return result;
    const number = lines && failedLineNumber(result.stderr, lines);
    const line = number !== undefined ? lines?.[number - 1] : undefined;
    throw classifyKernelFailure({
      argv,
      exitCode: result.exitCode,
      stderr: result.stderr,
      ...(number !== undefined && line !== undefined ? { batchLine: { number, args: line } } : {}),
    });
  }
}

/**
 * The 1-based batch line that failed: from ip's "Command failed -:N", or, when ip exited while
 * parsing a line (`Error: argument "X" is wrong: ...` exits at once, without that report), the
 * only line containing X. Undefined when it cannot be told.
 */
export function failedLineNumber(stderr: string, lines: readonly (readonly string[])[]): number | undefined {
  const reported = /Command failed -:(\d+)/.exec(stderr);
  if (reported) return Number(reported[1]);
  const wrong = /argument "([^"]*)" is wrong/.exec(stderr);
  if (!wrong) return undefined;
  const holding = lines.flatMap((l, i) => (l.includes(wrong[1] ?? "") ? [i + 1] : []));
  return holding.length === 1 ? holding[0] : undefined;
}

function batchLines(allLines: readonly (readonly string[])[]): (readonly string[])[] {
  const lines = allLines.filter((l) => l.length > 0);
  for (const line of lines) line.forEach(assertBatchSafe);
  return lines;
}

const batchInput = (lines: readonly (readonly string[])[]): string =>
  lines.map((l) => l.join(" ") + "\n").join("");

/**
 * Splits text holding JSON values one after another (what `ip -j -batch -` prints: one array per
 * printing line) into the parsed values. Whitespace between values is skipped; brackets inside
 * strings do not count. Throws on anything that is not such a sequence.
 */
export function parseJsonStream(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (depth === 0 && /\s/.test(c ?? "")) continue;
    if (depth === 0) {
      if (c !== "[" && c !== "{") {
        throw new Error(
          `ip -j -batch: expected a JSON array or object at offset ${i}, got ${JSON.stringify(c)}`,
        );
      }
      start = i;
    }
    if (c === '"') inString = true;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") {
      depth--;
      if (depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  if (depth !== 0 || inString) throw new Error("ip -j -batch: output ends inside a JSON value");
  return values;
}

function netnsArgs(netns: string | undefined): string[] {
  if (netns === undefined) return [];
  assertNetnsName(netns);
  return ["-n", netns];
}

const perHost = new WeakMap<Host, Ip>();

/**
 * The {@link Ip} of the current host (host.ts `currentHost`: the local machine, on
 * {@link execaRunner}, unless a handler runs on another), the default for every kernel function.
 */
export function defaultIp(): Ip {
  const host = currentHost();
  let ip = perHost.get(host);
  if (ip === undefined) perHost.set(host, (ip = new Ip(host.runner)));
  return ip;
}
