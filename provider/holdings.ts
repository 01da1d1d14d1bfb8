// What a resource's state holds in the kernel, as its kind's descriptor says (`holdings`): every
// namespace, link and route it owns, each with the mark that object carries. `pulumi-netns ls`,
// `gc` and `graph` read a stack's state through this alone, so a kind added to the registry is
// known to them without a line of CLI code. State is read from `pulumi stack export`, possibly
// written by an earlier version, so every accessor here accepts anything and finds nothing in it.
import { routeRecordFile } from "./kernel/route";

/** A kernel object, by where it is. */
export type HeldObject =
  | { readonly type: "namespace"; readonly name: string }
  | { readonly type: "link"; readonly netns: string | undefined; readonly name: string }
  | {
      readonly type: "route";
      readonly netns: string | undefined;
      readonly destination: string;
      readonly table: number;
      readonly metric: number;
    }
  | {
      readonly type: "process";
      readonly netns: string;
      readonly name: string;
      /** What it runs (argv[0]), where the state says: for the picture, not part of its key. */
      readonly program?: string;
    };

/** An object a resource holds, and the mark it carries (the resource's own, or one derived from it). */
export interface Holding {
  readonly object: HeldObject;
  readonly mark: string;
}

/** The state of one resource, as `pulumi stack export` has it (outputs over inputs). */
export type StateProps = Readonly<Record<string, unknown>>;

/** What a kind's resource holds, from its state and its mark. */
export type HoldingsOf = (props: StateProps, mark: string) => Holding[];

export const stateString = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
export const stateNumber = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
export const stateObject = (v: unknown): StateProps =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as StateProps) : {};

/** The namespace named by `props[field]`. */
export const namespaceHolding = (props: StateProps, mark: string, field = "name"): Holding[] => {
  const name = stateString(props[field]);
  return name === undefined ? [] : [{ object: { type: "namespace", name }, mark }];
};

/** The link `props.name` in `props.namespace` (none: the host namespace). */
export const linkHolding = (props: StateProps, mark: string): Holding[] => {
  const name = stateString(props.name);
  return name === undefined
    ? []
    : [{ object: { type: "link", netns: stateString(props.namespace), name }, mark }];
};

/** The route keyed by `props` (namespace, destination, table, metric). */
export const routeHolding = (props: StateProps, mark: string): Holding[] => {
  const destination = stateString(props.destination);
  const table = stateNumber(props.table);
  const metric = stateNumber(props.metric);
  if (destination === undefined || table === undefined || metric === undefined) return [];
  return [
    { object: { type: "route", netns: stateString(props.namespace), destination, table, metric }, mark },
  ];
};

/** The process of the service `props.name` in `props.namespace`, running `props.command[0]`. */
export const processHolding = (props: StateProps, mark: string): Holding[] => {
  const [netns, name] = [stateString(props.namespace), stateString(props.name)];
  const program = Array.isArray(props.command) ? stateString(props.command[0]) : undefined;
  return netns === undefined || name === undefined
    ? []
    : [{ object: { type: "process", netns, name, ...(program === undefined ? {} : { program }) }, mark }];
};

/**
 * One key per object and mark, equal for a holding named by a state and the same object found in
 * the kernel. Undefined for what the kernel cannot hold (a route whose destination is no CIDR).
 */
export function holdingKey({ object, mark }: Holding): string | undefined {
  switch (object.type) {
    case "namespace":
      return [mark, "namespace", object.name].join("\n");
    case "link":
      return [mark, "link", object.netns ?? "", object.name].join("\n");
    case "process":
      return [mark, "process", object.netns, object.name].join("\n");
    case "route":
      try {
        return [mark, "route", routeRecordFile(object.netns, object)].join("\n");
      } catch {
        return undefined;
      }
  }
}
