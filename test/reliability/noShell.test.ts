// No shell, ever: hostile strings reach `ip` as single argv elements (or are refused before any
// process starts), and no provider or CLI code can start a shell or a process but through the
// runner. Plus a fuzz test tying the validators to the kernel layer: a string `check` accepts must
// reach `ip` unchanged, as one argument.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import fc from "fast-check";
import {
  bridgeAdd,
  linkDelete,
  linkSetAlias,
  linkSetMaster,
  linkShow,
  netnsAdd,
  netnsDelete,
  vethAdd,
} from "../../provider/kernel";
import { Ip } from "../../provider/kernel/ip";
import { bridgeSchema } from "../../provider/schema/bridge";
import { validate } from "../../provider/schema/checkFailures";
import { ScriptedRunner } from "../helpers/kernelRunner";
import { uniquePrefix } from "../helpers/names";
import { assertNoLeaks, figure } from "../helpers/reliability";
import { isRoot } from "../helpers/root";

const p = uniquePrefix();
const HOSTILE = [
  "$(id)",
  ";reboot",
  "`id`",
  "a|b",
  "&&",
  "*",
  "~",
  "a;b",
  "$HOME",
  "<x",
  ">x",
  "!!",
  "{a,b}",
  "?",
];

/** Every way a name reaches `ip`: direct argv calls and `ip -batch` lines. */
async function driveKernel(ip: Ip, name: string): Promise<string[]> {
  const refused: string[] = [];
  const attempt = async (what: string, f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (e) {
      if (/refusing to pass|invalid network namespace name/.test(String(e))) refused.push(what);
      else throw e;
    }
  };
  await attempt("netnsAdd", () => netnsAdd(name, ip));
  await attempt("netnsDelete", () => netnsDelete(name, ip));
  await attempt("bridgeAdd", () => bridgeAdd("ns", name, { group: 1 }, ip));
  await attempt("vethAdd", () =>
    vethAdd({ a: { name, netns: "ns" }, b: { name: "peer", netns: name }, group: 1 }, ip),
  );
  await attempt("linkShow", () => linkShow("ns", name, ip));
  await attempt("linkDelete", () => linkDelete(name, name, ip));
  await attempt("batch", () =>
    ip.batch("ns", [linkSetAlias(name, "pulumi-netns:x"), linkSetMaster(name, name)]),
  );
  return refused;
}

/** True when every call `ip` received carries `name` as one whole argument (argv element or batch token). */
function receivedWhole(scripted: ScriptedRunner, name: string): boolean {
  return scripted.calls.every(
    (call) =>
      call.argv[0] === "ip" &&
      (call.input === undefined
        ? call.argv.includes(name)
        : call.input
            .split("\n")
            .filter((l) => l !== "")
            .every((l) => l.split(" ").includes(name))),
  );
}

