/**
 * A long-running process in a namespace: `ip netns exec NS env -i ... [setpriv ...] ARGV`, started
 * in a session of its own, its output in a log file. The command is an argv array, never a shell
 * line: each element reaches execve(2) as it is.
 *
 * The namespace, the service's name and its machine identify it (changing them replaces it); a
 * change of what the process runs with restarts it in place; readiness and stop settings only
 * change how the next start and stop go.
 */
import { isAbsolute, normalize } from "node:path";
import { z } from "zod";
import { hostField } from "./host";
import { namespaceName } from "./names";
import { adoptField, managedByField, stackInstanceField } from "./ownershipFields";
import { quote, ruledNumber, ruledString } from "./rules";
import { isUnknown, type Known, orUnknown } from "./unknown";
import { diffBy, ownershipRules, record, replace, update } from "./diff";

/** The environment variable whose value, in the process's own environment, names its owner. */
export const SERVICE_MARK_VARIABLE = "PULUMI_NETNS_MARK";
/** The one that names the service and what it runs with (provider/kernel/service.ts). */
export const SERVICE_IDENTITY_VARIABLE = "PULUMI_NETNS_SERVICE";

export function serviceNameProblems(name: string): string[] {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/u.test(name)
    ? []
    : [
        `service names are 1-64 letters, digits, "_", "." and "-", starting with a letter or digit (they name its record and log file); got ${quote(name)}`,
      ];
}

/** An argv element: anything execve(2) passes, which is any string without NUL. */
export function argumentProblems(arg: string): string[] {
  return arg.includes("\0") ? [`command arguments cannot contain NUL (execve ends a string there)`] : [];
}

/**
 * argv[0]: an absolute path, or a name found on the service's PATH. `env` (which starts it) reads
 * an element with "=" as a variable, and one with "/" that is not absolute depends on the working
 * directory of whoever runs it.
 */
export function programProblems(program: string): string[] {
  if (program === "") return [`command[0] is the program to run; it cannot be empty`];
  if (program.includes("=")) {
    return [
      `command[0] cannot contain "=" (env(1), which starts it, would read it as a variable); got ${quote(program)}`,
    ];
  }
  if (program.includes("/") && !isAbsolute(program)) {
    return [
      `command[0] is an absolute path or a bare name found on PATH; got the relative path ${quote(program)}`,
    ];
  }
  return argumentProblems(program);
}

export function environmentKeyProblems(key: string): string[] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/u.test(key)) {
    return [
      `environment variable names are letters, digits and "_", not starting with a digit; got ${quote(key)}`,
    ];
  }
  if (key === SERVICE_MARK_VARIABLE) {
    return [
      `${SERVICE_MARK_VARIABLE} is set by pulumi-netns: it is the mark that proves the process is this resource's`,
    ];
  }
  if (key === SERVICE_IDENTITY_VARIABLE) {
    return [
      `${SERVICE_IDENTITY_VARIABLE} is set by pulumi-netns: it names the service and what it runs with, so a process no record names yet is found`,
    ];
  }
  return [];
}

/** A normalised absolute path: `/a/b`, no `.`, `..`, `//` or trailing `/`; nothing of ours or the kernel's. */
export function absolutePathProblems(path: string): string[] {
  if (!isAbsolute(path)) return [`paths are absolute; got ${quote(path)}`];
  if (/[\0\n]/u.test(path)) return [`paths cannot contain NUL or line breaks; got ${quote(path)}`];
  if (path !== "/" && (normalize(path) !== path || path.endsWith("/"))) {
    return [
      `paths are written in normal form (no ".", "..", "//" or trailing "/"): ${quote(normalize(path).replace(/(.)\/$/u, "$1"))}, not ${quote(path)}`,
    ];
  }
  return [];
}

export function filePathProblems(path: string): string[] {
  const problems = absolutePathProblems(path);
  if (problems.length > 0) return problems;
  if (path === "/") return [`a file's path names a file, not "/"`];
  return reservedPathProblems(path, "files");
}

