// The provider's handlers called in this process, without the engine: check+create, read and
// delete for the whole star, `parallel` at a time, dependencies level by level. The difference
// between this and the no-op engine floor is what the engine adds around our code.
import type * as pulumi from "@pulumi/pulumi";
import { providers } from "pulumi-netns/provider";
import { pool, timed } from "./proc";
import type { Star } from "./topology";

interface Item {
  readonly kind: "Namespace" | "Bridge" | "VethPair";
  readonly news: Record<string, unknown>;
  id?: string;
  outs?: Record<string, unknown>;
}

function provider(kind: Item["kind"]): pulumi.dynamic.ResourceProvider {
  const p = providers[kind];
  if (!p) throw new Error(`no provider ${kind}`);
  return p;
}

/** With `host` (a resource's `host` input), every resource of the star is made on that machine. */
export async function directHandlers(
  s: Star,
  parallel: number,
  host?: Record<string, unknown>,
): Promise<{ create: number; read: number; delete: number }> {
  const mark = (kind: string, name: string) => `pnb/direct/${kind}/${name}`;
  const on = host === undefined ? {} : { host };
  const namespaces: Item[] = [
    { kind: "Namespace", news: { name: s.hub, managedBy: mark("Namespace", "hub"), ...on } },
    ...s.hosts.map((h): Item => ({
      kind: "Namespace",
      news: { name: h.netns, managedBy: mark("Namespace", `h${h.index}`), ...on },
    })),
  ];
  const bridge: Item = {
    kind: "Bridge",
    news: { name: s.bridge, namespace: s.hub, managedBy: mark("Bridge", "br"), ...on },
  };
  const veths = s.hosts.map((h): Item => ({
    kind: "VethPair",
    news: {
      a: { name: s.hostIf, namespace: h.netns, addresses: [h.cidr] },
      b: { name: h.port, namespace: s.hub, master: s.bridge },
      managedBy: mark("VethPair", `c${h.index}`),
      ...on,
    },
  }));
  const levels = [namespaces, [bridge], veths];
  const create = async (item: Item) => {
    const p = provider(item.kind);
    const checked = await p.check!({}, item.news);
    if (checked.failures?.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
    const result = await p.create(checked.inputs);
    item.id = result.id;
    item.outs = result.outs as Record<string, unknown>;
  };
  const c = await timed(async () => {
    for (const level of levels) await pool(level, parallel, create);
  });
  const r = await timed(() =>
    pool(levels.flat(), parallel, async (item) => {
      await provider(item.kind).read!(item.id as string, item.outs);
    }),
  );
  const d = await timed(async () => {
    for (const level of [...levels].reverse()) {
      await pool(level, parallel, (item) => provider(item.kind).delete!(item.id as string, item.outs));
    }
  });
  return { create: c.seconds, read: r.seconds, delete: d.seconds };
}
