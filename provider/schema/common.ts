/**
 * Field rules shared by every resource kind, and the glue that turns zod issues into Pulumi check
 * failures. Each rule is a plain `xxxProblems(value) => string[]` function (empty = valid) so the
 * kernel layer can reuse it; the zod field schemas wrap those functions.
 */
import { isIPv4, isIPv6 } from "node:net";
import { z } from "zod";
import { canonicalCidr } from "../address";

/** The value Pulumi passes for an input that is not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export type Unknown = typeof UNKNOWN;

export function isUnknown(value: unknown): value is Unknown {
  return value === UNKNOWN;
}

/**
 * Accepts `schema` or the unknown sentinel, which passes through unchanged. Cross-field rules must
 * treat the sentinel as "could be anything" and skip. The input type leaves the sentinel out (users
 * never write it); the output type keeps it, so resolved inputs say honestly what may be unknown.
 */
export function orUnknown<T extends z.ZodType>(schema: T): z.ZodType<z.output<T> | Unknown, z.input<T>> {
  return z.union([schema, z.literal(UNKNOWN)]) as unknown as z.ZodType<z.output<T> | Unknown, z.input<T>>;
}

/**
 * `T` with the unknown sentinel removed everywhere: inputs as `create` and `update` receive them
 * (the engine only calls those once every input is known).
 */
export type Known<T> = T extends Unknown
  ? never
  : T extends readonly (infer E)[]
    ? Known<E>[]
    : T extends object
      ? { [K in keyof T]: Known<T[K]> }
      : T;

/** A string field whose value is judged by `problems`; every problem becomes its own issue. */
export function ruledString(problems: (value: string) => string[]) {
  return z.string().superRefine((value, ctx) => {
    for (const message of problems(value)) ctx.addIssue({ code: "custom", message, input: value });
  });
}

/** A number field whose value is judged by `problems`. */
export function ruledNumber(problems: (value: number) => string[]) {
  return z.number().superRefine((value, ctx) => {
    for (const message of problems(value)) ctx.addIssue({ code: "custom", message, input: value });
  });
}

// ---------------------------------------------------------------------------------------------
// Character classes