describe("no shell", () => {
  after(() => {
    if (isRoot()) assertNoLeaks(p);
  });

  test("hostile strings reach ip as single argv elements or are refused before any spawn", async () => {
    let whole = 0;
    let refusedBeforeSpawn = 0;
    for (const name of HOSTILE) {
      const scripted = new ScriptedRunner([], (argv) => (argv.includes("show") ? { stdout: "[]" } : {}));
      const refused = await driveKernel(new Ip(scripted.runner), name);
      assert.ok(
        receivedWhole(scripted, name),
        `${JSON.stringify(name)} was split or rewritten: ${JSON.stringify(scripted.calls)}`,
      );
      assert.ok(
        scripted.calls.every((c) => c.argv[0] === "ip"),
        "only ip is ever run",
      );
      whole += scripted.calls.filter((c) => c.argv.includes(name) || (c.input ?? "").includes(name)).length;
      refusedBeforeSpawn += refused.length;
      // A refused batch must not have run at all: nothing with the name reached stdin.
      if (refused.includes("batch")) assert.ok(scripted.calls.every((c) => !(c.input ?? "").includes(name)));
    }
    figure(
      `hostile strings: ${HOSTILE.length} strings, ${whole} ip calls carried them whole, ${refusedBeforeSpawn} calls refused before spawn`,
    );
  });

  test("the real runner passes a hostile name to ip untouched (no shell expands it)", async () => {
    // ip itself echoes the name back in its error: proof the bytes arrived unexpanded.
    const ip = new Ip();
    for (const name of ["$(id)", "`id`", "a;b"]) {
      await assert.rejects(ip.run(["link", "show", "dev", `${p}${name}`]), (e: Error) =>
        e.message.includes(`Device "${p}${name}" does not exist`),
      );
    }
  });

  test("no code under provider/ or cli/ can start a shell or a process but through the runner", () => {
    const dist = path.resolve(__dirname, "../..");
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const full = path.join(dir, entry);
        if (statSync(full).isDirectory()) walk(full);
        else if (full.endsWith(".js")) files.push(full);
      }
    };
    for (const root of ["provider", "cli"]) {
      const before = files.length;
      walk(path.join(dist, root));
      assert.ok(files.length - before > 5, `compiled ${root} sources found in ${dist}`);
    }
    const runner = path.join("provider", "kernel", "runner.js");
    const offences: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const rel = path.relative(dist, file);
      if (/shell\s*:\s*true/.test(text)) offences.push(`${rel}: shell: true`);
      // A bare exec(/execSync( call, or one on child_process (regex.exec and Ip.exec are fine).
      if (/(?<![.\w]|async )exec(Sync)?\s*\(|child_process\w*\.exec/.test(text))
        offences.push(`${rel}: exec(`);
      // tsc compiles a call of an imported function to `(0, mod_1.spawn)(`: the `)` is optional.
      if (/\b(spawnSync|spawn|execFileSync|execFile|fork)\)?\s*\(/.test(text) && rel !== runner)
        offences.push(`${rel}: spawns outside the runner`);
      if (/require\("(node:)?child_process"\)/.test(text)) offences.push(`${rel}: imports child_process`);
      if (/require\("execa"\)|from "execa"|import\("execa"\)/.test(text) && rel !== runner)
        offences.push(`${rel}: uses execa outside the runner`);
    }
    assert.deepEqual(offences, []);
    assert.match(readFileSync(path.join(dist, runner), "utf8"), /shell:\s*false/);
  });

  test("fuzz: a name check accepts reaches ip as one argument; anything else is refused by check", async () => {
    const alphabet = [..."ab0-_.$();|&`'\"#\\ \t\n*~<>!{}?/:=@%é", "\u0000", "\u007f", "\u00a0", "à", "日"];
    const hostile = fc
      .array(fc.constantFrom(...alphabet), { minLength: 0, maxLength: 18 })
      .map((c) => c.join(""));
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(hostile, async (name) => {
        const { failures } = validate(bridgeSchema, { name, namespace: "ns", managedBy: "pnt/s/Bridge/b" });
        if (failures.some((f) => f.property === "name")) {
          refused += 1;
          return;
        }
        accepted += 1;
        const scripted = new ScriptedRunner([], (argv) => (argv.includes("show") ? { stdout: "[]" } : {}));
        const ip = new Ip(scripted.runner);
        await bridgeAdd("ns", name, { group: 1 }, ip);
        // What create does next: the mark and the master in one batch. A refusal here would be a
        // name that passes preview and fails halfway through `up`.
        await ip.batch("ns", [linkSetAlias(name, "pulumi-netns:x"), linkSetMaster(name, "br")]);
        await linkDelete("ns", name, ip);
        assert.ok(receivedWhole(scripted, name), JSON.stringify(scripted.calls));
      }),
      { numRuns: 2000 },
    );
    figure(`fuzz: ${accepted} accepted names reached ip whole, ${refused} refused by check`);
  });
});