/** Nothing under the kernel's trees or pulumi-netns's own records and logs. */
function reservedPathProblems(path: string, what: "files" | "directories"): string[] {
  const reserved = ["/proc", "/sys", "/dev", "/run/pulumi-netns", "/var/log/pulumi-netns"].find(
    (dir) => path === dir || path.startsWith(`${dir}/`),
  );
  return reserved === undefined
    ? []
    : [
        `${what} cannot be made under ${reserved} (the kernel's, or pulumi-netns's own records and logs); got ${quote(path)}`,
      ];
}

/**
 * A directory the service owns: removed with everything in it at delete, so never a top-level one
 * (`/etc`, `/var`) and nothing a file's rules refuse.
 */
export function directoryPathProblems(path: string): string[] {
  const problems = absolutePathProblems(path);
  if (problems.length > 0) return problems;
  if (path.split("/").length < 3) {
    return [
      `a service's directory is removed with everything in it, so it is at least two levels deep (/run/NAME); got ${quote(path)}`,
    ];
  }
  return reservedPathProblems(path, "directories");
}

/** A login or group name as useradd takes it, or a numeric id. */
export function accountProblems(name: string): string[] {
  return /^(?:[a-z_][a-z0-9_.-]{0,31}|\d{1,10})$/u.test(name)
    ? []
    : [
        `user and group names are login names (lower-case letters, digits, "_", "." and "-") or numeric ids; got ${quote(name)}`,
      ];
}

/** `USER` or `USER:GROUP`, as chown(1) takes it. */
export function ownerProblems(owner: string): string[] {
  const [user = "", group, ...rest] = owner.split(":");
  if (rest.length > 0) return [`owner is "USER" or "USER:GROUP"; got ${quote(owner)}`];
  return [...accountProblems(user), ...(group === undefined ? [] : accountProblems(group))];
}

export const SIGNALS = ["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2"] as const;

const seconds = (what: string, max: number) =>
  ruledNumber((n) =>
    n > 0 && n <= max ? [] : [`${what} is more than 0 and at most ${max} seconds; got ${quote(n)}`],
  );

const argument = orUnknown(ruledString(argumentProblems));

/** argv: at least the program, each element any string without NUL. */
const argv = z.array(argument).superRefine((list, ctx) => {
  if (!Array.isArray(list)) return;
  if (list.length === 0) {
    ctx.addIssue({
      code: "custom",
      message: "command is an argv array with at least the program to run",
      input: list,
    });
    return;
  }
  const program = list[0];
  if (typeof program !== "string" || isUnknown(program)) return;
  for (const message of programProblems(program))
    ctx.addIssue({ code: "custom", path: [0], message, input: program });
});

/** Permission bits as chmod takes them, with the default a file or directory gets. */
const permissionBits = (defaultMode: number) =>
  orUnknown(
    ruledNumber((m) =>
      Number.isInteger(m) && m >= 0 && m <= 0o7777
        ? []
        : [`mode is an integer from 0 to 0o7777; got ${quote(m)}`],
    ),
  ).default(defaultMode);

const fileSchema = z.strictObject({
  /** Absolute path of the file, written before the process starts. */
  path: orUnknown(ruledString(filePathProblems)),
  /** Its whole text. */
  content: orUnknown(z.string()),
  /** Permission bits (e.g. `0o640`); default 0644. */
  mode: permissionBits(0o644),
  /** `USER` or `USER:GROUP`; unset: root. */
  owner: orUnknown(ruledString(ownerProblems)).optional(),
});

const directorySchema = z.strictObject({
  /** Absolute path; its parent must exist. Made before the process starts, removed at delete. */
  path: orUnknown(ruledString(directoryPathProblems)),
  /** Permission bits (e.g. `0o750`); default 0755. */
  mode: permissionBits(0o755),
  /** `USER` or `USER:GROUP`; unset: root. */
  owner: orUnknown(ruledString(ownerProblems)).optional(),
});

const readinessSchema = z
  .strictObject({
    /** Ready when something in the namespace listens on this TCP port. */
    tcpPort: orUnknown(
      ruledNumber((n) =>
        Number.isInteger(n) && n >= 1 && n <= 65535 ? [] : [`tcpPort is 1-65535; got ${quote(n)}`],
      ),
    ).optional(),
    /** Ready when this argv, run in the namespace, exits 0. */
    command: orUnknown(argv).optional(),
    /** How long to wait, in seconds (default 10). */
    timeoutSeconds: orUnknown(seconds("readiness.timeoutSeconds", 600)).default(10),
  })
  .superRefine((r, ctx) => {
    if ((r.tcpPort === undefined) === (r.command === undefined)) {
      ctx.addIssue({
        code: "custom",
        message: "readiness is either tcpPort or command, exactly one of them",
        input: r,
      });
    }
  });

