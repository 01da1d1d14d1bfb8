import assert from "node:assert/strict";
import { test } from "node:test";
import { kinds } from "../../../provider/kinds";
import { UNKNOWN } from "../../../provider/schema/unknown";

test("each kind's references: what it makes and what it waits for", () => {
  assert.deepEqual(kinds.Bridge.references({ name: "br", namespace: "n", master: "up" }), {
    links: [{ path: "", namespace: "n", name: "br", master: "up" }],
    uses: [{ namespace: "n", master: "up" }],
  });
  assert.deepEqual(kinds.TapDevice.references({ name: "t" }).links, [
    { path: "", namespace: undefined, name: "t", master: undefined },
  ]);
  assert.deepEqual(kinds.VethPair.references({ a: { name: "x", master: "br" }, b: UNKNOWN }), {
    links: [{ path: "a.", namespace: undefined, name: "x", master: "br" }],
    uses: [{ namespace: undefined, master: "br" }],
  });
  assert.deepEqual(kinds.Namespace.references({ name: "blue" }), { namespace: "blue", links: [], uses: [] });
  assert.deepEqual(kinds.Route.references({ namespace: "n", dev: "v0", destination: "default" }), {
    links: [],
    uses: [{ namespace: "n", dev: "v0" }],
  });
  assert.deepEqual(kinds.Vxlan.references({ name: "vx0", namespace: "n", master: "br", dev: "under" }), {
    links: [{ path: "", namespace: "n", name: "vx0", master: "br" }],
    uses: [
      { namespace: "n", master: "br" },
      // The kernel deletes a VXLAN device with its underlay: the SDK replaces it with it.
      { namespace: "n", dev: "under", lower: "under" },
    ],
  });
  assert.deepEqual(kinds.StackInstance.references(), { links: [], uses: [] });
  // A macvlan waits for its parent in the parent's namespace, or in its own when none is given.
  const macvlan = { name: "mv", namespace: "n", parent: "up0", parentNamespace: "hub" };
  assert.deepEqual(kinds.Macvlan.references(macvlan), {
    links: [
      { path: "", namespace: "n", name: "mv", master: undefined, parent: "up0", parentNamespace: "hub" },
    ],
    uses: [
      { namespace: "n", master: undefined },
      { namespace: "hub", lower: "up0" },
    ],
  });
  assert.deepEqual(kinds.Macvlan.references({ ...macvlan, parentNamespace: undefined }).uses[1], {
    namespace: "n",
    lower: "up0",
  });
});
