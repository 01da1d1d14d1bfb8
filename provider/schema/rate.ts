/**
 * An egress rate limit on a link end: a token bucket filter (tbf) as its root qdisc. One schema
 * fragment ({@link rateFields}), one diff rule ({@link rateRules}) and one kernel form
 * ({@link tbfOf}) that check, diff and the lifecycle step (provider/rate.ts) all use, so a kind
 * takes a rate by spreading the first two into its schema and rules (DESIGN.md "Rate limits").
 */
import { z } from "zod";
import { quote, ruledNumber } from "./rules";
import { isUnknown, orUnknown } from "./unknown";
import type { Field } from "./diff";
import { pschedHz, type Tbf } from "../kernel/qdisc";

/** The largest value of the kernel's u32 fields (tbf's limit, tc's burst in bytes). */
export const U32_MAX = 2 ** 32 - 1;
/** tbf keeps the burst as a u32 count of 64 ns ticks: no burst may take longer to send at the rate. */
export const BURST_MAX_SECONDS = (U32_MAX * 64) / 1e9;
/** The largest rate that is a whole number of bytes and still exact in a JavaScript number. */
export const BITS_PER_SECOND_MAX = Number.MAX_SAFE_INTEGER - (Number.MAX_SAFE_INTEGER % 8);
/** Default burst: what the rate sends in 10 ms (what a HZ=100 kernel needs to reach its rate)... */
export const BURST_DEFAULT_MS = 10;
/** ...but at least ten full-size Ethernet frames, so a TCP window's first packets pass at once. */
export const BURST_DEFAULT_MIN_BYTES = 10 * 1514;
/** Default queue: what the rate sends in 50 ms waits; more is dropped. */
export const LATENCY_DEFAULT_MS = 50;
/** The Ethernet header a frame carries on top of the MTU (sch_tbf compares the burst with both). */
export const ETHERNET_HEADER_BYTES = 14;

const integerIn =
  (field: string, min: number, max: number, unit: string) =>
  (value: number): string[] =>
    Number.isSafeInteger(value) && value >= min && value <= max
      ? []
      : [`${field} is a whole number of ${unit} from ${min} to ${max}; got ${quote(value)}`];

export function bitsPerSecondProblems(value: number): string[] {
  const range = integerIn("bitsPerSecond", 8, BITS_PER_SECOND_MAX, "bit/s")(value);
  if (range.length > 0) return range;
  return value % 8 === 0
    ? []
    : [
        `bitsPerSecond must be a multiple of 8: tc and the kernel keep the rate in bytes/s, so ` +
          `${value} would become ${value - (value % 8)}; got ${quote(value)}`,
      ];
}

const rateObject = z.strictObject({
  /** The egress limit in bit/s (10 Mbit/s is `10_000_000`); a multiple of 8. */
  bitsPerSecond: orUnknown(ruledNumber(bitsPerSecondProblems)),
  /**
   * Bucket size: bytes that may leave back to back at line speed. Default: what the rate sends in
   * 10 ms, at least 15140 (ten full-size frames). It reads back rounded down to the kernel's
   * timer granularity (below a microsecond at the rate); that is no change.
   */
  burstBytes: orUnknown(ruledNumber(integerIn("burstBytes", 1, U32_MAX, "bytes"))).optional(),
  /** How long a packet may wait in the queue; the queue holds what the rate sends in that time plus the burst. Default 50 (if no `limitBytes`). */
  latencyMs: orUnknown(ruledNumber(integerIn("latencyMs", 1, U32_MAX / 1000, "milliseconds"))).optional(),
  /** The queue's size in bytes instead of `latencyMs`; more waiting is dropped. */
  limitBytes: orUnknown(ruledNumber(integerIn("limitBytes", 1, U32_MAX, "bytes"))).optional(),
});

type RawRate = z.output<typeof rateObject>;
const known = (v: unknown): v is number => typeof v === "number";

