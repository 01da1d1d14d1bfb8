import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KernelCommandError, NotFoundError } from "../../../provider/kernel/errors";
import { assertBatchSafe, failedLineNumber, int, Ip, parseJsonStream } from "../../../provider/kernel/ip";
import { scriptedIp } from "../../helpers/kernelRunner";

describe("Ip.run / Ip.json", () => {
  it("puts -n NS before the subcommand and returns stdout", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: "out" }]);
    assert.equal(await ip.run(["link", "show"], { netns: "net0" }), "out");
    assert.deepEqual(scripted.calls, [{ argv: ["ip", "-n", "net0", "link", "show"], input: undefined }]);
  });

  it("omits -n for the host namespace", async () => {
    const { ip, scripted } = scriptedIp();
    await ip.run(["link", "show"]);
    assert.deepEqual(scripted.argvs, [["ip", "link", "show"]]);
  });

  it("json adds -j and parses; empty output is []", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: '[{"a":1}]\n' }, { stdout: "" }]);
    assert.deepEqual(await ip.json(["netns", "list"], { netns: "n" }), [{ a: 1 }]);
    assert.deepEqual(await ip.json(["netns", "list"]), []);
    assert.deepEqual(scripted.argvs, [
      ["ip", "-j", "-n", "n", "netns", "list"],
      ["ip", "-j", "netns", "list"],
    ]);
  });

  it("hostile-but-blank-free strings reach ip as ONE argv element each", async () => {
    const { ip, scripted } = scriptedIp();
    for (const s of ["$(id)", ";", "|", "x;rm", "`id`", "&&", ">f", "*"]) {
      await ip.run(["link", "set", "dev", s, "alias", s], { netns: s });
    }
    for (const [i, s] of ["$(id)", ";", "|", "x;rm", "`id`", "&&", ">f", "*"].entries()) {
      assert.deepEqual(scripted.argvs[i], ["ip", "-n", s, "link", "set", "dev", s, "alias", s]);
    }
  });

  it("throws the classified error on a non-zero exit", async () => {
    const { ip } = scriptedIp([{ exitCode: 1, stderr: 'Cannot find device "x"\n' }]);
    await assert.rejects(ip.run(["link", "show", "dev", "x"]), NotFoundError);
  });

  it("refuses namespace names that are not plain file names, before running anything", async () => {
    const { ip, scripted } = scriptedIp();
    for (const bad of ["", ".", "..", "a/b"]) {
      await assert.rejects(ip.run(["link"], { netns: bad }), /invalid network namespace name/);
    }
    assert.equal(scripted.calls.length, 0);
  });
});

describe("Ip.batch", () => {
  it("runs ip [-n NS] -batch - with one line per command on stdin", async () => {
    const { ip, scripted } = scriptedIp();
    await ip.batch("net0", [
      ["link", "set", "dev", "up", "up"],
      [],
      ["link", "set", "dev", "type", "master", "br"],
    ]);
    assert.deepEqual(scripted.calls, [
      {
        argv: ["ip", "-n", "net0", "-batch", "-"],
        input: "link set dev up up\nlink set dev type master br\n",
      },
    ]);
  });

  it("runs nothing for no lines", async () => {
    const { ip, scripted } = scriptedIp();
    await ip.batch(undefined, []);
    await ip.batch(undefined, [[]]);
    assert.equal(scripted.calls.length, 0);
  });

  for (const hostile of [
    "a b",
    "x;rm -rf /",
    '"q"',
    "'q'",
    "#c",
    "a\nb",
    "a\tb",
    "a\\b",
    "",
    "\u0007",
    "a\rb",
  ]) {
    it(`refuses ${JSON.stringify(hostile)} before anything runs`, async () => {
      const { ip, scripted } = scriptedIp();
      await assert.rejects(
        ip.batch("n", [
          ["link", "set", "dev", "ok", "up"],
          ["link", "set", "dev", "ok", "alias", hostile],
        ]),
        (e: unknown) => {
          assert.ok(e instanceof Error && !(e instanceof KernelCommandError));
          assert.ok(e.message.includes(JSON.stringify(hostile)), e.message);
          return true;
        },
      );
      assert.equal(scripted.calls.length, 0);
    });
  }

  it("accepts blank-free shell metacharacters (ip does not interpret them)", () => {
    for (const s of ["$(id)", ";", "|", "pulumi-netns:proj/stack/VethPair/a-b_c.d"]) assertBatchSafe(s);
  });

  it("names the failing line from ip's 'Command failed -:N'", async () => {
    const { ip } = scriptedIp([{ exitCode: 1, stderr: 'Cannot find device "nope"\nCommand failed -:2\n' }]);
    await assert.rejects(
      ip.batch("n", [
        ["link", "set", "dev", "a", "mtu", "1400"],
        ["link", "set", "dev", "nope", "up"],
        ["link", "set", "dev", "a", "up"],
      ]),
      (e: unknown) => {
        assert.ok(e instanceof NotFoundError);
        assert.deepEqual(e.batchLine, { number: 2, args: ["link", "set", "dev", "nope", "up"] });
        assert.match(e.message, /failed at batch line 2 \(link set dev nope up\)/);
        return true;
      },
    );
  });
});

