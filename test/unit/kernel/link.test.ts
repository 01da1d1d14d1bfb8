import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NotFoundError } from "../../../provider/kernel/errors";
import {
  MARK_PREFIX,
  LEGACY_OWNED_LINK_GROUP,
  linkGroupFor,
  isOwnedGroup,
} from "../../../provider/kernel/ip";
import {
  linkDelete,
  linkList,
  linkOwnership,
  linkSetAddress,
  linkSetAlias,
  linkSetDown,
  linkSetGroup,
  linkSetMaster,
  linkSetMtu,
  linkSetNoMaster,
  linkSetUp,
  linkShow,
  linkBatchWithReadBack,
  linkAddLine,
  linkSetTypeLine,
  linkSysfsRead,
  readBackFromBatch,
  parseGroup,
  parseLinks,
  parseTuntapOwners,
} from "../../../provider/kernel/link";
import * as rec from "../../helpers/kernelFixtures";
import { scriptedIp } from "../../helpers/kernelRunner";

const one = (json: string) => {
  const [link] = parseLinks(JSON.parse(json));
  assert.ok(link);
  return link;
};

describe("parseLinks (recorded ip -j -d output)", () => {
  it("bridge: kind, flags, group, timers in seconds (as the kernel rounded them)", () => {
    const { info, ...parsed } = one(rec.bridgeBr);
    assert.equal(info.forward_delay, 400, "info_data as ip printed it");
    assert.deepEqual(parsed, {
      ifindex: 3,
      name: "br",
      kind: "bridge",
      mac: "36:3d:46:8d:fc:aa",
      mtu: 1400,
      operstate: "DOWN",
      adminUp: true,
      master: undefined,
      alias: undefined,
      group: 24157,
      ipv6AddrGenMode: "eui64",
      bridge: { stp: true, vlanFiltering: false, forwardDelay: 4, ageingTime: 0.04 },
    });
  });

  it("IPv6 addrgenmode as `ip -d link show` prints it", () => {
    const l = one(
      '[{"ifindex":2,"ifname":"eth0","flags":["BROADCAST"],"mtu":1500,"group":"default",' +
        '"inet6_addr_gen_mode":"none","linkinfo":{"info_kind":"veth"}}]',
    );
    assert.equal(l.ipv6AddrGenMode, "none");
  });

  it("macvlan: its parent (by name here, by ifindex and nsid elsewhere) and its settings as data", () => {
    const here = one(
      '[{"ifindex":4,"link":"p0","ifname":"mv0","flags":["BROADCAST"],"mtu":1500,"group":"77",' +
        '"linkinfo":{"info_kind":"macvlan","info_data":{"mode":"bridge","bcqueuelen":1000}}}]',
    );
    assert.deepEqual(here.lower, { name: "p0", ifindex: undefined, netnsId: undefined });
    assert.deepEqual(here.info, { mode: "bridge", bcqueuelen: 1000 });
    assert.equal(here.veth, undefined);
    const elsewhere = one(
      '[{"ifindex":2,"link_index":3,"link_netnsid":0,"ifname":"mv1","flags":[],"mtu":1500,' +
        '"linkinfo":{"info_kind":"macvtap","info_data":{"mode":"vepa"}}}]',
    );
    assert.deepEqual(elsewhere.lower, { name: undefined, ifindex: 3, netnsId: 0 });
    assert.equal(one(rec.vethUpInBridge).lower, undefined, "a veth's link is its peer, not a parent");
  });

  it("veth: master, alias, peer ifindex and netnsid", () => {
    const l = one(rec.vethUpInBridge);
    assert.equal(l.name, "up");
    assert.equal(l.kind, "veth");
    assert.equal(l.master, "br");
    assert.equal(l.alias, "pulumi-netns:p/s/veth/x");
    assert.deepEqual(l.veth, { name: undefined, ifindex: 2, netnsId: 0 });
    assert.equal(l.adminUp, true);
  });

  it("tap: flags; owner only when numeric (filled from tuntap show)", () => {
    const l = one(rec.tapNumeric);
    assert.equal(l.kind, "tun");
    assert.deepEqual(l.tun, {
      mode: "tap",
      multiQueue: true,
      vnetHdr: true,
      persist: true,
      owner: undefined,
      group: undefined,
    });
    assert.equal(one(rec.tapWithoutN).group, 24157);
  });

  it("loopback: no kind, group 0", () => {
    const l = one(rec.loopback);
    assert.equal(l.kind, undefined);
    assert.equal(l.group, 0);
    assert.equal(l.bridge, undefined);
  });

  it("tuntap show gives numeric owners", () => {
    const owners = parseTuntapOwners(JSON.parse(rec.tuntapShow));
    assert.deepEqual(owners.get("tap0"), { owner: 1, group: 1 });
    assert.deepEqual(owners.get("help"), { owner: undefined, group: undefined });
  });

  it("groups normalise to numbers", () => {
    assert.equal(parseGroup("default"), 0);
    assert.equal(parseGroup("77"), 77);
    assert.equal(parseGroup(77), 77);
    assert.throws(() => parseGroup("mygroup"), /-N/);
  });

  it("refuses output that is not link JSON", () => {
    assert.throws(() => parseLinks({}), /array/);
    assert.throws(() => parseLinks([{ ifname: "x" }]), /ifindex/);
  });
});

