import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { ProbeInputs } from "../provider/schema/probe";

// Loaded when the first probe is made, not with the SDK: @pulumi/command and the probe's zod
// schema cost a program without probes about 0.1 s at every preview and update (docs/BENCHMARKS.md).
const lazily = {
  command: () => require("@pulumi/command") as typeof import("@pulumi/command"),
  spec: () => require("../provider/schema/probe") as typeof import("../provider/schema/probe"),
};

/** Inputs of a {@link Probe}. */
export type ProbeArgs = { readonly [K in keyof ProbeInputs]: pulumi.Input<NonNullable<ProbeInputs[K]>> } & {
  /**
   * The probe runs when it is created and again whenever its inputs or these values change: pass
   * what identifies the path it checks (e.g. the cables' `ifindex`), so a rebuilt path is
   * checked again.
   */
  readonly triggers?: pulumi.Input<unknown[]>;
};

/** The compiled probe program (dist/provider/probe.js), next to this file's directory. */
const PROBE_PROGRAM = path.join(__dirname, "..", "provider", "probe.js");

/**
 * Verifies after apply: once what it depends on is up, pings `to` from inside namespace `from` (or
 * connects to TCP `port` there). If the target does not answer, `pulumi up` fails, naming both ends
 * and what came back. Runs through @pulumi/command's `local.Command`, as a program of its own with
 * no shell; destroying it does nothing.
 *
 * Pass the resources that make up the path as `dependsOn`.
 */
export class Probe extends pulumi.ComponentResource {
  /** What the probe saw when it last ran: replies and round trip, or the connection. */
  public readonly seen: pulumi.Output<string>;

  constructor(name: string, args: ProbeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pulumi-netns:index:Probe", name, {}, opts);
    const { triggers, ...fields } = args;
    const command = lazily.command();
    const { describeProbe, parseProbeSpec, PROBE_SPEC_VARIABLE } = lazily.spec();
    // Validated here too, so a bad probe fails at preview, before anything is created.
    // The spec carries the host's key when the probe runs on another machine, so it reaches the
    // command only as its (then secret) environment; the description, which is the command's text
    // and shows in every preview, is made from the ends alone.
    const spec = pulumi.output(fields).apply((raw) => JSON.stringify(parseProbeSpec(JSON.stringify(raw))));
    const description = pulumi
      .output({ from: fields.from, to: fields.to, port: fields.port })
      .apply((ends) => describeProbe(ends));
    const check = new command.local.Command(
      name,
      {
        interpreter: [process.execPath, PROBE_PROGRAM],
        create: description,
        environment: { [PROBE_SPEC_VARIABLE]: spec },
        ...(triggers !== undefined ? { triggers } : {}),
      },
      { parent: this, ...(opts?.dependsOn !== undefined ? { dependsOn: opts.dependsOn } : {}) },
    );
    this.seen = check.stdout.apply((out) => out.trim());
    this.registerOutputs({ seen: this.seen });
  }
}
