// A program pays for every module the SDK loads, twice per `pulumi up` (the preview's run and the
// update's). The SDK only registers resources: the provider's validation (zod), its kernel layer
// (execa) and @pulumi/command (for probes) load in the plugin, or with the first probe.
import assert from "node:assert/strict";
import { test } from "node:test";

/** Modules under node_modules that requiring `entry` loads, by package name. */
function packagesLoadedBy(entry: string): Set<string> {
  const before = new Set(Object.keys(require.cache));
  require(entry);
  const loaded = Object.keys(require.cache).filter((file) => !before.has(file));
  return new Set(
    loaded.flatMap((file) => {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
      return match ? [match[1] as string] : [];
    }),
  );
}

test("the SDK loads no zod, execa or @pulumi/command until a probe is made", () => {
  require("@pulumi/pulumi");
  const loaded = packagesLoadedBy("../../../sdk/index");
  for (const heavy of ["zod", "execa", "@pulumi/command"])
    assert.ok(!loaded.has(heavy), `the SDK loaded ${heavy}: ${[...loaded].join(", ")}`);
});
