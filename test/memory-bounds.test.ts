import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../src/cache/memory-store.js';
import { createStaleTier, rangeKeyOf, type StaleTier } from '../src/cache/stale-tier.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { readThrough } from '../src/read/loaders.js';

/**
 * The in-process caches are bounded by what they cost in memory, measured as the heap a
 * collection leaves, and not by a count that believes each entry costs only its characters.
 */

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MiB = 1024 * 1024;

/** Bytes of heap in use once everything unreachable has been collected. */
function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** A fresh, flat string (as a Redis reply is) of about `length` characters, told apart by `i`. */
const flatString = (i: number, length: number) => JSON.stringify({ i, text: 'x'.repeat(length) });

const BAR_HOUR_MS = 3_600_000;
/** A bar as the gateway stores it in a series: about 100 characters of JSON. */
const barJson = (openTimeMs: number, i: number) =>
  JSON.stringify({ openTime: new Date(openTimeMs).toISOString(), open: 100 + i, high: 110 + i, low: 90 + i, close: 105 + i, volume: 3.5 + i });

describe('the in-memory store', () => {
  it('holds 300 values of 1 MB in a 32 MiB store within 3 times that, the newest readable and the oldest evicted', async () => {
    const maxBytes = 32 * MiB;
    const before = heapUsed();
    const store = createMemoryStore({ maxBytes });
    for (let i = 0; i < 300; i++) await store.set(`mdc:v1:llm:{sentiment}:${i}`, flatString(i, 1_000_000), 600_000);
    const growth = heapUsed() - before;
    console.info(`300 values of 1 MB in a ${maxBytes / MiB} MiB memory store: the heap grew by ${(growth / MiB).toFixed(1)} MiB`);

    expect(growth).toBeLessThan(3 * maxBytes);
    const [newest, oldest] = await store.getMany(['mdc:v1:llm:{sentiment}:299', 'mdc:v1:llm:{sentiment}:0']);
    expect(newest === flatString(299, 1_000_000)).toBe(true);
    expect(oldest).toBeNull();
  });

  it('counts bar series toward its bound: 100 series of 5000 bars in a 16 MiB store grow the heap by less than 3 times that', async () => {
    const maxBytes = 16 * MiB;
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const series = (i: number) => `mdc:v1:bars:{S${i}/USDT}:1h`;
    const before = heapUsed();
    const store = createMemoryStore({ maxBytes });
    for (let i = 0; i < 100; i++) {
      const members = Array.from({ length: 5000 }, (_, bar) => ({ score: t0 + bar * BAR_HOUR_MS, member: barJson(t0 + bar * BAR_HOUR_MS, i) }));
      await store.upsertSeries({ key: series(i), latestKey: `${series(i)}:latest`, members, ttlMs: 600_000, maxMembers: 5000 });
    }
    const growth = heapUsed() - before;
    console.info(`100 series of 5000 bars in a ${maxBytes / MiB} MiB memory store: the heap grew by ${(growth / MiB).toFixed(1)} MiB`);

    expect(growth).toBeLessThan(3 * maxBytes);
    const [newest, oldest] = await store.rangeMany([
      { key: series(99), limit: 5000 },
      { key: series(0), limit: 5000 },
    ]);
    expect(newest).toHaveLength(5000);
    expect(newest![0]).toBe(barJson(t0 + 4999 * BAR_HOUR_MS, 99));
    expect(oldest).toEqual([]);
  });
});

describe('MEMORY_MAX_BYTES', () => {
  it('sets the in-memory store’s bound in bytes', () => {
    expect(loadConfig({ MEMORY_MAX_BYTES: '1048576' }).memoryMaxBytes).toBe(1_048_576);
  });

  it('is 64 MiB by default', () => {
    expect(loadConfig({}).memoryMaxBytes).toBe(67_108_864);
  });

  it.each(['lots', '-1', '1.5'])('refuses %s with a ConfigError naming MEMORY_MAX_BYTES', (value) => {
    expect(() => loadConfig({ MEMORY_MAX_BYTES: value })).toThrow(ConfigError);
    expect(() => loadConfig({ MEMORY_MAX_BYTES: value })).toThrow(/^MEMORY_MAX_BYTES: expected /);
  });
});

