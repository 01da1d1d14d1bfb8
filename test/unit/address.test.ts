// The one address canonicaliser `check`, `diff` and the kernel layer's read-back share.
import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import fc from "fast-check";
import { canonicalAddress, canonicalCidr } from "../../provider/address";
import { cidrProblems } from "../../provider/schema/addresses";
import { expandIPv6 } from "../helpers/schema";

describe("canonicalCidr: as `ip` prints it", () => {
  const cases: [string, string][] = [
    ["10.0.0.1/24", "10.0.0.1/24"],
    ["10.0.0.1", "10.0.0.1/32"],
    ["2001:DB8:0:0::1/64", "2001:db8::1/64"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001/64", "2001:db8::1/64"],
    ["2001:db8:0:1:0:0:0:0/64", "2001:db8:0:1::/64"],
    ["2001:db8:0:0:1:0:0:1/64", "2001:db8::1:0:0:1/64"],
    ["2001:db8:0:1:1:1:1:1/64", "2001:db8:0:1:1:1:1:1/64"],
    ["fe80::1", "fe80::1/128"],
    ["::", "::/128"],
    ["::1/128", "::1/128"],
    ["::ffff:10.0.0.1/128", "::ffff:10.0.0.1/128"],
    ["0:0:0:0:0:ffff:a00:1", "::ffff:10.0.0.1/128"],
    ["FD00::A:B/48", "fd00::a:b/48"],
  ];
  for (const [input, want] of cases)
    it(`${input} -> ${want}`, () => assert.equal(canonicalCidr(input), want));

  for (const bad of [
    "",
    "10.0.0.1/33",
    "::1/129",
    "10.0.0/24",
    "fe80::1%eth0/64",
    "10.0.0.1/",
    "10.0.0.1/a",
    "x",
  ]) {
    it(`leaves ${JSON.stringify(bad)} unchanged`, () => assert.equal(canonicalCidr(bad), bad));
  }

  it("agrees with itself and with Node's URL parser on random IPv6 addresses", () => {
    const word = fc.integer({ min: 0, max: 0xffff });
    const zeroish = fc.oneof(fc.constant(0), word);
    fc.assert(
      fc.property(
        fc.array(zeroish, { minLength: 8, maxLength: 8 }),
        fc.integer({ min: 0, max: 128 }),
        (w, p) => {
          const full = w.map((x) => x.toString(16).toUpperCase()).join(":");
          const n = canonicalCidr(`${full}/${p}`);
          assert.equal(canonicalCidr(n), n);
          // WHATWG URL serialises IPv6 per RFC 5952 too, but never in dotted form.
          const host = new URL(`http://[${full}]/`).hostname.slice(1, -1);
          if (!n.includes(".")) assert.equal(n, `${host}/${p}`);
        },
      ),
    );
  });
});

describe("canonicalCidr: the spelling check compares", () => {
  test("lowercases and compresses IPv6, keeps IPv4-mapped addresses dotted", () => {
    assert.equal(canonicalCidr("FD00:0:0:0:0:0:0:1/64"), "fd00::1/64");
    assert.equal(canonicalCidr("2001:0db8:0000:0000:0001:0000:0000:0001/48"), "2001:db8::1:0:0:1/48");
    assert.equal(canonicalCidr("::FFFF:1.2.3.4/96"), "::ffff:1.2.3.4/96");
    assert.equal(canonicalCidr("0:0:0:0:0:0:0:0/0"), "::/0");
    assert.equal(canonicalCidr("10.0.0.1/24"), "10.0.0.1/24");
  });
  test("returns invalid input unchanged", () => {
    assert.equal(canonicalCidr("garbage"), "garbage");
  });
});

describe("canonicalCidr: properties", () => {
  test("IPv6 addresses with a prefix 0-128 pass, and normalising keeps the address", () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), fc.boolean(), (ip, p, upper) => {
        const text = `${upper ? ip.toUpperCase() : ip}/${p}`;
        assert.deepEqual(cidrProblems(text), []);
        const normal = canonicalCidr(text);
        const [address, prefix] = normal.split("/");
        assert.equal(prefix, String(p));
        assert.equal(expandIPv6(address), expandIPv6(ip));
        assert.equal(normal, normal.toLowerCase());
      }),
    );
  });
  test("canonicalCidr is idempotent", () => {
    const anyCidr = fc.oneof(
      fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([ip, p]) => `${ip}/${p}`),
      fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([ip, p]) => `${ip}/${p}`),
      fc.string(),
    );
    fc.assert(fc.property(anyCidr, (c) => canonicalCidr(canonicalCidr(c)) === canonicalCidr(c)));
  });
  test("an IPv6 address with four or more trailing zero words only is not dotted (glibc, not BIND)", () => {
    // glibc's inet_ntop dots only IPv4-mapped and IPv4-compatible (six leading zero words)
    // addresses; libuv's (BIND's) also dots `::0.0.0.2`, which `ip` never prints.
    assert.equal(canonicalCidr("::2/128"), "::2/128");
    assert.equal(canonicalCidr("::1.2.3.4/96"), "::1.2.3.4/96");
  });
});

describe("canonicalAddress", () => {
  test("spells a gateway the way `ip route` prints it", () => {
    assert.equal(canonicalAddress("FE80:0:0:0:0:0:0:1"), "fe80::1");
    assert.equal(canonicalAddress("10.0.0.1"), "10.0.0.1");
    assert.equal(canonicalAddress("::2"), "::2");
  });
  test("leaves anything else unchanged", () => {
    assert.equal(canonicalAddress("fe80::1%eth0"), "fe80::1%eth0");
    assert.equal(canonicalAddress("010.0.0.1"), "010.0.0.1");
  });
});
