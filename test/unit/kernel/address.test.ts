import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  addressAdd,
  addressDelete,
  addressList,
  normalizeCidr,
  parseAddresses,
} from "../../../provider/kernel/address";
import * as rec from "../../helpers/kernelFixtures";
import { scriptedIp } from "../../helpers/kernelRunner";

describe("normalizeCidr", () => {
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
    it(`${input} -> ${want}`, () => assert.equal(normalizeCidr(input), want));

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
    it(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => normalizeCidr(bad)));
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
          const n = normalizeCidr(`${full}/${p}`);
          assert.equal(normalizeCidr(n), n);
          // WHATWG URL serialises IPv6 per RFC 5952 too, but never in dotted form.
          const host = new URL(`http://[${full}]/`).hostname.slice(1, -1);
          if (!n.includes(".")) assert.equal(n, `${host}/${p}`);
        },
      ),
    );
  });
});

describe("addressList (recorded ip -j address show)", () => {
  it("keeps scope-global addresses, normalised; drops link-local", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: rec.addrVeth }]);
    assert.deepEqual(await addressList("n", "dev", ip), ["192.0.2.5/24", "2001:db8::5/64"]);
    assert.deepEqual(scripted.argvs, [["ip", "-j", "-n", "n", "address", "show", "dev", "dev"]]);
  });

  it("no carrier: still lists them; loopback: none", () => {
    assert.deepEqual(parseAddresses(JSON.parse(rec.addrBridge)), ["10.0.0.1/24", "2001:db8:0:1::1/64"]);
    assert.deepEqual(parseAddresses(JSON.parse(rec.addrLoopback)), []);
  });

  it("drops dynamic (SLAAC/DHCP) addresses", () => {
    const json = JSON.parse(rec.addrVeth) as { addr_info: Record<string, unknown>[] }[];
    json[0]?.addr_info.push({
      family: "inet6",
      local: "2001:db8::f47f:6bff:fe75:b57f",
      prefixlen: 64,
      scope: "global",
      dynamic: true,
    });
    assert.deepEqual(parseAddresses(json), ["192.0.2.5/24", "2001:db8::5/64"]);
  });
});

describe("address batch lines", () => {
  it("add: normalised, IPv6 with nodad; device after dev", () => {
    assert.deepEqual(addressAdd("10.0.0.1/24", "up"), ["address", "add", "10.0.0.1/24", "dev", "up"]);
    assert.deepEqual(addressAdd("2001:DB8::0:1/64", "dev"), [
      "address",
      "add",
      "2001:db8::1/64",
      "dev",
      "dev",
      "nodad",
    ]);
  });
  it("delete", () => {
    assert.deepEqual(addressDelete("2001:db8::1/64", "br"), [
      "address",
      "delete",
      "2001:db8::1/64",
      "dev",
      "br",
    ]);
  });
  it("refuses what is not an address before it reaches ip", () => {
    assert.throws(() => addressAdd("10.0.0.1/24 dev lo", "x"));
  });
});
