import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { vethAdd } from "../../../provider/kernel/veth";
import { scriptedIp } from "../../helpers/kernelRunner";

describe("vethAdd", () => {
  it("one call from the host namespace; each end named and placed, mtu and group on both", async () => {
    const { ip, scripted } = scriptedIp();
    await vethAdd(
      { a: { name: "up", netns: "n1" }, b: { name: "dev", netns: "n2" }, mtu: 1400, group: 28275 },
      ip,
    );
    assert.deepEqual(scripted.argvs, [
      [
        ...["ip", "link", "add", "name", "up", "netns", "n1", "mtu", "1400", "group", "28275"],
        ...["type", "veth", "peer", "name", "dev", "netns", "n2", "mtu", "1400", "group", "28275"],
      ],
    ]);
  });

  it("omitted netns is the host namespace; omitted mtu is not sent", async () => {
    const { ip, scripted } = scriptedIp();
    await vethAdd({ a: { name: "type" }, b: { name: "br", netns: "n" }, group: 7 }, ip);
    assert.deepEqual(scripted.argvs, [
      [
        "ip",
        "link",
        "add",
        "name",
        "type",
        "group",
        "7",
        "type",
        "veth",
        "peer",
        "name",
        "br",
        "netns",
        "n",
        "group",
        "7",
      ],
    ]);
  });

  it("hostile names stay single argv elements", async () => {
    const { ip, scripted } = scriptedIp();
    await vethAdd({ a: { name: "$(id)", netns: "a;b" }, b: { name: "|" }, group: 1 }, ip);
    assert.deepEqual(scripted.argvs[0]?.slice(0, 7), ["ip", "link", "add", "name", "$(id)", "netns", "a;b"]);
  });
});
