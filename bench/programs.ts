// The star as Pulumi programs: with pulumi-netns, and with do-nothing resources of the same graph.
import * as netns from "pulumi-netns";
import { NoopResource } from "./noopProvider";
import type { Star } from "./topology";

/** The pulumi-netns star: N+1 Namespaces, one Bridge, N VethPairs (2N+2 resources). */
export function netnsStar(s: Star): () => Promise<Record<string, unknown>> {
  return async () => {
    const hub = new netns.Namespace("hub", { name: s.hub });
    const br = new netns.Bridge("br", { name: s.bridge, namespace: hub.name });
    for (const h of s.hosts) {
      const host = new netns.Namespace(`h${h.index}`, { name: h.netns });
      new netns.VethPair(`c${h.index}`, {
        a: { name: s.hostIf, namespace: host.name, addresses: [h.cidr] },
        b: { name: h.port, namespace: hub.name, master: br.name },
      });
    }
    return {};
  };
}

/** The same graph and dependencies with {@link NoopResource}s. */
export function noopStar(s: Star): () => Promise<Record<string, unknown>> {
  return async () => {
    const hub = new NoopResource("Namespace", "hub", { name: s.hub });
    const br = new NoopResource("Bridge", "br", { name: s.bridge, namespace: hub.name });
    for (const h of s.hosts) {
      const host = new NoopResource("Namespace", `h${h.index}`, { name: h.netns });
      new NoopResource("VethPair", `c${h.index}`, {
        a: { name: s.hostIf, namespace: host.name, addresses: [h.cidr] },
        b: { name: h.port, namespace: hub.name, master: br.name },
      });
    }
    return {};
  };
}
