// The command line: parsing, --help, exit statuses and the reports, with recorded states and a
// recorded host (no root, no engine; gc only with --dry-run, which touches nothing).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { main, verbs } from "../../../cli/index";
import type { Sources } from "../../../cli/ls";
import { failureMessage, type ProjectStates } from "../../../cli/stacks";
import { stackView } from "../../../cli/stackView";
import { DEV, exported, inventory, mark, netnsRecord, NOW, ns, PROD } from "./fixtures";

const devState = exported("dev", DEV, [
  { kind: "Namespace", name: "a", outputs: { name: "lab-a", sysctls: {}, inode: 1 } },
]);
const prodState = exported("prod", PROD, []);
const host = inventory({
  namespaces: [
    ns("lab-a", mark(DEV, "dev", "Namespace", "a")),
    ns("lab-b", mark(DEV, "dev", "Namespace", "b")),
  ],
  records: [
    netnsRecord("lab-a", mark(DEV, "dev", "Namespace", "a")),
    netnsRecord("lab-b", mark(DEV, "dev", "Namespace", "b")),
  ],
});

function sources(states: Partial<ProjectStates> = {}): Sources & { reads: (string | undefined)[] } {
  const reads: (string | undefined)[] = [];
  return {
    reads,
    now: NOW,
    async readStates(_cwd, only) {
      reads.push(only);
      const all = [
        { name: "dev", view: stackView("dev", "lab", devState), error: undefined },
        { name: "prod", view: stackView("prod", "lab", prodState), error: undefined },
      ];
      return {
        project: "lab",
        dir: "/src/lab",
        error: undefined,
        stacks: only === undefined ? all : all.filter((s) => s.name === only),
        ...states,
      };
    },
    async takeInventory() {
      return host;
    },
  };
}

const run = (argv: string[], s: Sources = sources()) => main(argv, "/src/lab", s);

