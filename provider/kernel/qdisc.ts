// The root qdisc of a device: a token bucket filter (tbf) that limits its egress rate, or the
// kernel's default. The only code that runs `tc`.
import { readFileSync } from "node:fs";
import { NotFoundError } from "./errors";
import { currentHost, localHost, type Host } from "./host";
import { defaultIp, int, type Ip } from "./ip";

/** A token bucket filter as the kernel keeps it (`tc -j -raw qdisc show` prints exactly these). */
export interface Tbf {
  /** The rate in bit/s; tc and the kernel keep bytes/s, so always a multiple of 8. */
  readonly bitsPerSecond: number;
  /** Bucket size in bytes; the kernel keeps it as a time at the rate, so it reads back rounded. */
  readonly burstBytes: number;
  /** Bytes that may wait in the queue; kept as given. */
  readonly limitBytes: number;
}

/** A device's root qdisc as read back; `tbf` only when that is its kind. */
export interface RootQdisc {
  /** `tbf`, `noqueue`, `pfifo_fast`, `fq_codel`, `htb`, ... */
  readonly kind: string;
  readonly tbf?: Tbf;
}

/**
 * The batch line that makes `tbf` the device's root qdisc, or changes the one there in place.
 * The limit is given in bytes, never as a latency, so the kernel keeps exactly what we compare.
 * Equivalent to: `tc qdisc replace dev NAME root tbf rate Rbit burst B limit L`.
 */
export const qdiscReplaceTbf = (dev: string, tbf: Tbf): string[] => [
  "qdisc",
  "replace",
  "dev",
  dev,
  "root",
  "tbf",
  "rate",
  `${int(tbf.bitsPerSecond)}bit`,
  "burst",
  int(tbf.burstBytes),
  "limit",
  int(tbf.limitBytes),
];

/** Equivalent to: `tc qdisc show dev NAME` (a batch line; printed as JSON with `-j -raw`). */
export const qdiscShowLine = (dev: string): string[] => ["qdisc", "show", "dev", dev];

/** The options tc needs to print a tbf's limit (`-raw`) as JSON. */
const SHOW_OPTIONS = ["-raw"] as const;

/**
 * Runs `lines` and then reads back the root qdisc of each device of `readBack`, in one process:
 * tc stops at the first failing line (the error names it).
 * Equivalent to: `tc -j -raw [-n NS] -batch -` with LINES..., `qdisc show dev NAME`...
 */
export async function qdiscBatchWithReadBack(
  netns: string | undefined,
  lines: readonly (readonly string[])[],
  readBack: readonly string[],
  ip: Ip = defaultIp(),
): Promise<(RootQdisc | undefined)[]> {
  const values = await ip.batchJson(netns, [...lines, ...readBack.map(qdiscShowLine)], SHOW_OPTIONS, "tc");
  if (values.length < readBack.length) {
    throw new Error(`tc -j -batch: expected ${readBack.length} read-back outputs, got ${values.length}`);
  }
  return values.slice(values.length - readBack.length).map(parseRootQdisc);
}

/**
 * The device's root qdisc; undefined when it has none (a device that is down, or a bridge).
 * Equivalent to: `tc -j -raw [-n NS] qdisc show dev NAME`.
 */
export async function qdiscShowRoot(
  netns: string | undefined,
  dev: string,
  ip: Ip = defaultIp(),
): Promise<RootQdisc | undefined> {
  return parseRootQdisc(
    await ip.json<unknown>([...SHOW_OPTIONS, ...qdiscShowLine(dev)], { netns, program: "tc" }),
  );
}

/**
 * Gives the device back the kernel's default root qdisc; a device that already has it is success.
 * Equivalent to: `tc [-n NS] qdisc del dev NAME root`.
 */
export async function qdiscDeleteRoot(
  netns: string | undefined,
  dev: string,
  ip: Ip = defaultIp(),
): Promise<void> {
  try {
    await ip.run(["qdisc", "del", "dev", dev, "root"], { netns, program: "tc" });
  } catch (e) {
    if (!(e instanceof NotFoundError && e.missing === "qdisc")) throw e;
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

/**
 * Parses `tc -j -raw qdisc show dev X`: the entry marked `root` (an ingress or child qdisc is not
 * the device's egress discipline). A tbf's `rate` is printed in bytes/s.
 */
export function parseRootQdisc(json: unknown): RootQdisc | undefined {
  if (!Array.isArray(json)) throw new Error("tc -j qdisc show: expected a JSON array");
  const root = json.find((q) => isObject(q) && q.root === true);
  if (!isObject(root) || typeof root.kind !== "string") return undefined;
  if (root.kind !== "tbf") return { kind: root.kind };
  const o = isObject(root.options) ? root.options : {};
  const rate = num(o.rate);
  const burst = num(o.burst);
  const limit = num(o.limit);
  if (rate === undefined || burst === undefined || limit === undefined) {
    throw new Error(
      `tc -j -raw qdisc show: a tbf without rate/burst/limit: ${JSON.stringify(o).slice(0, 200)}`,
    );
  }
  return { kind: "tbf", tbf: { bitsPerSecond: rate * 8, burstBytes: burst, limitBytes: limit } };
}

/** The coarsest timer Linux runs (CONFIG_HZ=100): assumed when the kernel cannot be asked. */
export const COARSEST_HZ = 100;

/**
 * The timer frequency tc calls HZ (iproute2's get_hz), from the text of /proc/net/psched: its
 * fourth field when the third, the clock resolution, is 1000000; that is NSEC_PER_SEC /
 * hrtimer_resolution, 1e9 with high-resolution timers. Otherwise {@link COARSEST_HZ}.
 */
export function parsePschedHz(text: string): number {
  const [, , resolution, perSecond] = text
    .trim()
    .split(/\s+/)
    .map((f) => parseInt(f, 16));
  return resolution === 1000000 && perSecond !== undefined && perSecond > 0 ? perSecond : COARSEST_HZ;
}

const hzByHost = new WeakMap<Host, number>();
/** The one read of each host's /proc/net/psched: checks that run together wait for the same one. */
const hzLoading = new WeakMap<Host, Promise<number>>();

/** Reads the current host's HZ ({@link parsePschedHz}) once, so {@link pschedHz} can answer there. */
export function loadPschedHz(): Promise<number> {
  const host = currentHost();
  const known = hzByHost.get(host);
  if (known !== undefined) return Promise.resolve(known);
  let loading = hzLoading.get(host);
  if (loading === undefined) {
    loading = host.files
      .readFile("/proc/net/psched")
      .then(parsePschedHz, () => COARSEST_HZ)
      .then((hz) => {
        hzByHost.set(host, hz);
        return hz;
      });
    hzLoading.set(host, loading);
  }
  return loading;
}

/**
 * The kernel's HZ as tc learns it ({@link parsePschedHz}). A tbf sleeps in steps of 1/HZ, so its
 * bucket must hold what the rate sends in one step. /proc/net/psched is world-readable, so check
 * reads it at preview as any user; where it cannot be read, {@link COARSEST_HZ}, so that a burst
 * passes only if it is enough on every kernel. Another machine's is what {@link loadPschedHz}
 * read there (check loads it first); before that, {@link COARSEST_HZ}.
 */
export function pschedHz(): number {
  const host = currentHost();
  const known = hzByHost.get(host);
  if (known !== undefined) return known;
  if (host !== localHost) return COARSEST_HZ;
  let hz: number;
  try {
    hz = parsePschedHz(readFileSync("/proc/net/psched", "utf8"));
  } catch {
    hz = COARSEST_HZ;
  }
  hzByHost.set(host, hz);
  return hz;
}
