import fc from "fast-check";
import { describe, test } from "node:test";
import { cidrProblems, macAddressProblems } from "../../../provider/schema/addresses";
import { ruleTable } from "../../helpers/schema";

ruleTable("CIDRs", cidrProblems, [
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

ruleTable("MAC addresses", macAddressProblems, [
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
