import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultIp } from "../../provider/kernel/ip";
import {
  OWNED_ROUTE_PROTOCOL,
  routeAddLine,
  routeApply,
  routeDelete,
  routeReplaceLine,
  routeShow,
  type RouteState,
} from "../../provider/kernel/route";
import { kernelSuite, roundTrip } from "../helpers/kernelSandbox";

kernelSuite("route against the kernel", (sb) => {
  for (const [family, subnet, local, gw1, gw2, destination] of [
    ["IPv4", "10.0.1.0/24", "10.0.1.1/24", "10.0.1.254", "10.0.1.253", "10.40.0.0/16"],
    ["IPv6", "fd00:1::/64", "fd00:1::1/64", "fd00:1::254", "fd00:1::253", "::/0"],
  ] as const) {
    test(`${family} route ${destination}: add, show, replace, delete, delete again`, async () => {
      const ns = await sb.netns(family.toLowerCase());
      const batch = (lines: string[][]) => defaultIp().batch(ns, lines);
      await batch([
        ["link", "add", "name", "dev", "type", "veth", "peer", "name", "via"],
        ["address", "add", local, "dev", "dev", ...(family === "IPv6" ? ["nodad"] : [])],
        ["link", "set", "dev", "dev", "up"],
        ["link", "set", "dev", "via", "up"],
      ]);
      assert.ok(subnet); // the gateways lie in this subnet
      const key = { destination, table: 100, metric: 7 };
      const spec = { ...key, protocol: OWNED_ROUTE_PROTOCOL, dev: "dev" };
      await roundTrip<RouteState>({
        add: () => routeApply(ns, routeAddLine({ ...spec, via: gw1 })),
        read: () => routeShow(ns, key),
        checkAdded: (s) => assert.deepEqual([s.via, s.dev, s.protocol, s.metric], [gw1, "dev", 110, 7]),
        update: () => routeApply(ns, routeReplaceLine({ ...spec, via: gw2 })),
        checkUpdated: (s) => assert.equal(s.via, gw2),
        remove: () => routeDelete(ns, key, OWNED_ROUTE_PROTOCOL),
      });
    });
  }

  test("delete with our protocol leaves another protocol's route", async () => {
    const ns = await sb.netns("foreign");
    await defaultIp().batch(ns, [
      ["link", "set", "dev", "lo", "up"],
      ["route", "add", "10.50.0.0/24", "dev", "lo", "proto", "static"],
    ]);
    const key = { destination: "10.50.0.0/24", table: 254 };
    await routeDelete(ns, key, OWNED_ROUTE_PROTOCOL);
    assert.equal((await routeShow(ns, key))?.protocol, 4);
  });
});