describe("linkShow / linkList", () => {
  it("asks for dev NAME with numeric groups, and fills tun owners with a second call", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: rec.tapNumeric }, { stdout: rec.tuntapShow }]);
    const l = await linkShow("n", "tap0", ip);
    assert.deepEqual(scripted.argvs, [
      ["ip", "-j", "-n", "n", "-N", "-d", "link", "show", "dev", "tap0"],
      ["ip", "-j", "-n", "n", "tuntap", "show"],
    ]);
    assert.equal(l?.tun?.owner, 1);
    assert.equal(l?.tun?.group, 1);
  });

  it("one call for non-tun links; keyword names go after dev", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: rec.vethUpInBridge }]);
    await linkShow(undefined, "up", ip);
    assert.deepEqual(scripted.argvs, [["ip", "-j", "-N", "-d", "link", "show", "dev", "up"]]);
  });

  it("absent device: undefined", async () => {
    const { ip } = scriptedIp([{ exitCode: 1, stderr: 'Device "x" does not exist.\n' }]);
    assert.equal(await linkShow("n", "x", ip), undefined);
  });

  it("absent namespace: NotFoundError(netns), not undefined", async () => {
    const stderr = 'Cannot open network namespace "n": No such file or directory\n';
    const { ip } = scriptedIp([{ exitCode: 255, stderr }]);
    await assert.rejects(
      linkShow("n", "x", ip),
      (e: unknown) => e instanceof NotFoundError && e.missing === "netns",
    );
  });

  it("linkList parses every link", async () => {
    const all = `[${[rec.loopback, rec.bridgeBr, rec.vethUpInBridge].map((j) => j.slice(1, -1)).join(",")}]`;
    const { ip } = scriptedIp([{ stdout: all }]);
    assert.deepEqual(
      (await linkList("n", ip)).map((l) => [l.name, l.kind]),
      [
        ["lo", undefined],
        ["br", "bridge"],
        ["up", "veth"],
      ],
    );
  });
});

describe("linkDelete", () => {
  it("already gone is success", async () => {
    const { ip, scripted } = scriptedIp([{ exitCode: 1, stderr: 'Cannot find device "master"\n' }]);
    await linkDelete("n", "master", ip);
    assert.deepEqual(scripted.argvs, [["ip", "-n", "n", "link", "delete", "dev", "master"]]);
  });

  it("a missing namespace is not success", async () => {
    const stderr = 'Cannot open network namespace "n": No such file or directory\n';
    const { ip } = scriptedIp([{ exitCode: 255, stderr }]);
    await assert.rejects(linkDelete("n", "x", ip), NotFoundError);
  });
});