describe("pulumi-netns command line", () => {
  it("--help and no arguments", async () => {
    const help = await run(["--help"]);
    assert.equal(help.exitCode, 0);
    assert.match(help.stdout, /Usage: pulumi-netns <command>/);
    const none = await run([]);
    assert.equal(none.exitCode, 2);
    assert.match(none.stderr, /a command is missing/);
    for (const command of ["ls", "gc"]) {
      const r = await run([command, "--help"]);
      assert.equal(r.exitCode, 0);
      assert.match(r.stdout, new RegExp(`Usage: pulumi-netns ${command}`));
      assert.match(r.stdout, /Exit status: 0/);
    }
    assert.match((await run(["gc", "-h"])).stdout, /never removed/i);
  });

  it("the verbs are one table: the top-level help lists each, and each dispatches to its own help", async () => {
    const top = (await run(["--help"])).stdout;
    assert.equal(
      top.slice(top.indexOf("Commands:\n"), top.indexOf("\n\nRun it")),
      `Commands:
  ls      list every namespace, link, route and record carrying a pulumi-netns mark, grouped by
          project, stack and stack instance, flagging the ones the stack's state does not know
  gc      remove the orphans of one stack (--stack NAME), and nothing else
  graph   draw the topology (namespaces, bridges, cables) of a stack's state, drift marked, or
          of the kernel (--live), as Mermaid, DOT, SVG or HTML`,
    );
    assert.deepEqual(
      verbs.map((v) => v.name),
      ["ls", "gc", "graph"],
    );
    for (const verb of verbs) {
      assert.deepEqual(await run([verb.name, "--help"]), { exitCode: 0, stdout: verb.help, stderr: "" });
      const wrong = await run([verb.name, "--no-such-option"]);
      assert.equal(wrong.exitCode, 2, verb.name);
      assert.ok(wrong.stderr.endsWith(`\n\n${verb.help}`), wrong.stderr);
    }
  });

  it("usage errors exit with 2 and show the command's usage", async () => {
    for (const argv of [
      ["rm"],
      ["ls", "--bogus"],
      ["ls", "extra"],
      ["ls", "--stack"],
      ["ls", "--dry-run"],
      ["gc"],
      ["gc", "--stack", ""],
      ["gc", "--stack", "dev", "--instance", "not an id!"],
    ]) {
      const r = await run(argv);
      assert.equal(r.exitCode, 2, argv.join(" "));
      assert.match(r.stderr, /Usage: pulumi-netns/, argv.join(" "));
      assert.equal(r.stdout, "");
    }
  });

  it("ls groups by project, stack and instance and flags orphans", async () => {
    const r = await run(["ls"]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`lab/dev, stack instance ${DEV} \\(stack dev\\)`));
    assert.match(r.stdout, /in state\s+namespace lab-a/);
    assert.match(r.stdout, /ORPHAN\s+namespace lab-b/);
    assert.match(r.stdout, /npx pulumi-netns gc --stack dev/);
  });

  it("ls --stack reads only that stack; --json is one JSON report", async () => {
    const s = sources();
    const r = await run(["ls", "--stack", "dev", "--json"], s);
    assert.deepEqual(s.reads, ["dev"]);
    const report = JSON.parse(r.stdout) as {
      project: string;
      groups: { instance: string; objects: { status: string; description: string }[] }[];
    };
    assert.equal(report.project, "lab");
    assert.deepEqual(
      report.groups.flatMap((g) => g.objects.map((o) => `${g.instance} ${o.status} ${o.description}`)),
      [`${DEV} in state namespace lab-a`, `${DEV} orphan namespace lab-b`],
    );
  });

  it("ls exits with 1 when a state cannot be read, and still lists", async () => {
    const r = await run(
      ["ls"],
      sources({ stacks: [{ name: "dev", view: undefined, error: "passphrase must be set" }] }),
    );
    assert.equal(r.exitCode, 1);
    assert.match(r.stdout, /dev\s+state unreadable: passphrase must be set/);
    assert.match(r.stdout, /state unknown\s+namespace lab-b/);
  });

  it("gc --dry-run lists exactly the stack's orphans and removes nothing", async () => {
    const r = await run(["gc", "--stack", "dev", "--dry-run", "--json"]);
    assert.equal(r.exitCode, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      found: number;
      objects: { outcome: string; description: string }[];
    };
    assert.equal(report.found, 1);
    assert.deepEqual(
      report.objects.map((o) => `${o.outcome} ${o.description}`),
      ["would remove namespace lab-b"],
    );
    const text = await run(["gc", "--stack", "prod", "--dry-run"]);
    assert.equal(text.exitCode, 0);
    assert.match(text.stdout, /no orphans of this stack/);
  });

  it("gc fails with 1 when it cannot tell the orphans", async () => {
    const cases: [Partial<ProjectStates>, string[], RegExp][] = [
      [{ project: undefined, stacks: [] }, [], /no Pulumi project here/],
      [
        { project: undefined, stacks: [], error: "pulumi: not found" },
        [],
        /could not read the Pulumi project in \/src\/lab: pulumi: not found/,
      ],
      [{ error: "no backend" }, [], /could not list the stacks of project lab: no backend/],
      [{}, ["--stack", "nope"], /project lab has no stack nope \(its stacks: dev, prod\)/],
      [
        { stacks: [{ name: "dev", view: undefined, error: "boom" }] },
        [],
        /could not read the state of stack dev.*boom/,
      ],
      [
        {
          stacks: [
            {
              name: "dev",
              view: stackView(
                "dev",
                "lab",
                exported("dev", DEV, [], [{ kind: "Namespace", name: "b", inputs: {} }]),
              ),
              error: undefined,
            },
          ],
        },
        [],
        /1 pending operations.*pulumi refresh --clear-pending-creates/,
      ],
      [{}, ["--instance", PROD], new RegExp(`stack instance ${PROD} is the current instance of stack prod`)],
    ];
    for (const [states, extra, message] of cases) {
      const argv = ["gc", ...(extra[0] === "--stack" ? extra : ["--stack", "dev", ...extra]), "--dry-run"];
      const r = await run(argv, sources(states));
      assert.equal(r.exitCode, 1, argv.join(" "));
      assert.match(r.stderr, message);
    }
    const json = await run(["gc", "--stack", "nope", "--json"]);
    assert.equal(json.exitCode, 1);
    assert.match((JSON.parse(json.stdout) as { error: string }).error, /no stack nope/);
  });
});

describe("failureMessage", () => {
  it("keeps what pulumi said, in one line", () => {
    // The shape of an Automation API CommandError's message.
    const e = new Error(
      "code: -2\n stdout: \n stderr: Command failed with exit code 1: pulumi stack ls --json --non-interactive\n" +
        'error: unable to open state directory "file://./.pulumi-state": stat /x: no such file or directory\n\n' +
        " err?: Error: Command failed with exit code 1: pulumi stack ls --json --non-interactive\n",
    );
    assert.equal(
      failureMessage(e),
      'unable to open state directory "file://./.pulumi-state": stat /x: no such file or directory',
    );
    assert.equal(failureMessage(new Error("plain\ntext")), "plain text");
  });
});