/** The burst a rate gets when none is given: {@link BURST_DEFAULT_MS} at the rate, at least {@link BURST_DEFAULT_MIN_BYTES}. */
export function defaultBurstBytes(bitsPerSecond: number): number {
  return Math.max(Math.ceil(((bitsPerSecond / 8) * BURST_DEFAULT_MS) / 1000), BURST_DEFAULT_MIN_BYTES);
}

/** The queue limit tc computes from a latency: `rate * latency + burst`, in its own double arithmetic, truncated. */
export function limitForLatency(bitsPerSecond: number, latencyMs: number, burstBytes: number): number {
  return Math.floor(((bitsPerSecond / 8) * (latencyMs * 1000)) / 1e6 + burstBytes);
}

/** Every rule of a rate on its own; `hz` is the kernel's timer frequency (kernel/qdisc.ts pschedHz). */
export function rateProblems(rate: RawRate, hz: number): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (rate.latencyMs !== undefined && rate.limitBytes !== undefined) {
    problems.push({
      path: "limitBytes",
      message: "give latencyMs or limitBytes, not both: tbf keeps one queue size, in bytes",
    });
  }
  const { bitsPerSecond: bits, burstBytes: burst } = rate;
  if (!known(bits) || bitsPerSecondProblems(bits).length > 0 || !known(burst)) return problems;
  const bytesPerSecond = bits / 8;
  const tick = Math.ceil(bytesPerSecond / hz);
  if (burst < tick) {
    problems.push({
      path: "burstBytes",
      message:
        `burstBytes must hold what the rate sends in one timer tick of this kernel (HZ ${hz}, from ` +
        `/proc/net/psched), ${tick} bytes at ${bits} bit/s, or the link never reaches its rate; got ${burst}`,
    });
  }
  if (burst / bytesPerSecond > BURST_MAX_SECONDS) {
    problems.push({
      path: "burstBytes",
      message:
        `burstBytes takes ${(burst / bytesPerSecond).toFixed(1)} s to send at ${bits} bit/s; tbf keeps ` +
        `the burst as a time of at most ${BURST_MAX_SECONDS.toFixed(1)} s (2^32 ticks of 64 ns): lower it`,
    });
  }
  if (known(rate.latencyMs) && limitForLatency(bits, rate.latencyMs, burst) > U32_MAX) {
    problems.push({
      path: "latencyMs",
      message: `latencyMs ${rate.latencyMs} at ${bits} bit/s makes a queue above ${U32_MAX} bytes, the kernel's limit; lower it`,
    });
  }
  return problems;
}

/**
 * `rate` as check returns it: the defaults applied (a burst from the rate, a latency unless a
 * limit is given), the unknown sentinel left where a value is not known yet.
 */
export const rateSchema = rateObject
  .transform((rate): RawRate => {
    const bits = rate.bitsPerSecond;
    const burstBytes = rate.burstBytes ?? (known(bits) ? defaultBurstBytes(bits) : undefined);
    const latencyMs = rate.latencyMs ?? (rate.limitBytes === undefined ? LATENCY_DEFAULT_MS : undefined);
    return {
      bitsPerSecond: bits,
      ...(burstBytes !== undefined ? { burstBytes } : {}),
      ...(latencyMs !== undefined ? { latencyMs } : {}),
      ...(rate.limitBytes !== undefined ? { limitBytes: rate.limitBytes } : {}),
    };
  })
  .superRefine(
    (rate, ctx) => {
      for (const { path, message } of rateProblems(rate, pschedHz())) {
        ctx.addIssue({ code: "custom", path: [path], input: rate, message });
      }
    },
    { when: () => true },
  );

/** What users write: the limit and its optional bucket and queue, each field named with its unit. */
export type RateInputs = z.input<typeof rateSchema>;

/** The schema fragment of a link end that takes a rate; omitted: the kernel's default qdisc. */
export const rateFields = {
  /**
   * Egress rate limit of this end: a token bucket filter (`tc qdisc replace dev X root tbf`). A
   * change is an update in place; removing it gives the end back the kernel's default qdisc.
   */
  rate: orUnknown(rateSchema).optional(),
};

