import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validate } from "../../../provider/schema/checkFailures";
import { serviceSchema } from "../../../provider/schema/service";
import {
  directoryIdentityFrom,
  isSetprivStep,
  markInEnviron,
  parseProcStat,
  processFactsFrom,
  startArgv,
} from "../../../provider/kernel/service";
import { serviceConfig } from "../../../provider/service";
import { proveProcess, proveServiceProcess } from "../../../provider/proof";
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
    title: "the service variable in the environment",
    input: { ...web, environment: { PULUMI_NETNS_SERVICE: "x" } },
    property: "environment.PULUMI_NETNS_SERVICE",
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
    assert.deepEqual(parseProcStat(stat), { state: "S", session: 4242, startTime: "987654" });
  });

  test("a zombie is dead; the mark and the namespace are read", () => {
    const environ = "PATH=/bin\0PULUMI_NETNS_SERVICE=0123abcd/cafe\0PULUMI_NETNS_MARK=i/p/s/Service/web\0";
    assert.deepEqual(processFactsFrom(stat, "net:[4026532000]", environ), {
      state: "running",
      startTime: "987654",
      netnsInode: 4026532000,
      mark: "i/p/s/Service/web",
      session: 4242,
      serviceFile: "0123abcd",
      serviceConfig: "cafe",
    });
    assert.equal(processFactsFrom(stat.replace(") S ", ") Z "), undefined, "").state, "dead");
    assert.deepEqual(processFactsFrom(undefined, undefined, ""), { state: "absent" });
    assert.equal(markInEnviron("A=1\0B=2\0"), undefined);
  });

  test("a value with a line break never passes for a variable of its own", () => {
    // /proc's NUL-separated block: the value of A holds a forged line.
    assert.equal(markInEnviron("A=x\nPULUMI_NETNS_MARK=theirs\0PULUMI_NETNS_MARK=ours\0"), "ours");
    assert.equal(markInEnviron("A=x\nPULUMI_NETNS_MARK=theirs\0"), undefined);
    // The remote scripts' lines (a newline inside a value arrives as \x01).
    assert.equal(markInEnviron("PULUMI_NETNS_MARK=ours\nPULUMI_NETNS_SERVICE=f/c\n"), "ours");
  });

  test("a process no record names is ours only as the session leader carrying the mark and the record's file, in its namespace", () => {
    const record = { file: "f00d", netnsInode: 7 };
    const facts = {
      state: "running" as const,
      startTime: "99",
      netnsInode: 7,
      mark: "m",
      session: 4242,
      serviceFile: "f00d",
      serviceConfig: "c",
    };
    assert.deepEqual(proveServiceProcess(4242, facts, record, "m"), { verdict: "ours" });
    const foreign = (f: object, pid = 4242, r: object = record) =>
      assert.equal(proveServiceProcess(pid, { ...facts, ...f }, { ...record, ...r }, "m").verdict, "foreign");
    foreign({}, 4243); // a child: it carries the variables, but leads no session
    foreign({ netnsInode: 8 });
    foreign({ mark: "other" });
    foreign({ serviceFile: "beef" }); // another service of the same resource (a rename in flight)
    foreign({}, 4242, { netnsInode: undefined }); // a record of an earlier version: no namespace to match
    assert.equal(proveServiceProcess(4242, { ...facts, state: "dead" }, record, "m").verdict, "absent");
    // A record that names the pid proves it as before, without the new variables.
    const legacy = { state: "running" as const, startTime: "99", netnsInode: 7, mark: "m", session: 1 };
    assert.deepEqual(proveServiceProcess(4242, legacy, { ...record, pid: 4242, startTime: "99" }, "m"), {
      verdict: "ours",
    });
  });

  test("the configuration hash ignores key order and unset fields, and sees every restart field", () => {
    const base = {
      command: ["sleep", "1"],
      environment: { A: "1", B: "2" },
      workingDirectory: "/",
      user: undefined,
      group: undefined,
      directories: [],
      files: [{ path: "/etc/x", content: "x", mode: 0o644 }],
    };
    const reordered = {
      directories: [],
      files: [{ mode: 0o644, content: "x", path: "/etc/x", owner: undefined }],
      environment: { B: "2", A: "1" },
      workingDirectory: "/",
      command: ["sleep", "1"],
    };
    assert.equal(serviceConfig(base, "m"), serviceConfig(reordered, "m"));
    assert.match(serviceConfig(base, "m"), /^[0-9a-f]{16}$/);
    for (const changed of [
      { command: ["sleep", "2"] },
      { environment: { A: "1" } },
      { workingDirectory: "/tmp" },
      { user: "nobody" },
      { directories: [{ path: "/run/x", mode: 0o755 }] },
      { files: [{ path: "/etc/x", content: "x", mode: 0o600 }] },
    ]) {
      assert.notEqual(
        serviceConfig({ ...base, ...changed }, "m"),
        serviceConfig(base, "m"),
        JSON.stringify(changed),
      );
    }
    assert.notEqual(serviceConfig(base, "m2"), serviceConfig(base, "m"), "the mark");
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
      service: "0123abcd/cafe",
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
      "PULUMI_NETNS_SERVICE=0123abcd/cafe",
      "PULUMI_NETNS_MARK=i/p/s/Service/web",
      "python3",
      "-m",
      "http.server",
    ]);
    assert.deepEqual(startArgv({ ...spec, user: "nobody" }, "65534").slice(10, 15), [
      "setpriv",
      "--reuid=nobody",
      "--regid=65534",
      "--init-groups",
      "--",
    ]);
  });
});

test("a start is waited for past setpriv: its argv in front of the command, not the command itself", () => {
  const command = ["bgpd", "-N", "r1"];
  const spec = {
    netns: "r1",
    command,
    environment: {},
    workingDirectory: "/",
    mark: "m",
    service: "f/c",
    log: "/l",
  };
  const wrapped = startArgv({ ...spec, user: "frr" }, "frr");
  const setprivStep = wrapped.slice(wrapped.indexOf("setpriv"));
  assert.equal(isSetprivStep(setprivStep, command), true);
  assert.equal(isSetprivStep(command, command), false, "the program itself");
  assert.equal(isSetprivStep(["setpriv", "--help"], ["--help"]), false, "a command that is setpriv");
  assert.equal(isSetprivStep(undefined, command), false, "gone");
});
