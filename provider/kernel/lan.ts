// The kernel calls of a Lan (provider/lan.ts): one process reads a whole namespace, one applies
// and reads back a namespace's lines. A Lan reads and writes many links per namespace at once, so
// it reads every link there rather than one by name.
import { parseAddresses } from "./address";
import { NotFoundError } from "./errors";
import { defaultIp, type Ip } from "./ip";
import { parseLinks, type LinkState } from "./link";
import { defaultRouteShowLine, parseDefaultGateway } from "./route";

/** One link of a namespace with its addresses (canonical, sorted). */
export interface NamespaceLink {
  readonly state: LinkState;
  readonly addresses: readonly string[];
}

/** Every link of a namespace, by name, and its IPv4 default gateway if it has one. */
export interface NamespaceView {
  readonly links: ReadonlyMap<string, NamespaceLink>;
  readonly gateway: string | undefined;
}

/**
 * Parses {@link namespaceApply}'s read-back: `address show` and `route show default`, after
 * `link show` when it was asked for `linkDetails` (only `link show` carries IPv6 settings such as
 * `addrgenmode`; `address show` has the rest of each link).
 */
export function parseNamespaceView(values: readonly unknown[], linkDetails = false): NamespaceView {
  const [details, addresses, routes] = linkDetails ? values.slice(-3) : [undefined, ...values.slice(-2)];
  if (!Array.isArray(addresses) || (linkDetails && !Array.isArray(details))) {
    throw new Error("ip -j -batch: expected the read-back of `address show` (and `link show`)");
  }
  const linkState = new Map(parseLinks(details ?? addresses).map((state) => [state.name, state]));
  const links = new Map<string, NamespaceLink>();
  for (const raw of addresses) {
    const [state] = parseLinks([raw]);
    const detailed = state && linkState.get(state.name);
    if (detailed) links.set(state.name, { state: detailed, addresses: parseAddresses([raw]).sort() });
  }
  return { links, gateway: parseDefaultGateway(routes) };
}

/**
 * Runs `lines` in namespace `netns` and then reads every link there with its addresses, and its
 * default route, in the same process; ip stops at the first failing line and the error names it.
 * A missing namespace raises NotFoundError (`missing: "netns"`). With `linkDetails`, each link's
 * state also has its IPv6 settings (one more listing: ask for it only where they matter).
 * Equivalent to: `ip -j -N -d -n NS -batch -` with LINES..., [`link show`,] `address show`,
 * `route show default`.
 */
export async function namespaceApply(
  netns: string,
  lines: readonly (readonly string[])[],
  linkDetails = false,
  ip: Ip = defaultIp(),
): Promise<NamespaceView> {
  const values = await ip.batchJson(
    netns,
    [...lines, ...(linkDetails ? [["link", "show"]] : []), ["address", "show"], defaultRouteShowLine()],
    ["-N", "-d"],
  );
  return parseNamespaceView(values, linkDetails);
}

/**
 * Reads namespace `netns` as {@link namespaceApply} does, changing nothing; undefined when the
 * namespace does not exist.
 * Equivalent to: `ip -j -N -d -n NS -batch -` with [`link show`,] `address show`, `route show default`.
 */
export async function namespaceView(
  netns: string,
  linkDetails = false,
  ip: Ip = defaultIp(),
): Promise<NamespaceView | undefined> {
  try {
    return await namespaceApply(netns, [], linkDetails, ip);
  } catch (e) {
    if (e instanceof NotFoundError && e.missing === "netns") return undefined;
    throw e;
  }
}

/**
 * Runs batch lines in the host namespace (adding and deleting namespaces, adding links into them).
 * Equivalent to: `ip -batch -` with LINES.
 */
export async function hostBatch(lines: readonly (readonly string[])[], ip: Ip = defaultIp()): Promise<void> {
  await ip.batch(undefined, lines);
}
