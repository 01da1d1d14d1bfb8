import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { validate } from "../../../provider/schema/checkFailures";
import { UNKNOWN } from "../../../provider/schema/unknown";
import {
  BURST_DEFAULT_MIN_BYTES,
  burstSlack,
  defaultBurstBytes,
  limitForLatency,
  rateProblems,
  sameRate,
  tbfOf,
} from "../../../provider/schema/rate";
import { tapDeviceSchema } from "../../../provider/schema/tapDevice";
import { vethPairSchema } from "../../../provider/schema/vethPair";
import { failuresOf, runCases } from "../../helpers/schema";

const managedBy = "proj/dev/TapDevice/t";
const tap = (rate: unknown, extra: Record<string, unknown> = {}) => ({
  name: "tap0",
  managedBy,
  rate,
  ...extra,
});

describe("a link end's rate: check", () => {
  runCases(tapDeviceSchema, [
    { title: "10 Mbit/s with the defaults", input: tap({ bitsPerSecond: 10_000_000 }) },
    {
      title: "a burst, a latency",
      input: tap({ bitsPerSecond: 1_000_000, burstBytes: 3000, latencyMs: 20 }),
    },
    { title: "a limit in bytes", input: tap({ bitsPerSecond: 8_000_000, limitBytes: 100_000 }) },
    {
      title: "a rate that is not a whole number of bytes",
      input: tap({ bitsPerSecond: 10_000_001 }),
      property: "rate.bitsPerSecond",
      reason: /multiple of 8: tc and the kernel keep the rate in bytes\/s, so 10000001 would become 10000000/,
    },
    { title: "no rate", input: tap({}), property: "rate.bitsPerSecond", reason: /required/ },
    {
      title: "a rate of 0",
      input: tap({ bitsPerSecond: 0 }),
      property: "rate.bitsPerSecond",
      reason: /from 8/,
    },
    {
      title: "a latency and a limit",
      input: tap({ bitsPerSecond: 8_000_000, latencyMs: 10, limitBytes: 100_000 }),
      property: "rate.limitBytes",
      reason: /latencyMs or limitBytes, not both/,
    },
    {
      title: "a burst that takes longer than tbf can count",
      input: tap({ bitsPerSecond: 8000, burstBytes: 1_000_000 }),
      property: "rate.burstBytes",
      reason: /takes 1000\.0 s to send at 8000 bit\/s.*at most 274\.9 s/,
    },
    {
      title: "a burst smaller than a full-size frame",
      input: tap({ bitsPerSecond: 1_000_000, burstBytes: 1000 }),
      property: "rate.burstBytes",
      reason: /mtu 1500, the default.*1514 bytes, or tbf drops such packets; got 1000/,
    },
    {
      title: "a burst smaller than a jumbo frame of the link's own mtu",
      input: tap({ bitsPerSecond: 1_000_000, burstBytes: 5000 }, { mtu: 9000 }),
      property: "rate.burstBytes",
      reason: /mtu 9000 plus 14 header bytes\), 9014 bytes/,
    },
    {
      title: "a queue smaller than a frame",
      input: tap({ bitsPerSecond: 1_000_000, limitBytes: 100 }),
      property: "rate.limitBytes",
      reason: /1514 bytes, or the queue drops such packets/,
    },
    {
      title: "a field that is not one",
      input: tap({ bitsPerSecond: 1_000_000, mbit: 1 }),
      property: "rate.mbit",
      reason: /unknown property/,
    },
  ]);

  test("defaults: 10 ms of the rate for the burst, at least ten frames; a 50 ms queue", () => {
    const { inputs } = validate(tapDeviceSchema, tap({ bitsPerSecond: 100_000_000 }));
    assert.deepEqual(inputs?.rate, { bitsPerSecond: 100_000_000, burstBytes: 125_000, latencyMs: 50 });
    assert.equal(defaultBurstBytes(1_000_000), BURST_DEFAULT_MIN_BYTES);
    const withLimit = validate(tapDeviceSchema, tap({ bitsPerSecond: 8_000_000, limitBytes: 100_000 }));
    assert.deepEqual(withLimit.inputs?.rate, {
      bitsPerSecond: 8_000_000,
      burstBytes: 15140,
      limitBytes: 100_000,
    });
  });

  test("the burst must hold one timer tick of the rate at the kernel's HZ", () => {
    const rate = { bitsPerSecond: 80_000_000, burstBytes: 50_000 };
    assert.deepEqual(rateProblems(rate, 1e9), []);
    const [problem] = rateProblems(rate, 100);
    assert.equal(problem?.path, "burstBytes");
    assert.match(
      problem?.message ?? "",
      /one timer tick of this kernel \(HZ 100.*100000 bytes at 80000000 bit\/s/,
    );
  });

  test("a veth end that takes the pair's mtu is checked against it", () => {
    const failures = failuresOf(vethPairSchema, {
      a: { name: "a", rate: { bitsPerSecond: 1_000_000, burstBytes: 5000 } },
      b: { name: "b" },
      mtu: 9000,
      managedBy: "proj/dev/VethPair/v",
    });
    assert.deepEqual(
      failures.map((f) => f.property),
      ["a.rate.burstBytes"],
    );
  });

  test("a value not known yet passes check and is compared as a change", () => {
    assert.deepEqual(failuresOf(tapDeviceSchema, tap({ bitsPerSecond: UNKNOWN })), []);
    assert.deepEqual(failuresOf(tapDeviceSchema, tap(UNKNOWN)), []);
    assert.equal(sameRate({ bitsPerSecond: 8000 }, { bitsPerSecond: UNKNOWN }), false);
  });
});

describe("a rate's kernel form and comparison", () => {
  test("a latency becomes the queue in bytes as tc computes it: rate * latency + burst", () => {
    assert.equal(limitForLatency(10_000_000, 50, 15140), 62_500 + 15140);
    assert.deepEqual(tbfOf({ bitsPerSecond: 10_000_000, burstBytes: 12345, latencyMs: 50 }), {
      bitsPerSecond: 10_000_000,
      burstBytes: 12345,
      limitBytes: 74845,
    });
  });

  test("what the kernel reads back (a burst rounded to its timer) is the same rate", () => {
    const wanted = { bitsPerSecond: 10_000_000, burstBytes: 12345, latencyMs: 50 };
    // tc 6.1 and kernel 6.18: 12345 bytes at 1.25 MB/s read back as 12343.
    assert.ok(sameRate({ bitsPerSecond: 10_000_000, burstBytes: 12343, limitBytes: 74845 }, wanted));
    assert.ok(!sameRate({ bitsPerSecond: 10_000_000, burstBytes: 12000, limitBytes: 74845 }, wanted));
    assert.ok(!sameRate({ bitsPerSecond: 10_000_000, burstBytes: 12343, limitBytes: 74846 }, wanted));
    assert.ok(!sameRate(undefined, wanted));
    assert.ok(sameRate(undefined, undefined));
  });

  test("property: a burst rounded down by less than a microsecond's worth at the rate is no change", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_250_000_000 }).map((b) => b * 8),
        fc.integer({ min: 1514, max: 10_000_000 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (bits, burst, fraction) => {
          const lost = Math.floor(((bits / 8) * fraction) / 1e6);
          const kernel = { bitsPerSecond: bits, burstBytes: burst - lost, limitBytes: 10 * burst };
          return (
            sameRate(kernel, { bitsPerSecond: bits, burstBytes: burst, limitBytes: 10 * burst }) &&
            lost <= burstSlack(bits)
          );
        },
      ),
    );
  });
});
