/** Which kind of object a {@link NotFoundError} says is missing. */
export type MissingObject = "netns" | "device" | "address" | "sysctl" | "file" | "qdisc";

/** The batch line (1-based, as `ip` counts) that stopped an `ip -batch` run. */
export interface FailedBatchLine {
  readonly number: number;
  readonly args: readonly string[];
}

/** Fields shared by every kernel error; see {@link classifyKernelFailure}. */
export interface KernelFailure {
  /** The full argv, starting with the program (`ip`, `sysctl`). */
  readonly argv: readonly string[];
  readonly exitCode: number;
  readonly stderr: string;
  /** For `ip -batch` runs: the line `ip` reported as failed. */
  readonly batchLine?: FailedBatchLine;
}

/**
 * A kernel command exited non-zero. The message reads on its own: the command, the exit code,
 * what the command printed and what the user can do about it.
 */
export class KernelCommandError extends Error {
  override readonly name: string = "KernelCommandError";
  readonly argv: readonly string[];
  readonly exitCode: number;
  readonly stderr: string;
  /** What the user should do; one or two sentences. */
  readonly hint: string;
  readonly batchLine: FailedBatchLine | undefined;

  constructor(failure: KernelFailure, hint: string, lead = "") {
    super(lead + describeFailure(failure) + " " + hint);
    this.argv = failure.argv;
    this.exitCode = failure.exitCode;
    this.stderr = failure.stderr;
    this.hint = hint;
    this.batchLine = failure.batchLine;
  }
}

/** The object the command named does not exist (device, namespace, address, sysctl key). */
export class NotFoundError extends KernelCommandError {
  override readonly name: string = "NotFoundError";
  constructor(
    failure: KernelFailure,
    hint: string,
    readonly missing: MissingObject,
  ) {
    super(failure, hint);
  }
}

/** The kernel refused for lack of privilege. */
export class PermissionError extends KernelCommandError {
  override readonly name: string = "PermissionError";
  constructor(failure: KernelFailure) {
    super(
      failure,
      "Run the Pulumi program as root, or give the node binary those capabilities " +
        "(setcap cap_net_admin,cap_sys_admin+ep).",
      "pulumi-netns needs root or CAP_NET_ADMIN (and CAP_SYS_ADMIN for namespaces): ",
    );
  }
}