const LONE_SURROGATE = /\p{Cs}/u;
const WHITESPACE = /\s/u;
/** Control characters other than the whitespace ones, which get their own reason. */
const CONTROL_NOT_SPACE = /(?!\s)\p{Cc}/u;
/** Characters `ip -batch` gives meaning to when it re-tokenises a line (quotes, comments, escapes). */
const BATCH_SPECIAL = /["'`#\\]/u;
const BATCH_REASON = `ip -batch re-tokenises each line, so quotes, backticks, "#" and "\\" would split or cut the value`;

function byteLength(value: string): number {
  return Buffer.byteLength(value, "utf8");
}

/** `U+0020` style name of the first character of `value` matching `re`. */
function firstMatch(value: string, re: RegExp): string {
  const ch = value.match(re)?.[0] ?? "";
  const cp = ch.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** A short, quoted rendering of a value for use inside a reason. */
export function quote(value: unknown): string {
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return String(value);
}

/** Problems shared by every free-text rule: well-formed Unicode, whitespace, control, batch chars. */
function textProblems(what: string, value: string, batch: boolean): string[] {
  const problems: string[] = [];
  if (LONE_SURROGATE.test(value))
    problems.push(`${what} must be well-formed Unicode; ${quote(value)} has a lone surrogate`);
  if (WHITESPACE.test(value)) {
    problems.push(`${what} cannot contain whitespace; ${quote(value)} has ${firstMatch(value, WHITESPACE)}`);
  }
  if (CONTROL_NOT_SPACE.test(value)) {
    problems.push(
      `${what} cannot contain control characters; ${quote(value)} has ${firstMatch(value, CONTROL_NOT_SPACE)}`,
    );
  }
  if (batch && BATCH_SPECIAL.test(value)) {
    const ch = value.match(BATCH_SPECIAL)?.[0];
    problems.push(`${what} cannot contain ${JSON.stringify(ch)}: ${BATCH_REASON}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Interface names

/** IFNAMSIZ is 16 including the terminating NUL. */
export const IFNAME_MAX_BYTES = 15;

/**
 * The kernel's `dev_valid_name()` (net/core/dev.c): 1-15 bytes, not "." or "..", no "/", ":" or
 * `isspace()` byte. The kernel's ctype table (lib/ctype.c) is Latin-1, so byte 0xA0 counts as a
 * space: any character whose UTF-8 encoding contains 0xA0 ("à" is C3 A0) is refused by the kernel.
 * We also refuse control characters and what `ip -batch` would re-tokenise (names go into batch
 * lines, see DESIGN.md), so a bad name fails at preview instead of halfway through a create.
 */
export function interfaceNameProblems(name: string): string[] {
  const problems: string[] = [];
  const bytes = byteLength(name);
  if (bytes < 1 || bytes > IFNAME_MAX_BYTES) {
    problems.push(`interface names are 1-${IFNAME_MAX_BYTES} bytes; ${quote(name)} is ${bytes} bytes`);
  }
  if (name === "." || name === "..") problems.push(`interface names cannot be "." or ".."`);
  const sep = name.match(/[/:]/u)?.[0];
  if (sep !== undefined) {
    problems.push(
      `interface names cannot contain "/" or ":" ("/" would break /sys/class/net, ":" is ip's label separator); ${quote(name)} has ${JSON.stringify(sep)}`,
    );
  }
  if (name.includes("%")) {
    problems.push(
      `interface names cannot contain "%": the kernel reads the name as a template ("x%d" becomes "x0") or refuses it; ${quote(name)} has it`,
    );
  }
  problems.push(...textProblems("interface names", name, true));
  const latin1Space = [...name].find((ch) => !WHITESPACE.test(ch) && Buffer.from(ch, "utf8").includes(0xa0));
  if (latin1Space !== undefined) {
    problems.push(
      `interface names cannot contain a character whose UTF-8 encoding has byte 0xA0 (the kernel's isspace() treats it as a space); ${quote(name)} has ${quote(latin1Space)}`,
    );
  }
  return problems;
}

export const interfaceName = ruledString(interfaceNameProblems);

// ---------------------------------------------------------------------------------------------
// Namespace names

/** NAME_MAX: a namespace is the file /run/netns/<name> (iproute2 ipnetns.c invalid_name()). */
export const NETNS_NAME_MAX_BYTES = 255;

export function namespaceNameProblems(name: string): string[] {
  const problems: string[] = [];
  const bytes = byteLength(name);
  if (bytes < 1 || bytes > NETNS_NAME_MAX_BYTES) {
    problems.push(
      `namespace names are 1-${NETNS_NAME_MAX_BYTES} bytes (a file name under /run/netns); ${quote(name)} is ${bytes} bytes`,
    );
  }
  if (name === "." || name === "..")
    problems.push(`namespace names cannot be "." or ".." (not a file under /run/netns)`);
  if (name.includes("/"))
    problems.push(`namespace names cannot contain "/" (the name is a file under /run/netns)`);
  problems.push(...textProblems("namespace names", name, true));
  return problems;
}

export const namespaceName = ruledString(namespaceNameProblems);

// ---------------------------------------------------------------------------------------------
// CIDRs

const PREFIX = /^(0|[1-9][0-9]{0,2})$/u;

function splitCidr(cidr: string): { address: string; prefix: string } | undefined {
  const slash = cidr.lastIndexOf("/");
  if (slash < 0) return undefined;
  return { address: cidr.slice(0, slash), prefix: cidr.slice(slash + 1) };
}

/** `a.b.c.d/p` (p 0-32) or an IPv6 address in any textual form with `/p` (p 0-128). */
export function cidrProblems(cidr: string): string[] {
  const parts = splitCidr(cidr);
  const example = "e.g. 10.0.0.1/24 or fd00::1/64";
  if (parts === undefined) return [`addresses need a prefix length, ${example}; ${quote(cidr)} has none`];
  const { address, prefix } = parts;
  if (address.includes("%")) return [`addresses cannot carry a zone index ("%..."); got ${quote(cidr)}`];
  // node:net's checks are the well-tested ones; isIPv4 refuses leading zeros ("010.0.0.1").
  const max = isIPv4(address) ? 32 : isIPv6(address) ? 128 : undefined;
  if (max === undefined) {
    return [`${quote(address)} is not an IPv4 address (dotted quad, no leading zeros) or an IPv6 address`];
  }
  if (!PREFIX.test(prefix) || Number(prefix) > max) {
    return [
      `the prefix length of an IPv${max === 32 ? 4 : 6} address is 0-${max} (no sign or leading zeros); got ${quote(prefix)}`,
    ];
  }
  return [];
}

export const cidr = ruledString(cidrProblems);

/** Entries listed twice (after normalisation), reported on the later index. */
export const addressList = z.array(orUnknown(cidr)).superRefine(
  (list, ctx) => {
    if (!Array.isArray(list)) return;
    const seen = new Map<string, number>();
    list.forEach((entry, index) => {
      if (typeof entry !== "string" || isUnknown(entry) || cidrProblems(entry).length > 0) return;
      const key = canonicalCidr(entry);
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, index);
        return;
      }
      ctx.addIssue({
        code: "custom",
        path: [index],
        input: entry,
        message: `addresses must be listed once; ${quote(entry)} is the same address as addresses[${first}]`,
      });
    });
  },
  // Runs even when another element is malformed, so duplicates are reported in the same pass.
  { when: () => true },
);

// ---------------------------------------------------------------------------------------------
// MAC addresses, MTU

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/iu;

export function macAddressProblems(mac: string): string[] {
  if (!MAC.test(mac)) {
    return [`MAC addresses are six colon-separated hex octets, e.g. 02:00:00:00:00:01; got ${quote(mac)}`];
  }
  const lower = mac.toLowerCase();
  if (lower === "ff:ff:ff:ff:ff:ff") return [`MAC addresses must be unicast; ff:ff:ff:ff:ff:ff is broadcast`];
  if ((parseInt(lower.slice(0, 2), 16) & 1) === 1) {
    return [
      `MAC addresses must be unicast (least significant bit of the first octet clear); ${quote(mac)} is multicast`,
    ];
  }
  if (lower === "00:00:00:00:00:00")
    return [`MAC addresses must be unicast and non-zero; 00:00:00:00:00:00 is unusable`];
  return [];
}

export const macAddress = ruledString(macAddressProblems);

/** 68 is IPv4's minimum (RFC 791); 65535 is ETH_MAX_MTU, the max_mtu of veth, bridge and tun. */
export const MTU_MIN = 68;
export const MTU_MAX = 65535;

export function mtuProblems(mtu: number): string[] {
  if (Number.isInteger(mtu) && mtu >= MTU_MIN && mtu <= MTU_MAX) return [];
  return [
    `mtu is an integer from ${MTU_MIN} (the IPv4 minimum) to ${MTU_MAX} (the kernel's ETH_MAX_MTU); got ${quote(mtu)}`,
  ];
}

export const mtu = ruledNumber(mtuProblems);

// ---------------------------------------------------------------------------------------------
// Ownership fields

export const MANAGED_BY_MAX_BYTES = 200;

/**
 * `<project>/<stack>/<kind>/<name>`; the name may itself contain "/". It is written into an
 * interface alias (IFALIASZ 256, after the "pulumi-netns:" prefix) and an ip -batch line.
 */
export function managedByProblems(value: string): string[] {
  const problems: string[] = [];
  const bytes = byteLength(value);
  if (bytes < 1 || bytes > MANAGED_BY_MAX_BYTES) {
    problems.push(`managedBy is 1-${MANAGED_BY_MAX_BYTES} bytes; ${quote(value)} is ${bytes} bytes`);
  }
  const segments = value.split("/");
  if (
    segments.length < 4 ||
    segments.slice(0, 3).some((s) => s === "") ||
    segments.slice(3).join("/") === ""
  ) {
    problems.push(`managedBy is "<project>/<stack>/<kind>/<name>" with no empty part; got ${quote(value)}`);
  }
  problems.push(...textProblems("managedBy", value, true));
  return problems;
}

export const managedBy = ruledString(managedByProblems);

/** The ids a StackInstance makes (16 hex digits) and what a user may pin in config. */
const STACK_INSTANCE = /^[A-Za-z0-9_-]{1,32}$/u;

/**
 * Which stack owns a resource: the id of the stack's StackInstance resource, made once in that
 * stack's own state (or pinned with `pulumi config set pulumi-netns:stackInstance ID`). It goes
 * into the ownership mark, so two stacks with one project and stack name are different owners.
 */
export function stackInstanceProblems(value: string): string[] {
  return STACK_INSTANCE.test(value)
    ? []
    : [`stackInstance is 1-32 letters, digits, "_" or "-"; got ${quote(value)}`];
}

export const stackInstance = ruledString(stackInstanceProblems);

export const upField = orUnknown(z.boolean()).default(true);
export const adoptField = orUnknown(z.boolean()).default(false);
export const managedByField = orUnknown(managedBy);
/** Optional only so that state written before stack instances existed still resolves. */
export const stackInstanceField = orUnknown(stackInstance).optional();

// ---------------------------------------------------------------------------------------------
// sysctls

const SYSCTL_SEGMENT = /^[A-Za-z0-9_-]+$/u;

/**
 * `net.` followed by dot-separated segments of [A-Za-z0-9_-]. "/" is refused: sysctl(8) reads it
 * as a "." inside an interface name (net.ipv4.conf.eth0/100.forwarding), a translation we do not
 * make, so accepting it would write a different file than the user meant.
 */
export function sysctlKeyProblems(key: string): string[] {
  if (!key.startsWith("net.")) {
    return [`sysctl keys start with "net." (only network sysctls are per namespace); got ${quote(key)}`];
  }
  if (key.includes("/")) {
    return [
      `sysctl keys cannot contain "/" (sysctl(8) would read it as a "." in an interface name); got ${quote(key)}`,
    ];
  }
  const bad = key.split(".").find((segment) => !SYSCTL_SEGMENT.test(segment));
  if (bad !== undefined) {
    return [
      `sysctl keys are "net." and non-empty dot-separated segments of letters, digits, "_" and "-"; ${quote(key)} has segment ${quote(bad)}`,
    ];
  }
  return [];
}

export const sysctlKey = ruledString(sysctlKeyProblems);

export function sysctlValueProblems(value: string | number): string[] {
  if (typeof value === "number") {
    return Number.isSafeInteger(value)
      ? []
      : [`numeric sysctl values must be integers (write other values as strings); got ${quote(value)}`];
  }
  if (value.trim() === "") return [`sysctl values cannot be empty`];
  // Values reach sysctl(8) as one argv element, never an ip -batch line, so multi-number values
  // such as net.ipv4.ip_local_port_range ("32768 60999") keep their blanks; line breaks would
  // split what sysctl writes, and edge blanks would never read back equal.
  const problems = /[\n\r\v\f]/u.test(value)
    ? [`sysctl values are one line; ${quote(value)} has a line break`]
    : textProblems("sysctl values", value.replace(/[ \t]/gu, "_"), false);
  if (value !== value.trim())
    problems.push(`sysctl values cannot start or end with blanks; got ${quote(value)}`);
  return problems;
}

/** A string, or an integer which is turned into its decimal string. */
export const sysctlValue = z
  .union([z.string(), z.number()], {
    error: (iss) => `sysctl values are strings or integers; got ${quote(iss.input)}`,
  })
  .superRefine((value, ctx) => {
    for (const message of sysctlValueProblems(value)) ctx.addIssue({ code: "custom", message, input: value });
  })
  .transform((value) => String(value));

// ---------------------------------------------------------------------------------------------
// Check failures

/** A Pulumi check failure: `property` is a path such as `a.addresses[1]` or `sysctls["net.x"]`. */
export interface CheckFailure {
  readonly property: string;
  readonly reason: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/u;

/**
 * Pulumi's property-path syntax: identifiers joined with ".", indices as `[1]`, any other key as
 * `["net.ipv4.ip_forward"]` (so dotted sysctl keys stay one readable segment).
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (typeof segment === "string" && IDENTIFIER.test(segment))
      out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

function isUnknownBranch(issues: readonly z.core.$ZodIssue[]): boolean {
  return (
    issues.length === 1 &&
    issues[0].code === "invalid_value" &&
    issues[0].path.length === 0 &&
    issues[0].values.length === 1 &&
    issues[0].values[0] === UNKNOWN
  );
}

function collect(issue: z.core.$ZodIssue, prefix: readonly PropertyKey[], out: CheckFailure[]): void {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case "invalid_union": {
      // orUnknown's union: the sentinel branch says nothing useful, the other one says why.
      const real = issue.errors.filter((branch) => !isUnknownBranch(branch));
      if (real.length === 1 && real.length < issue.errors.length) {
        for (const inner of real[0]) collect(inner, path, out);
        return;
      }
      out.push({ property: formatPath(path), reason: issue.message });
      return;
    }
    case "invalid_key":
      out.push({ property: formatPath(path), reason: issue.issues.map((i) => i.message).join("; ") });
      return;
    case "invalid_element":
      for (const inner of issue.issues) collect(inner, path, out);
      return;
    case "unrecognized_keys":
      for (const key of issue.keys)
        out.push({ property: formatPath([...path, key]), reason: `unknown property ${quote(key)}` });
      return;
    default:
      out.push({ property: formatPath(path), reason: issue.message });
  }
}

/** Every issue of a zod error as check failures, de-duplicated, in the order zod found them. */
export function toCheckFailures(error: z.ZodError | readonly z.core.$ZodIssue[]): CheckFailure[] {
  const issues = error instanceof z.ZodError ? error.issues : error;
  const out: CheckFailure[] = [];
  for (const issue of issues) collect(issue, [], out);
  const seen = new Set<string>();
  return out.filter((f) => {
    const key = `${f.property}\u0000${f.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Messages for zod's built-in issues that read on their own in `pulumi preview`. */
export const checkErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === "invalid_type") {
    if (issue.input === undefined) return "a value is required";
    return `expected ${issue.expected === "array" ? "an array" : issue.expected === "object" ? "an object" : `a ${issue.expected}`}, got ${quote(issue.input)}`;
  }
  return undefined;
};

export interface Validated<T> {
  /** The inputs with defaults applied and the unknown sentinel kept; undefined when there are failures. */
  readonly inputs: T | undefined;
  readonly failures: CheckFailure[];
}

/** The key the dynamic-provider host adds to every input object and re-adds after `check`. */
export const PROVIDER_KEY = "__provider";

/** Validates `news` against `schema`, returning every failure at once. */
export function validate<S extends z.ZodType>(schema: S, news: unknown): Validated<z.output<S>> {
  let input = news;
  if (typeof news === "object" && news !== null && !Array.isArray(news) && PROVIDER_KEY in news) {
    const rest: Record<string, unknown> = { ...news };
    delete rest[PROVIDER_KEY];
    input = rest;
  }
  const result = schema.safeParse(input, { error: checkErrorMap });
  if (result.success) return { inputs: result.data, failures: [] };
  return { inputs: undefined, failures: toCheckFailures(result.error) };
}
