// The engine's own floor: dynamic resources whose provider does nothing. Built with the same
// graph and the same kind of inputs as the pulumi-netns star, so the difference between the two
// rows is what pulumi-netns (its provider code and its `ip` processes) adds.
import * as pulumi from "@pulumi/pulumi";

/**
 * Returns its inputs as outputs at once. No check/diff/read: the plugin then answers those RPCs
 * itself (the engine still makes every call), and the engine diffs the inputs.
 */
const noopProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Record<string, unknown>) {
    return { id: String(inputs.key), outs: inputs };
  },
  async delete() {},
};

export class NoopResource extends pulumi.dynamic.Resource {
  declare public readonly name: pulumi.Output<string>;
  constructor(
    kind: string,
    name: string,
    props: Record<string, unknown>,
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(noopProvider, name, { key: `${kind}/${name}`, ...props }, opts, "bench", kind);
  }
}