describe("failedLineNumber", () => {
  const lines = [
    ["link", "set", "dev", "x", "mtu", "1400"],
    ["link", "set", "dev", "x", "master", "nobridge"],
  ];
  it("reads ip's 'Command failed -:N'", () => {
    assert.equal(failedLineNumber("RTNETLINK answers: File exists\nCommand failed -:1\n", lines), 1);
  });
  it("ip exits without that report on a bad argument: the one line holding it", () => {
    assert.equal(failedLineNumber('Error: argument "nobridge" is wrong: Device does not exist\n', lines), 2);
    assert.equal(failedLineNumber('Error: argument "x" is wrong: Device does not exist\n', lines), undefined);
    assert.equal(failedLineNumber("something else\n", lines), undefined);
  });
});

describe("Ip.execIn", () => {
  it("wraps in ip netns exec for a namespace, runs directly for the host", async () => {
    const { ip, scripted } = scriptedIp();
    await ip.execIn("n", ["sysctl", "-n", "net.ipv4.ip_forward"]);
    await ip.execIn(undefined, ["sysctl", "-n", "net.ipv4.ip_forward"]);
    assert.deepEqual(scripted.argvs, [
      ["ip", "netns", "exec", "n", "sysctl", "-n", "net.ipv4.ip_forward"],
      ["sysctl", "-n", "net.ipv4.ip_forward"],
    ]);
  });
});

describe("int", () => {
  it("formats non-negative integers and refuses the rest", () => {
    assert.equal(int(1400), "1400");
    for (const bad of [-1, 1.5, NaN, Infinity]) assert.throws(() => int(bad));
  });
});

it("Ip defaults to the execa runner", () => {
  assert.equal(typeof new Ip().runner, "function");
});

describe("parseJsonStream (ip -j -batch output)", () => {
  it("splits one array per printing line, in order", () => {
    assert.deepEqual(parseJsonStream('[{"a":1}]\n[]\n[{"b":[2,3]}]\n'), [[{ a: 1 }], [], [{ b: [2, 3] }]]);
  });

  it("reads values printed back to back and objects too", () => {
    assert.deepEqual(parseJsonStream('[1][2]{"c":3}'), [[1], [2], { c: 3 }]);
  });

  it("ignores brackets, braces and escaped quotes inside strings", () => {
    const alias = 'x]"[}{\\';
    const text = JSON.stringify([{ ifalias: alias }]) + "\n" + JSON.stringify([{ ifname: "]" }]);
    assert.deepEqual(parseJsonStream(text), [[{ ifalias: alias }], [{ ifname: "]" }]]);
  });

  it("no output is no values", () => {
    assert.deepEqual(parseJsonStream(""), []);
    assert.deepEqual(parseJsonStream(" \n"), []);
  });

  it("throws on text that is not a sequence of JSON arrays or objects", () => {
    assert.throws(() => parseJsonStream("[1]\nCommand failed\n"), /expected a JSON array or object/);
    assert.throws(() => parseJsonStream('[{"a":1}'), /ends inside a JSON value/);
    assert.throws(() => parseJsonStream('["a'), /ends inside a JSON value/);
  });
});

describe("Ip.batchJson", () => {
  it("runs ip -j OPTIONS [-n NS] -batch - and returns each printed value", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: '[{"ifname":"a"}]\n[{"ifname":"b"}]\n' }]);
    const values = await ip.batchJson(
      "net0",
      [
        ["link", "set", "dev", "a", "up"],
        [],
        ["address", "show", "dev", "a"],
        ["address", "show", "dev", "b"],
      ],
      ["-N", "-d"],
    );
    assert.deepEqual(values, [[{ ifname: "a" }], [{ ifname: "b" }]]);
    assert.deepEqual(scripted.calls, [
      {
        argv: ["ip", "-j", "-N", "-d", "-n", "net0", "-batch", "-"],
        input: "link set dev a up\naddress show dev a\naddress show dev b\n",
      },
    ]);
  });

  it("checks every argument before running anything, and runs nothing for no lines", async () => {
    const { ip, scripted } = scriptedIp();
    await assert.rejects(ip.batchJson(undefined, [["link", "set", "dev", "a b", "up"]]), /refusing to pass/);
    assert.deepEqual(await ip.batchJson(undefined, [[]]), []);
    assert.equal(scripted.calls.length, 0);
  });

  it("names the failing line, as batch does", async () => {
    const { ip } = scriptedIp([
      { exitCode: 1, stdout: "", stderr: "RTNETLINK answers: File exists\nCommand failed -:1\n" },
    ]);
    await assert.rejects(
      ip.batchJson(undefined, [
        ["link", "add", "name", "a", "type", "bridge"],
        ["address", "show", "dev", "a"],
      ]),
      (e: unknown) => e instanceof KernelCommandError && e.batchLine?.number === 1,
    );
  });
});
