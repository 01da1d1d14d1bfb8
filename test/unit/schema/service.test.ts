import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validate } from "../../../provider/schema/checkFailures";
import { serviceSchema } from "../../../provider/schema/service";
import {
  directoryIdentityFrom,
  markInEnviron,
  parseProcStat,
  processFactsFrom,
  startArgv,
} from "../../../provider/kernel/service";
import { proveProcess } from "../../../provider/proof";
import { type Case, runCases } from "../../helpers/schema";

const managedBy = "proj/dev/Service/web";
const web = { namespace: "blue", name: "web", command: ["python3", "-m", "http.server"], managedBy };

const cases: Case[] = [
  { title: "a bare program on PATH", input: web },
  { title: "an absolute program", input: { ...web, command: ["/usr/sbin/dnsmasq", "--keep-in-foreground"] } },
  {
    title: "everything set",
    input: {
      ...web,
      environment: { LANG: "C.UTF-8" },
      workingDirectory: "/srv/www",
      user: "nobody",
      group: "nogroup",
      directories: [{ path: "/run/web", mode: 0o750, owner: "nobody:nogroup" }],
      files: [{ path: "/etc/web/web.conf", content: "port=80\n", mode: 0o600, owner: "nobody:nogroup" }],
      readiness: { tcpPort: 80, timeoutSeconds: 5 },
      stop: { signal: "SIGINT", timeoutSeconds: 3 },
    },
  },
  {
    title: "readiness by a command",
    input: { ...web, readiness: { command: ["curl", "-sf", "http://x/"] } },
  },
  {
    title: "an empty command",
    input: { ...web, command: [] },
    property: "command",
    reason: /at least the program/,
  },
  {
    title: "a relative program",
    input: { ...web, command: ["bin/web"] },
    property: "command[0]",
    reason: /absolute path or a bare name/,
  },
  {
    title: "a program with =",
    input: { ...web, command: ["A=B"] },
    property: "command[0]",
    reason: /env\(1\)/,
  },
  {
    title: "a NUL in an argument",
    input: { ...web, command: ["echo", "a\0b"] },
    property: "command[1]",
    reason: /NUL/,
  },
  {
    title: "a service name with /",
    input: { ...web, name: "a/b" },
    property: "name",
    reason: /service names/,
  },
  {
    title: "the mark variable in the environment",
    input: { ...web, environment: { PULUMI_NETNS_MARK: "x" } },
    property: "environment.PULUMI_NETNS_MARK",
    reason: /set by pulumi-netns/,
  },
  {
    title: "a bad variable name",
    input: { ...web, environment: { "1X": "y" } },
    property: 'environment["1X"]',
    reason: /environment variable names/,
  },
  {
    title: "a relative working directory",
    input: { ...web, workingDirectory: "srv" },
    property: "workingDirectory",
    reason: /absolute/,
  },
  {
    title: "a file path not in normal form",
    input: { ...web, files: [{ path: "/etc/../etc/x", content: "" }] },
    property: "files[0].path",
    reason: /normal form/,
  },
  {
    title: "a file under /proc",
    input: { ...web, files: [{ path: "/proc/sys/x", content: "" }] },
    property: "files[0].path",
    reason: /files cannot be made under \/proc/,
  },
  {
    title: "a file listed twice",
    input: {
      ...web,
      files: [
        { path: "/etc/x", content: "a" },
        { path: "/etc/x", content: "b" },
      ],
    },
    property: "files[1].path",
    reason: /listed once/,
  },
  {
    title: "a directory one level deep (it is removed with everything in it)",
    input: { ...web, directories: [{ path: "/etc" }] },
    property: "directories[0].path",
    reason: /at least two levels deep/,
  },
  {
    title: "the root as a directory",
    input: { ...web, directories: [{ path: "/" }] },
    property: "directories[0].path",
    reason: /at least two levels deep/,
  },
  {
    title: "a directory under pulumi-netns's records",
    input: { ...web, directories: [{ path: "/run/pulumi-netns/x" }] },
    property: "directories[0].path",
    reason: /directories cannot be made under \/run\/pulumi-netns/,
  },
  {
    title: "a directory with a trailing slash",
    input: { ...web, directories: [{ path: "/run/web/" }] },
    property: "directories[0].path",
    reason: /normal form/,
  },
  {
    title: "a path both a directory and a file",
    input: { ...web, directories: [{ path: "/run/web" }], files: [{ path: "/run/web", content: "" }] },
    property: "files[0].path",
    reason: /listed once; "\/run\/web" is also directories\[0\]/,
  },
  {
    title: "a directory's owner with two colons",
    input: { ...web, directories: [{ path: "/run/web", owner: "a:b:c" }] },
    property: "directories[0].owner",
    reason: /USER:GROUP/,
  },
  {
    title: "a mode past 0o7777",
    input: { ...web, files: [{ path: "/etc/x", content: "", mode: 0o10000 }] },
    property: "files[0].mode",
    reason: /0o7777/,
  },
  {
    title: "an owner with two colons",
    input: { ...web, files: [{ path: "/etc/x", content: "", owner: "a:b:c" }] },
    property: "files[0].owner",
    reason: /USER:GROUP/,
  },
  {
    title: "a user name with capitals",
    input: { ...web, user: "Root" },
    property: "user",
    reason: /login names/,
  },
  {
    title: "a group without a user",
    input: { ...web, group: "www" },
    property: "group",
    reason: /needs user/,
  },
  {
    title: "readiness with both",
    input: { ...web, readiness: { tcpPort: 80, command: ["true"] } },
    property: "readiness",
    reason: /exactly one/,
  },
  {
    title: "readiness with neither",
    input: { ...web, readiness: {} },
    property: "readiness",
    reason: /exactly one/,
  },
  {
    title: "port 0",
    input: { ...web, readiness: { tcpPort: 0 } },
    property: "readiness.tcpPort",
    reason: /1-65535/,
  },
  {
    title: "SIGKILL as the stop signal",
    input: { ...web, stop: { signal: "SIGKILL" } },
    property: "stop.signal",
  },
  {
    title: "a zero stop timeout",
    input: { ...web, stop: { timeoutSeconds: 0 } },
    property: "stop.timeoutSeconds",
    reason: /more than 0/,
  },
];

