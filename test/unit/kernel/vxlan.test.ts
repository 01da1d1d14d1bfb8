import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseLinks } from "../../../provider/kernel/link";
import { vxlanAddArgs, vxlanSet } from "../../../provider/kernel/vxlan";

describe("vxlanAddArgs", () => {
  it("argv: name after name, the group, every setting explicit, ttl 0 as auto", () => {
    assert.deepEqual(
      vxlanAddArgs("vx0", {
        vni: 42,
        remote: "10.0.0.2",
        local: "10.0.0.1",
        dev: "dev",
        dstPort: 4789,
        ttl: 0,
        learning: false,
        srcPortRange: [1000, 2000],
        linkGroup: 28275,
      }),
      [
        ...["link", "add", "name", "vx0", "group", "28275", "type", "vxlan", "id", "42"],
        ...["remote", "10.0.0.2", "local", "10.0.0.1", "dev", "dev", "ttl", "auto", "nolearning"],
        ...["dstport", "4789", "srcport", "1000", "2000"],
      ],
    );
  });

  it("a group instead of a remote; no peer, local or range when unset", () => {
    assert.deepEqual(
      vxlanAddArgs("v", {
        vni: 1,
        group: "239.1.1.1",
        dev: "u0",
        dstPort: 8472,
        ttl: 5,
        learning: true,
        linkGroup: 1,
      }),
      [
        ...["link", "add", "name", "v", "group", "1", "type", "vxlan", "id", "1"],
        ...["group", "239.1.1.1", "dev", "u0", "ttl", "5", "learning", "dstport", "8472"],
      ],
    );
    assert.deepEqual(
      vxlanAddArgs("v", { vni: 1, dstPort: 4789, ttl: 0, learning: true, linkGroup: 1 }).slice(10),
      ["ttl", "auto", "learning", "dstport", "4789"],
    );
  });
});

describe("vxlanSet", () => {
  it("sends only what is given; clearing remote or local sends the family's any address", () => {
    assert.deepEqual(vxlanSet("vx0", { peer: { remote: "10.0.0.3" }, ttl: 9 }), [
      ...["link", "set", "dev", "vx0", "type", "vxlan", "remote", "10.0.0.3", "ttl", "9"],
    ]);
    assert.deepEqual(vxlanSet("vx0", { peer: {}, local: null, family: 6 }), [
      ...["link", "set", "dev", "vx0", "type", "vxlan", "remote", "::", "local", "::"],
    ]);
    assert.deepEqual(vxlanSet("vx0", { peer: {}, family: 4 }).slice(6), ["remote", "0.0.0.0"]);
    assert.deepEqual(vxlanSet("vx0", { peer: { group: "239.1.1.2" }, dev: "u0" }).slice(6), [
      ...["group", "239.1.1.2", "dev", "u0"],
    ]);
    assert.deepEqual(vxlanSet("vx0", { family: 4 }), []);
  });
});

describe("parseLinks: VXLAN settings", () => {
  it("reads info_data, IPv4 and IPv6 keys, addresses canonical", () => {
    const [v4, v6] = parseLinks([
      {
        ifindex: 4,
        ifname: "vx0",
        mtu: 1450,
        flags: [],
        linkinfo: {
          info_kind: "vxlan",
          info_data: {
            id: 42,
            remote: "10.9.0.2",
            local: "10.9.0.1",
            link: "u0",
            port_range: { low: 1000, high: 2000 },
            port: 4789,
            learning: false,
            ttl: 5,
          },
        },
      },
      {
        ifindex: 5,
        ifname: "vx1",
        mtu: 1430,
        flags: [],
        linkinfo: {
          info_kind: "vxlan",
          info_data: {
            id: 7,
            group6: "FF05::1",
            local6: "fd00::1",
            port_range: { low: 0, high: 0 },
            port: 8472,
            learning: true,
          },
        },
      },
    ]);
    assert.deepEqual(v4?.vxlan, {
      vni: 42,
      remote: "10.9.0.2",
      group: undefined,
      local: "10.9.0.1",
      dev: "u0",
      dstPort: 4789,
      srcPortRange: [1000, 2000],
      learning: false,
      ttl: 5,
    });
    assert.deepEqual(v6?.vxlan, {
      vni: 7,
      remote: undefined,
      group: "ff05::1",
      local: "fd00::1",
      dev: undefined,
      dstPort: 8472,
      srcPortRange: [0, 0],
      learning: true,
      ttl: undefined,
    });
  });
});