const stopSchema = z.strictObject({
  /** Sent to the process group first. */
  signal: orUnknown(z.enum(SIGNALS)).default("SIGTERM"),
  /** After this many seconds without exiting, the group gets SIGKILL. */
  timeoutSeconds: orUnknown(seconds("stop.timeoutSeconds", 600)).default(10),
});

export const serviceSchema = z
  .strictObject({
    /** The namespace it runs in. Changing it replaces the service. */
    namespace: orUnknown(namespaceName),
    /** Unique per namespace and machine. Changing it replaces the service. */
    name: orUnknown(ruledString(serviceNameProblems)),
    /** argv: the program (absolute, or on PATH) and its arguments; never a shell line. */
    command: orUnknown(argv),
    /** Its whole environment besides PATH (default `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`). */
    environment: orUnknown(
      z.record(ruledString(environmentKeyProblems), orUnknown(ruledString(argumentProblems))),
    ).default({}),
    /** Where it starts; default `/`. */
    workingDirectory: orUnknown(ruledString(absolutePathProblems)).default("/"),
    /** Run as this user (setpriv); unset: root. */
    user: orUnknown(ruledString(accountProblems)).optional(),
    /** Run with this group; unset: the user's primary group (root's without a user). */
    group: orUnknown(ruledString(accountProblems)).optional(),
    /**
     * Directories made before the files are written and the process starts (a place for its
     * sockets, pid files and state, as systemd's RuntimeDirectory=), removed with everything in
     * them at delete. Only a directory this resource made (or adopted) is ever removed.
     */
    directories: orUnknown(z.array(directorySchema)).default([]),
    /** Configuration written before the process starts and rewritten on change. */
    files: orUnknown(z.array(fileSchema)).default([]),
    /** When it counts as started; unset: as soon as it runs. */
    readiness: orUnknown(readinessSchema).optional(),
    /** How it is stopped. */
    stop: orUnknown(stopSchema).default({ signal: "SIGTERM", timeoutSeconds: 10 }),
    adopt: adoptField,
    managedBy: managedByField,
    stackInstance: stackInstanceField,
    host: hostField,
  })
  .superRefine((s, ctx) => {
    // One path is one entry, among files and directories together.
    const seen = new Map<string, string>();
    for (const field of ["directories", "files"] as const) {
      const list: readonly { path?: unknown }[] = Array.isArray(s[field]) ? s[field] : [];
      list.forEach((entry, index) => {
        const path = entry?.path;
        if (typeof path !== "string" || isUnknown(path)) return;
        const first = seen.get(path);
        if (first === undefined) return void seen.set(path, `${field}[${index}]`);
        ctx.addIssue({
          code: "custom",
          path: [field, index, "path"],
          message: `a path is listed once; ${quote(path)} is also ${first}`,
          input: path,
        });
      });
    }
    if (s.group !== undefined && s.user === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["group"],
        message: "group needs user (setpriv changes both)",
        input: s.group,
      });
    }
  });

export type ServiceInputs = z.input<typeof serviceSchema>;
export type ServiceChecked = z.output<typeof serviceSchema>;
export type ServiceResolved = Known<ServiceChecked>;
export type ServiceFile = ServiceResolved["files"][number];
export type ServiceDirectory = ServiceResolved["directories"][number];

/** What restarts the process when it changes: everything it runs with. */
export const RESTART_FIELDS = [
  "command",
  "environment",
  "workingDirectory",
  "user",
  "group",
  "directories",
  "files",
] as const;

export const diffService = diffBy({
  schema: serviceSchema,
  fields: {
    namespace: replace,
    name: replace,
    command: update,
    environment: record,
    workingDirectory: update,
    user: update,
    group: update,
    directories: update,
    files: update,
    readiness: update,
    stop: update,
    ...ownershipRules,
  },
  identity: ["namespace", "name"],
});