describe("batch-line builders", () => {
  it("always name the device after dev, so keyword names work", () => {
    assert.deepEqual(linkSetMtu("br", 1400), ["link", "set", "dev", "br", "mtu", "1400"]);
    assert.deepEqual(linkSetAddress("up", "02:AA:bb:00:00:01"), [
      ...["link", "set", "dev", "up", "address"],
      "02:aa:bb:00:00:01",
    ]);
    assert.deepEqual(linkSetUp("dev"), ["link", "set", "dev", "dev", "up"]);
    assert.deepEqual(linkSetDown("type"), ["link", "set", "dev", "type", "down"]);
    assert.deepEqual(linkSetMaster("help", "master"), ["link", "set", "dev", "help", "master", "master"]);
    assert.deepEqual(linkSetNoMaster("up"), ["link", "set", "dev", "up", "nomaster"]);
    assert.deepEqual(linkSetAlias("up", "pulumi-netns:p/s/k/n"), [
      ...["link", "set", "dev", "up", "alias"],
      "pulumi-netns:p/s/k/n",
    ]);
    assert.deepEqual(linkSetGroup("up", 28275), ["link", "set", "dev", "up", "group", "28275"]);
  });

  it("refuse non-integer numbers", () => {
    assert.throws(() => linkSetMtu("a", 1400.5));
    assert.throws(() => linkSetGroup("a", -1));
  });
});

describe("linkOwnership", () => {
  const me = "0123456789abcdef/proj/stack/VethPair/a";
  const other = "0123456789abcdef/proj/stack/VethPair/b";
  it("alias naming us: ours, whatever the group", () => {
    assert.equal(linkOwnership({ alias: MARK_PREFIX + me, group: 0 }, me), "ours");
  });
  it("no alias, the group made from our mark: ours, half made", () => {
    assert.equal(linkOwnership({ alias: undefined, group: linkGroupFor(me) }, me), "ours-half-made");
    assert.equal(linkOwnership({ alias: "", group: linkGroupFor(me) }, me), "ours-half-made");
  });
  it("another resource's half-made link, or an earlier version's group, is foreign", () => {
    assert.equal(linkOwnership({ alias: undefined, group: linkGroupFor(other) }, me), "foreign");
    assert.equal(linkOwnership({ alias: undefined, group: LEGACY_OWNED_LINK_GROUP }, me), "foreign");
  });
  it("another stack instance with the same project, stack and resource name is foreign", () => {
    const twin = "fedcba9876543210/proj/stack/VethPair/a";
    assert.equal(linkOwnership({ alias: MARK_PREFIX + twin, group: linkGroupFor(twin) }, me), "foreign");
  });
  it("anything else: foreign", () => {
    assert.equal(linkOwnership({ alias: MARK_PREFIX + other, group: linkGroupFor(me) }, me), "foreign");
    assert.equal(linkOwnership({ alias: "eth uplink", group: linkGroupFor(me) }, me), "foreign");
    assert.equal(linkOwnership({ alias: undefined, group: 0 }, me), "foreign");
  });
});

describe("linkGroupFor", () => {
  it("0x6e in the top byte, 24 bits of the mark below; recognised as ours", () => {
    const g = linkGroupFor("a/p/s/Bridge/br");
    assert.equal(Math.floor(g / 2 ** 24), 0x6e);
    assert.ok(isOwnedGroup(g));
    assert.ok(isOwnedGroup(LEGACY_OWNED_LINK_GROUP));
    assert.ok(!isOwnedGroup(0) && !isOwnedGroup(7));
    assert.notEqual(linkGroupFor("b/p/s/Bridge/br"), g);
  });
});

