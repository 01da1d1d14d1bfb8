import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { repoRoot } from "../helpers/engine";

const dependencies = (file: string) =>
  (JSON.parse(readFileSync(path.join(repoRoot, file), "utf8")) as { dependencies: Record<string, string> })
    .dependencies;

// A project made from the template then holds one copy of the SDK, which the npm cache already
// has from setup's `npm ci`: `pulumi new` installs it without the registry.
test("the template pins the @pulumi/pulumi the package depends on", () => {
  assert.equal(
    dependencies("templates/netns-lab/package.json")["@pulumi/pulumi"],
    dependencies("package.json")["@pulumi/pulumi"],
  );
});
