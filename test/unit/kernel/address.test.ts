import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addressAdd, addressDelete, addressList, parseAddresses } from "../../../provider/kernel/address";
import * as rec from "../../helpers/kernelFixtures";
import { scriptedIp } from "../../helpers/kernelRunner";

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