describe("Service schema", () => {
  runCases(serviceSchema, cases);

  test("defaults: root in /, SIGTERM then 10 s, no directories or files", () => {
    const { inputs } = validate(serviceSchema, web);
    assert.deepEqual(
      { ...inputs, managedBy: undefined },
      {
        ...web,
        managedBy: undefined,
        environment: {},
        workingDirectory: "/",
        directories: [],
        files: [],
        stop: { signal: "SIGTERM", timeoutSeconds: 10 },
        adopt: false,
      },
    );
  });
});

describe("a service's process, as /proc shows it", () => {
  // A name with spaces and parentheses: only the last ")" ends it.
  const stat = "4242 (we)b (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 12345 67 ...";

  test("state and start time come from after the last parenthesis", () => {
    assert.deepEqual(parseProcStat(stat), { state: "S", startTime: "987654" });
  });

  test("a zombie is dead; the mark and the namespace are read", () => {
    const environ = "PATH=/bin\0PULUMI_NETNS_MARK=i/p/s/Service/web\0";
    assert.deepEqual(processFactsFrom(stat, "net:[4026532000]", environ), {
      state: "running",
      startTime: "987654",
      netnsInode: 4026532000,
      mark: "i/p/s/Service/web",
    });
    assert.equal(processFactsFrom(stat.replace(") S ", ") Z "), undefined, "").state, "dead");
    assert.deepEqual(processFactsFrom(undefined, undefined, ""), { state: "absent" });
    assert.equal(markInEnviron("A=1\0B=2\0"), undefined);
  });

  test("a directory's identity as stat prints it is the one lstat gives (birth time in ns)", () => {
    assert.equal(
      directoryIdentityFrom("65024:9978366:1796326201.409636601\n"),
      "65024:9978366:1796326201409636601",
    );
    assert.equal(directoryIdentityFrom("65024:12:1796326201.000000001"), "65024:12:1796326201000000001");
    // A filesystem without birth times: lstat says 0.
    assert.equal(directoryIdentityFrom("7:12:0"), "7:12:0");
    assert.equal(directoryIdentityFrom("7:12:-"), "7:12:0");
    assert.equal(directoryIdentityFrom(""), undefined);
  });

  test("ours only with pid's start time, namespace and mark all matching", () => {
    const started = { startTime: "987654", netnsInode: 7 };
    const facts = { state: "running" as const, startTime: "987654", netnsInode: 7, mark: "m" };
    assert.deepEqual(proveProcess(facts, started, "m"), { verdict: "ours" });
    assert.deepEqual(proveProcess({ ...facts, startTime: "1" }, started, "m"), {
      verdict: "foreign",
      carried: "m",
    });
    assert.deepEqual(proveProcess({ ...facts, netnsInode: 8 }, started, "m"), {
      verdict: "foreign",
      carried: "m",
    });
    assert.deepEqual(proveProcess({ ...facts, mark: undefined }, started, "m"), {
      verdict: "foreign",
      carried: undefined,
    });
    assert.deepEqual(proveProcess({ ...facts, state: "dead" }, started, "m"), { verdict: "absent" });
  });

  test("the start argv execs in place at every step, the mark last in the environment", () => {
    const spec = {
      netns: "blue",
      command: ["python3", "-m", "http.server"],
      environment: { LANG: "C" },
      workingDirectory: "/",
      mark: "i/p/s/Service/web",
      log: "/var/log/pulumi-netns/web.log",
    };
    assert.deepEqual(startArgv(spec, undefined), [
      "ip",
      "netns",
      "exec",
      "blue",
      "env",
      "-i",
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "LANG=C",
      "PULUMI_NETNS_MARK=i/p/s/Service/web",
      "python3",
      "-m",
      "http.server",
    ]);
    assert.deepEqual(startArgv({ ...spec, user: "nobody" }, "65534").slice(9, 14), [
      "setpriv",
      "--reuid=nobody",
      "--regid=65534",
      "--init-groups",
      "--",
    ]);
  });
});