describe("linkBatchWithReadBack", () => {
  it("runs the lines, then one address show per link, in ONE ip -j -N -d -batch", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: rec.addrVeth + "\n" + rec.addrBridge + "\n" }]);
    const found = await linkBatchWithReadBack(
      "ns",
      [linkSetUp("dev"), linkSetUp("br")],
      ["dev", "br"],
      {},
      ip,
    );
    assert.deepEqual(scripted.calls, [
      {
        argv: ["ip", "-j", "-N", "-d", "-n", "ns", "-batch", "-"],
        input: "link set dev dev up\nlink set dev br up\naddress show dev dev\naddress show dev br\n",
      },
    ]);
    assert.deepEqual(
      found.map((f) => f.state.name),
      ["dev", "br"],
    );
    assert.deepEqual(found[0]?.addresses, ["192.0.2.5/24", "2001:db8::5/64"]);
  });

  it("with tuntap, reads tun owners from a tuntap show line in the same batch", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: rec.tapWithoutN + "\n" + rec.tuntapShow + "\n" }]);
    const [tap] = await linkBatchWithReadBack("ns", [], ["tap0"], { tuntap: true }, ip);
    assert.equal(scripted.calls.length, 1);
    assert.match(scripted.calls[0]?.input ?? "", /address show dev tap0\ntuntap show\n$/);
    assert.equal(tap?.state.tun?.owner, 1);
    assert.equal(tap?.state.tun?.group, 1);
  });

  it("without tuntap, a tun read-back costs one more process for its owners", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: rec.tapWithoutN }, { stdout: rec.tuntapShow }]);
    const [tap] = await linkBatchWithReadBack(undefined, [], ["tap0"], {}, ip);
    assert.deepEqual(scripted.argvs[1], ["ip", "-j", "tuntap", "show"]);
    assert.equal(tap?.state.tun?.owner, 1);
  });

  it("a failing line raises the classified error naming it", async () => {
    const { ip } = scriptedIp([{ exitCode: 1, stderr: 'Cannot find device "nope"\nCommand failed -:1\n' }]);
    await assert.rejects(
      linkBatchWithReadBack("ns", [linkSetMaster("dev", "nope")], ["dev"], {}, ip),
      (e: unknown) => e instanceof NotFoundError && e.batchLine?.number === 1,
    );
  });

  it("refuses output that does not hold each link asked for", async () => {
    await assert.rejects(
      readBackFromBatch(undefined, ["dev", "br"], [JSON.parse(rec.addrVeth)]),
      /expected 2/,
    );
    await assert.rejects(readBackFromBatch(undefined, ["br"], [JSON.parse(rec.addrVeth)]), /no such link/);
    await assert.rejects(readBackFromBatch(undefined, ["br"], [[]]), /no such link/);
  });
});

describe("link lines from a kind's data", () => {
  it("add: the name after `name`, the parent after `link`, the target after `netns`, then the kind's arguments", () => {
    assert.deepEqual(
      linkAddLine("type", "macvlan", ["mode", "bridge"], { group: 7, lower: "dev", netns: "b" }),
      [
        ...["link", "add", "name", "type", "link", "dev", "netns", "b", "group", "7", "type", "macvlan"],
        ...["mode", "bridge"],
      ],
    );
    assert.deepEqual(linkAddLine("x", "bridge", [], { group: 1, mtu: 9000 }), [
      ...["link", "add", "name", "x", "mtu", "9000", "group", "1", "type", "bridge"],
    ]);
  });

  it("set: the kind's arguments, or an empty line when there are none", () => {
    assert.deepEqual(linkSetTypeLine("up", "macvtap", ["mode", "vepa"]), [
      ...["link", "set", "dev", "up", "type", "macvtap", "mode", "vepa"],
    ]);
    assert.deepEqual(linkSetTypeLine("up", "macvtap", []), []);
  });

  it("sysfs: read inside the link's namespace, one trimmed value per attribute", async () => {
    const { ip, scripted } = scriptedIp([{ stdout: "246:1\n8\n" }]);
    assert.deepEqual(await linkSysfsRead("n", "mt0", ["macvtap/tap8/dev", "ifindex"], ip), ["246:1", "8"]);
    assert.deepEqual(scripted.argvs, [
      [
        "ip",
        "netns",
        "exec",
        "n",
        "cat",
        "--",
        "/sys/class/net/mt0/macvtap/tap8/dev",
        "/sys/class/net/mt0/ifindex",
      ],
    ]);
    await assert.rejects(linkSysfsRead("n", "..", ["dev"], ip), /refusing to read sysfs path/);
    await assert.rejects(linkSysfsRead("n", "mt0", ["../../x"], ip), /refusing to read sysfs path/);
  });
});