describe('the stale tier', () => {
  const maxBytes = 16 * MiB;
  const BATCH = 1000;

  /**
   * Leaves in `tier` what reads that found `valueOf(i)` at `keyOf(i)` in Redis leave, for
   * i from `from` to `to` (excluded), read as the loaders read: a batch of keys a call.
   */
  async function readInto(
    tier: StaleTier,
    keyOf: (i: number) => string,
    valueOf: (i: number) => string | string[],
    from: number,
    to: number,
  ) {
    for (let start = from; start < to; start += BATCH) {
      const ids = Array.from({ length: Math.min(BATCH, to - start) }, (_, j) => start + j);
      await readThrough(tier, ids.map(keyOf), (key) => key, async () => ids.map(valueOf));
    }
  }

  const tickerKey = (i: number) => `mdc:v1:ticker:{S${i}/USDT}`;
  /** About 60 characters, flat. */
  const tickerValue = (i: number) => JSON.stringify({ s: `S${i}/USDT`, last: i + 0.25, t: '2026-01-01T00:00:00Z' });
  const rangeKey = (i: number) => rangeKeyOf({ key: `mdc:v1:bars:{S${i}/USDT}:1h`, limit: 100 });

  it.each([
    { entries: 'ticker values of about 60 bytes', keyOf: tickerKey, valueOf: tickerValue, kept: true },
    { entries: 'bar ranges of one bar', keyOf: rangeKey, valueOf: (i: number) => [barJson(i * BAR_HOUR_MS, i)], kept: true },
    // A miss is not worth keeping: a client reading many series that do not exist leaves nothing.
    { entries: 'empty bar ranges (series that do not exist)', keyOf: rangeKey, valueOf: () => [], kept: false },
  ])(
    'holds 500,000 $entries within twice its 16 MiB bound',
    async ({ keyOf, valueOf, kept }) => {
      const before = heapUsed();
      const tier = createStaleTier({ maxBytes, maxAgeMs: 600_000 });
      await readInto(tier, keyOf, valueOf, 0, 500_000);
      const growth = heapUsed() - before;
      console.info(`500,000 entries in a ${maxBytes / MiB} MiB stale tier: the heap grew by ${(growth / MiB).toFixed(1)} MiB`);

      expect(growth).toBeLessThan(2 * maxBytes);
      expect(tier.recall(keyOf(499_999))).toEqual(kept ? valueOf(499_999) : undefined);
      expect(tier.recall(keyOf(0))).toBeUndefined();
    },
    120_000,
  );

  it(
    'remembers at its bound, evicting, at least a fifth as fast as below it',
    async () => {
      const roomyTier = createStaleTier({ maxBytes: 1024 * MiB, maxAgeMs: 600_000 });
      const saturatedTier = createStaleTier({ maxBytes, maxAgeMs: 600_000 });
      // Past its bound (16 MiB holds under 100,000 of these however they are counted); this also
      // warms up the code measured below.
      await readInto(saturatedTier, tickerKey, tickerValue, 0, 150_000);

      const timed = async (fill: () => Promise<void>) => {
        gc();
        const started = performance.now();
        await fill();
        return performance.now() - started;
      };
      const belowMs = await timed(() => readInto(roomyTier, tickerKey, tickerValue, 0, 200_000));
      const atBoundMs = await timed(() => readInto(saturatedTier, tickerKey, tickerValue, 150_000, 350_000));
      console.info(`200,000 reads remembered: ${belowMs.toFixed(0)} ms below the bound, ${atBoundMs.toFixed(0)} ms at it, evicting`);

      expect(roomyTier.recall(tickerKey(0))).toBe(tickerValue(0)); // nothing was evicted there
      expect(saturatedTier.recall(tickerKey(149_999))).toBeUndefined(); // there, everything before was
      expect(atBoundMs).toBeLessThan(5 * belowMs);
    },
    120_000,
  );
});
