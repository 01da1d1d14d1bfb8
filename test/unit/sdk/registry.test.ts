import assert from "node:assert/strict";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { declareLink, declareNamespace, machineKey, withDeclaredDependencies } from "../../../sdk/registry";

const fake = (label: string) => ({ label }) as unknown as pulumi.Resource;

test("plain-name references depend on the resources declared under those names", () => {
  const ns = fake("ns");
  const br = fake("br");
  const pair = fake("pair");
  declareNamespace("reg-hub", ns);
  declareLink({ namespace: "reg-hub", name: "br" }, br);
  declareLink({ namespace: "reg-hub", name: "b0" }, pair);

  assert.deepEqual(
    withDeclaredDependencies<pulumi.CustomResourceOptions>({}, [{ namespace: "reg-hub", master: "br" }])
      ?.dependsOn,
    [ns, br],
  );
  assert.deepEqual(withDeclaredDependencies(undefined, [{ namespace: "reg-hub", dev: "b0" }])?.dependsOn, [
    ns,
    pair,
  ]);
  // Outputs and undeclared names add nothing; options come back untouched.
  const opts = { protect: true };
  assert.equal(withDeclaredDependencies(opts, [{ namespace: "reg-elsewhere", master: "br" }]), opts);
  assert.equal(withDeclaredDependencies(opts, [{ namespace: {} as unknown, master: "br" }]), opts);
  // A link named in another namespace is another link.
  assert.equal(withDeclaredDependencies(opts, [{ master: "br" }]), opts);
});

test("a link made on a declared link waits for it and is replaced with it", () => {
  const hub = fake("hub");
  const uplink = fake("uplink");
  declareNamespace("reg-lower", hub);
  declareLink({ namespace: "reg-lower", name: "up0" }, uplink);
  const opts = withDeclaredDependencies<pulumi.CustomResourceOptions>({ replaceWith: [hub] }, [
    { namespace: "reg-lower", lower: "up0" },
  ]);
  assert.deepEqual(opts?.dependsOn, [hub, uplink]);
  assert.deepEqual(opts?.replaceWith, [hub, uplink], "the user's own replaceWith is kept");
  // An undeclared parent (an existing link the stack only references) adds no replacement.
  const existing = withDeclaredDependencies(undefined, [{ namespace: "reg-lower", lower: "eth9" }]);
  assert.deepEqual([existing?.dependsOn, existing?.replaceWith], [[hub], undefined]);
});

test("names are per machine: one name on two machines is two things; an unknown machine waits for both", () => {
  const hereHub = fake("here");
  const thereHub = fake("there");
  const there = machineKey({ address: "10.0.0.2" });
  assert.equal(there, "10.0.0.2:22");
  assert.equal(machineKey(undefined), "local");
  assert.equal(machineKey(pulumi.output({ address: "10.0.0.2" })), "*");
  declareNamespace("reg-two", hereHub);
  declareNamespace("reg-two", thereHub, there);
  const ref = [{ namespace: "reg-two" }];
  assert.deepEqual(withDeclaredDependencies(undefined, ref)?.dependsOn, [hereHub]);
  assert.deepEqual(withDeclaredDependencies(undefined, ref, there)?.dependsOn, [thereHub]);
  assert.equal(withDeclaredDependencies(undefined, ref, machineKey({ address: "10.0.0.3" })), undefined);
  assert.deepEqual(withDeclaredDependencies(undefined, ref, "*")?.dependsOn, [hereHub, thereHub]);
});
