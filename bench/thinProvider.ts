// A prototype of a proposal for sdk/ (measured by bench/experiments.ts, not used by users):
// register the same resources with a hand-written `__provider` of ~100 bytes instead of the
// ~2 KB that pulumi.dynamic.Resource serializes from the six-method closure. The type token,
// the inputs and the implementation loaded by the plugin are the SDK's own.
import * as pulumi from "@pulumi/pulumi";
import type { Star } from "./topology";

// dist/bench -> dist/sdk: the very modules `import "pulumi-netns"` loads (the self-link resolves there).
const { managedBy } = require("../sdk/common") as { managedBy(kind: string, name: string): string };
const { linkOutputProperties } = require("../sdk/link") as {
  linkOutputProperties: Record<string, undefined>;
};

/** What the dynamic-provider plugin evaluates: `requireFromString(text).handler()` is the provider. */
export const providerText = (kind: string) =>
  `exports.handler = () => require("pulumi-netns/provider").providers[${JSON.stringify(kind)}];\n`;

class Thin extends pulumi.CustomResource {
  constructor(
    kind: string,
    name: string,
    props: Record<string, unknown>,
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(`pulumi-nodejs:dynamic/netns:${kind}`, name, { ...props, __provider: providerText(kind) }, opts);
  }
}

/** A CustomResource has an Output property for each key of its props. */
const out = (r: pulumi.CustomResource, key: string) =>
  (r as unknown as Record<string, pulumi.Output<string>>)[key];

/** The pulumi-netns star with the SDK's inputs, registered through {@link Thin}. */
export function thinStar(s: Star): () => Promise<Record<string, unknown>> {
  return async () => {
    const hub = new Thin("Namespace", "hub", {
      name: s.hub,
      managedBy: managedBy("Namespace", "hub"),
      inode: undefined,
    });
    const hubName = out(hub, "name");
    const br = new Thin("Bridge", "br", {
      ...linkOutputProperties,
      stp: undefined,
      vlanFiltering: undefined,
      forwardDelay: undefined,
      ageingTime: undefined,
      name: s.bridge,
      namespace: hubName,
      managedBy: managedBy("Bridge", "br"),
    });
    const brName = out(br, "name");
    for (const h of s.hosts) {
      const host = new Thin("Namespace", `h${h.index}`, {
        name: h.netns,
        managedBy: managedBy("Namespace", `h${h.index}`),
        inode: undefined,
      });
      new Thin("VethPair", `c${h.index}`, {
        a: { name: s.hostIf, namespace: out(host, "name"), addresses: [h.cidr] },
        b: { name: h.port, namespace: hubName, master: brName },
        managedBy: managedBy("VethPair", `c${h.index}`),
      });
    }
    return {};
  };
}
