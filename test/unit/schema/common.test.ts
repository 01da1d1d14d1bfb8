import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { z } from "zod";
import {
  cidrProblems,
  formatPath,
  interfaceNameProblems,
  macAddressProblems,
  managedByProblems,
  mtuProblems,
  namespaceNameProblems,
  sysctlKeyProblems,
  sysctlValueProblems,
  toCheckFailures,
  validate,
} from "../../../provider/schema/common";

/** [value, expected rule (regexp) or null for valid]. */
type RuleCase<T> = readonly [T, RegExp | null];

function table<T>(name: string, problems: (v: T) => string[], cases: readonly RuleCase<T>[]): void {
  describe(name, () => {
    for (const [value, rule] of cases) {
      test(`${JSON.stringify(value)} ${rule === null ? "is valid" : "is refused"}`, () => {
        const found = problems(value);
        if (rule === null) assert.deepEqual(found, []);
        else {
          assert.ok(found.length > 0, "expected a problem");
          assert.ok(
            found.some((p) => rule.test(p)),
            `${JSON.stringify(found)} !~ ${rule}`,
          );
        }
      });
    }
  });
}

table("interface names", interfaceNameProblems, [
  ["eth0", null],
  ["a", null],
  ["br", null],
  ["up", null],
  ["veth-a_1.100", null],
  ["fifteen-chars15", null],
  ["ééééééé", null], // 14 bytes
  ["", /1-15 bytes; "" is 0 bytes/u],
  ["averyveryverylongname", /interface names are 1-15 bytes; "averyveryverylongname" is 21 bytes/u],
  ["ééééééééé", /1-15 bytes; "ééééééééé" is 18 bytes/u],
  ["sixteen-chars-16", /is 16 bytes/u],
  [".", /cannot be "\." or "\.\."/u],
  ["..", /cannot be "\." or "\.\."/u],
  ["a/b", /cannot contain "\/" or ":"/u],
  ["eth0:1", /cannot contain "\/" or ":"/u],
  ["a b", /whitespace/u],
  ["a\tb", /whitespace/u],
  ["a\u3000b", /whitespace/u],
  ["a\u0007b", /control characters/u],
  ["a\u007fb", /control characters/u],
  ["a'b", /ip -batch/u],
  ['a"b', /ip -batch/u],
  ["a#b", /ip -batch/u],
  ["a\\b", /ip -batch/u],
  ["à", /byte 0xA0/u],
  ["a\ud800", /well-formed Unicode/u],
]);

table("namespace names", namespaceNameProblems, [
  ["blue", null],
  ["ns-1.2_x", null],
  ["x".repeat(255), null],
  ["é".repeat(127), null],
  ["", /1-255 bytes/u],
  ["x".repeat(256), /1-255 bytes.*256 bytes/u],
  ["é".repeat(128), /256 bytes/u],
  [".", /"\." or "\.\."/u],
  ["..", /"\." or "\.\."/u],
  ["a/b", /cannot contain "\/"/u],
  ["a b", /whitespace/u],
  ["a\u0000b", /control characters/u],
  ["a'b", /ip -batch re-tokenises/u],
  ["a#b", /ip -batch re-tokenises/u],
  ["a\\b", /ip -batch re-tokenises/u],
]);

table("CIDRs", cidrProblems, [
  ["10.0.0.1/24", null],
  ["0.0.0.0/0", null],
  ["255.255.255.255/32", null],
  ["::/0", null],
  ["::1/128", null],
  ["fd00::1/64", null],
  ["FD00:0:0:0:0:0:0:1/64", null],
  ["::ffff:1.2.3.4/96", null],
  ["2001:db8::/32", null],
  ["10.0.0.1", /need a prefix length/u],
  ["fd00::1", /need a prefix length/u],
  ["10.0.0.1/33", /IPv4 address is 0-32/u],
  ["fd00::1/129", /IPv6 address is 0-128/u],
  ["10.0.0.1/024", /no sign or leading zeros/u],
  ["10.0.0.1/+24", /no sign or leading zeros/u],
  ["10.0.0.1/", /IPv4 address is 0-32/u],
  ["010.0.0.1/24", /not an IPv4 address/u],
  ["256.0.0.1/24", /not an IPv4 address/u],
  ["10.0.0/24", /not an IPv4 address/u],
  ["fd00:::1/64", /not an IPv4 address .* or an IPv6 address/u],
  ["fe80::1%eth0/64", /zone index/u],
  [" 10.0.0.1/24", /not an IPv4/u],
]);

table("MAC addresses", macAddressProblems, [
  ["02:00:00:00:00:01", null],
  ["AA:BB:CC:DD:EE:FE", null],
  ["00:11:22:33:44:55", null],
  ["02-00-00-00-00-01", /six colon-separated hex octets/u],
  ["02:00:00:00:00", /six colon-separated hex octets/u],
  ["02:00:00:00:00:0g", /six colon-separated hex octets/u],
  ["01:00:5e:00:00:01", /must be unicast .*multicast/u],
  ["03:00:00:00:00:00", /multicast/u],
  ["ff:ff:ff:ff:ff:ff", /broadcast/u],
  ["00:00:00:00:00:00", /non-zero/u],
]);