/**
 * The rate the way the kernel keeps it: bytes/s (in bits), the bucket, and the queue in bytes
 * (a latency turned into bytes as tc does). Inputs and read-back go through this one function.
 */
export function tbfOf(rate: {
  bitsPerSecond: number;
  burstBytes?: number;
  latencyMs?: number;
  limitBytes?: number;
}): Tbf {
  const burstBytes = rate.burstBytes ?? defaultBurstBytes(rate.bitsPerSecond);
  return {
    bitsPerSecond: rate.bitsPerSecond,
    burstBytes,
    limitBytes:
      rate.limitBytes ??
      limitForLatency(rate.bitsPerSecond, rate.latencyMs ?? LATENCY_DEFAULT_MS, burstBytes),
  };
}

/**
 * Bytes the burst may lose on its way through the kernel: tc turns it into whole microseconds
 * and the kernel into whole 64 ns ticks, and tc's read-back truncates again, each losing less than
 * a microsecond at the rate (tc before 6.14 rounds down, later ones up).
 */
export function burstSlack(bitsPerSecond: number): number {
  return Math.ceil(((bitsPerSecond / 8) * 2) / 1e6) + 1;
}

/** Whether two tbfs are the same kernel state: equal rate and queue, the bucket up to {@link burstSlack}. */
export function sameTbf(a: Tbf, b: Tbf): boolean {
  return (
    a.bitsPerSecond === b.bitsPerSecond &&
    a.limitBytes === b.limitBytes &&
    Math.abs(a.burstBytes - b.burstBytes) <= burstSlack(a.bitsPerSecond)
  );
}

const isRate = (v: unknown): v is Parameters<typeof tbfOf>[0] =>
  typeof v === "object" && v !== null && known((v as { bitsPerSecond?: unknown }).bitsPerSecond);

/** Whether two rates (inputs, or read back) mean the same kernel state; both unset is the same. */
export function sameRate(prev: unknown, next: unknown): boolean {
  if (prev === undefined || next === undefined) return prev === next;
  if (!isRate(prev) || !isRate(next)) return JSON.stringify(prev) === JSON.stringify(next);
  if (Object.values(next).some(isUnknown)) return false;
  return sameTbf(tbfOf(prev), tbfOf(next));
}

/** The rate changes in place: the link keeps its ifindex, only its root qdisc is replaced. */
export const rateRule: Field = { action: "update", compare: "same", same: sameRate };

/** The diff rule of {@link rateFields}. */
export const rateRules = { rate: rateRule } as const;

/**
 * A rate's burst and queue must take a full-size frame of the link (MTU plus the Ethernet
 * header): sch_tbf accepts less, but then drops every larger packet it cannot segment, and the
 * queue drops every packet larger than itself. `mtu` undefined: the kernel's default, 1500.
 */
export function rateFrameProblems(
  rate: unknown,
  mtu: number | undefined,
): { path: string; message: string }[] {
  if (!isRate(rate) || Object.values(rate).some(isUnknown)) return [];
  const frame = (mtu ?? 1500) + ETHERNET_HEADER_BYTES;
  const tbf = tbfOf(rate);
  const problems: { path: string; message: string }[] = [];
  const why = `a full-size frame of this link (mtu ${mtu ?? "1500, the default"} plus ${ETHERNET_HEADER_BYTES} header bytes)`;
  if (tbf.burstBytes < frame) {
    problems.push({
      path: "burstBytes",
      message: `burstBytes must take ${why}, ${frame} bytes, or tbf drops such packets; got ${tbf.burstBytes}`,
    });
  }
  if (rate.limitBytes !== undefined && rate.limitBytes < frame) {
    problems.push({
      path: "limitBytes",
      message: `limitBytes must take ${why}, ${frame} bytes, or the queue drops such packets; got ${rate.limitBytes}`,
    });
  }
  return problems;
}