/** Quotes an argv for messages so that arguments with spaces or quotes stay unambiguous. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
}

function describeFailure(f: KernelFailure): string {
  const where = f.batchLine ? ` at batch line ${f.batchLine.number} (${formatArgv(f.batchLine.args)})` : "";
  const said = f.stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^Command failed /.test(l))
    .join("; ");
  const output = said === "" ? "no error output" : said.replace(/[.:]$/, "");
  return `${formatArgv(f.argv)} failed${where} (exit ${f.exitCode}): ${output}.`;
}

interface NotFoundRule {
  readonly pattern: RegExp;
  readonly missing: MissingObject;
  readonly hint: string;
}

const notFoundRules: readonly NotFoundRule[] = [
  {
    pattern: /Cannot open network namespace|Cannot remove namespace file|Invalid "netns" value/,
    missing: "netns",
    hint: "The network namespace does not exist; create it first (or refresh the stack if it was removed).",
  },
  {
    pattern: /Cannot find device|does not exist|No such device/,
    missing: "device",
    hint: "The network device does not exist in that namespace.",
  },
  {
    // `tc qdisc del dev X root` on a device that has only its default qdisc.
    pattern: /Cannot delete qdisc with handle of zero/,
    missing: "qdisc",
    hint: "The device has no qdisc of its own, only the kernel's default.",
  },
  {
    pattern: /Address not found/,
    missing: "address",
    hint: "The address is not assigned to that device.",
  },
  {
    pattern: /cannot stat \/proc\/sys\//,
    missing: "sysctl",
    hint: "The sysctl key does not exist (check its spelling, and that the device it names exists).",
  },
  {
    pattern: /No such file or directory|ENOENT/,
    missing: "file",
    hint: "A file the command needs is missing.",
  },
];

interface HintRule {
  readonly test: (stderr: string, args: readonly string[]) => boolean;
  readonly hint: (args: readonly string[]) => string;
}

const notSupported = /Operation not supported|EOPNOTSUPP/;

const hintRules: readonly HintRule[] = [
  {
    test: (s) => /permission denied on key/.test(s),
    hint: () => "That sysctl cannot be written (or read) from this namespace; it is read-only or write-only.",
  },
  {
    test: (s, a) => notSupported.test(s) && a.includes("vlan_filtering"),
    hint: () =>
      "This kernel does not support VLAN filtering on bridges (CONFIG_BRIDGE_VLAN_FILTERING); " +
      "leave vlanFiltering unset.",
  },
  {
    test: (s, a) => notSupported.test(s) && a.includes("master"),
    hint: () => "The master device cannot take ports of this kind; a master must be a bridge.",
  },
  {
    test: (s, a) => (notSupported.test(s) || /Unknown device type/.test(s)) && a.includes("type"),
    hint: (a) => {
      const kind = a[a.indexOf("type") + 1] ?? "?";
      return `This kernel lacks support for "${kind}" devices; load its module (modprobe ${kind}).`;
    },
  },
  {
    test: (s) => /File exists|EEXIST/.test(s),
    hint: () =>
      "Something with that name (or that address) already exists there; choose another name, " +
      "or remove the existing object.",
  },
  {
    test: (s) => /not a valid ifname/.test(s),
    hint: () => "Interface names are 1 to 15 characters without '/', ':' or whitespace.",
  },
  {
    test: (s) => /mtu (less|greater) than device (minimum|maximum)/i.test(s),
    hint: () => "The MTU is outside the range this device accepts (see minmtu/maxmtu in `ip -d link`).",
  },
  {
    test: (s) => /Numerical result out of range|ERANGE/.test(s),
    hint: () =>
      "A value is outside the range the kernel accepts (a bridge's forwardDelay must be 2 to 30 s " +
      "while STP is on).",
  },
  {
    test: (s, a) => /Cannot assign requested address/.test(s) && a.includes("address"),
    hint: () => "The kernel refused the MAC address; it must be a unicast address (first octet even).",
  },
  {
    test: (s) => /Device or resource busy|EBUSY/.test(s),
    hint: () => "The device is in use (a tap held open by a process, or a namespace still in use).",
  },
  {
    test: (s) => /Invalid argument|EINVAL/.test(s),
    hint: () => "The kernel rejected a value or the device is of the wrong type for this operation.",
  },
];

/** Whether a command failed because its object already exists (`ip link add` of a taken name). */
export function isAlreadyExists(e: unknown): boolean {
  return e instanceof KernelCommandError && /File exists|EEXIST/.test(e.stderr);
}

const permissionPattern = /Operation not permitted|Permission denied|EPERM|EACCES/;

/**
 * Turns a failed command into the most specific error: {@link PermissionError},
 * {@link NotFoundError}, or a {@link KernelCommandError} with a hint chosen from what failed.
 */
export function classifyKernelFailure(failure: KernelFailure): KernelCommandError {
  const stderr = failure.stderr;
  const args = failure.batchLine?.args ?? failure.argv;
  const specific = hintRules.find((r) => r.test(stderr, args));
  if (specific === undefined && permissionPattern.test(stderr)) return new PermissionError(failure);
  if (specific === undefined) {
    const nf = notFoundRules.find((r) => r.pattern.test(stderr));
    if (nf !== undefined) return new NotFoundError(failure, nf.hint, nf.missing);
  }
  const hint =
    specific?.hint(args) ?? `See ${failure.argv[0] === "tc" ? "tc" : "ip"}(8) for the command quoted above.`;
  return new KernelCommandError(failure, hint);
}