table("MTUs", mtuProblems, [
  [68, null],
  [1500, null],
  [65535, null],
  [67, /68 .* to 65535/u],
  [65536, /68 .* to 65535/u],
  [1500.5, /integer/u],
]);

table("managedBy", managedByProblems, [
  ["proj/dev/VethPair/v1", null],
  ["proj/dev/Namespace/a%2Fb", null],
  ["proj/dev/Namespace/a/b", null],
  ["", /1-200 bytes/u],
  [`p/s/k/${"x".repeat(200)}`, /1-200 bytes/u],
  ["proj/dev/v1", /"<project>\/<stack>\/<kind>\/<name>"/u],
  ["proj//Bridge/x", /no empty part/u],
  ["p/s/k/a b", /whitespace/u],
  ["p/s/k/it's", /ip -batch/u],
]);

table("sysctl keys", sysctlKeyProblems, [
  ["net.ipv4.ip_forward", null],
  ["net.ipv6.conf.all.disable_ipv6", null],
  ["net.ipv4.conf.veth-a.rp_filter", null],
  ["kernel.pid_max", /start with "net\."/u],
  ["net.", /non-empty dot-separated segments/u],
  ["net..x", /non-empty dot-separated segments/u],
  ["net.ipv4.conf.eth0/100.forwarding", /cannot contain "\/"/u],
  ["net.ipv4.ip forward", /segments of letters, digits/u],
]);

table("sysctl values", sysctlValueProblems, [
  ["1", null],
  [1, null],
  [-1, null],
  ["", /cannot be empty/u],
  ["32768 60999", null],
  ["4096\t131072\t6291456", null],
  [" 1", /start or end with blanks/u],
  ["1\n", /line break/u],
  ["1\u0007", /control characters/u],
  [1.5, /must be integers/u],
]);

describe("formatPath", () => {
  test("uses Pulumi's property-path syntax", () => {
    assert.equal(formatPath(["a", "addresses", 1]), "a.addresses[1]");
    assert.equal(formatPath(["sysctls", "net.ipv4.ip_forward"]), 'sysctls["net.ipv4.ip_forward"]');
    assert.equal(formatPath(["name"]), "name");
    assert.equal(formatPath([]), "");
  });
});

describe("validate and toCheckFailures", () => {
  const schema = z.strictObject({ n: z.number(), s: z.string() });
  test("report every failure with a readable reason", () => {
    const { inputs, failures } = validate(schema, { n: "1", extra: true });
    assert.equal(inputs, undefined);
    assert.deepEqual(failures, [
      { property: "n", reason: 'expected a number, got "1"' },
      { property: "s", reason: "a value is required" },
      { property: "extra", reason: 'unknown property "extra"' },
    ]);
  });
  test("ignore the dynamic provider's __provider key", () => {
    assert.deepEqual(validate(schema, { n: 1, s: "x", __provider: "serialized" }), {
      inputs: { n: 1, s: "x" },
      failures: [],
    });
  });
  test("toCheckFailures accepts a ZodError", () => {
    const result = schema.safeParse({ n: 1, s: 2 });
    assert.equal(result.success, false);
    assert.deepEqual(
      toCheckFailures(result.error!).map((f) => f.property),
      ["s"],
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const allowedNameChars = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@+=,é日ü"];
const forbiddenNameChars = [
  "%",
  " ",
  "/",
  ":",
  "\t",
  "\n",
  "\u0000",
  "\u007f",
  "'",
  '"',
  "#",
  "\\",
  "à",
  "\u00a0",
  "\u3000",
];
const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const validName = fc
  .array(fc.constantFrom(...allowedNameChars), { minLength: 1, maxLength: 15 })
  .map((chars) => chars.join(""))
  .filter((s) => bytes(s) <= 15 && s !== "." && s !== "..");

describe("interface name properties", () => {
  test("every name of 1-15 bytes of allowed characters passes", () => {
    fc.assert(fc.property(validName, (name) => interfaceNameProblems(name).length === 0));
  });
  test("any name with a forbidden character fails", () => {
    fc.assert(
      fc.property(validName, fc.constantFrom(...forbiddenNameChars), fc.nat(), (name, bad, at) => {
        const i = at % (name.length + 1);
        return interfaceNameProblems(name.slice(0, i) + bad + name.slice(i)).length > 0;
      }),
    );
  });
  test("any name over 15 bytes fails, naming the byte count", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.constantFrom(...allowedNameChars), { minLength: 8, maxLength: 40 })
          .map((c) => c.join("")),
        (name) => {
          fc.pre(bytes(name) > 15);
          return interfaceNameProblems(name).some((p) => p.includes(`is ${bytes(name)} bytes`));
        },
      ),
    );
  });
});

describe("CIDR properties", () => {
  test("IPv4 addresses with a prefix 0-32 pass, 33+ fail", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 200 }), (ip, p) => {
        return (cidrProblems(`${ip}/${p}`).length === 0) === p <= 32;
      }),
    );
  });
});

describe("MAC properties", () => {
  test("valid exactly when unicast and non-zero, in either case", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.boolean(), (octets, upper) => {
        let mac = [...octets].map((b) => b.toString(16).padStart(2, "0")).join(":");
        if (upper) mac = mac.toUpperCase();
        const valid = (octets[0] & 1) === 0 && octets.some((b) => b !== 0);
        return (macAddressProblems(mac).length === 0) === valid;
      }),
    );
  });
});
