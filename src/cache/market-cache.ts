import {
  decodeBar,
  decodeFearGreed,
  decodeFundingRate,
  decodeLlmAnalysis,
  decodeTicker,
  encode,
  encodeBar,
  stamp,
  type Stamped,
} from './codec.js';
import { isCountedEntry, type KeyLayout } from './keys.js';
import type { Bar, FearGreed, FundingRate, LlmAnalysis, Ticker, Timeframe } from './market-types.js';
import type { StaleTier } from './stale-tier.js';
import type { CacheStore } from './store.js';
import { ttlMsFor, type TtlPolicy } from './ttl-policy.js';

export interface MarketCacheOptions {
  store: CacheStore;
  tier: StaleTier;
  keys: KeyLayout;
  ttl: TtlPolicy;
  /**
   * Seconds past its TTL Redis keeps a value of each kind that has a source, so that it can be
   * served stale while it is refreshed; kinds without a source are not kept past their TTL.
   */
  graceSeconds?: Partial<TtlPolicy>;
  barsMaxPerSeries: number;
}

type BarInput = Omit<Bar, 'symbol' | 'timeframe'>;

/**
 * Writes and invalidations, in the vocabulary of the API. Reads do not come through here: they
 * go through each request's loaders so that they batch (see `src/read/loaders.ts`).
 * Arguments are assumed valid; the schema validates them before any of this runs.
 *
 * It also keeps the stale tier honest. An acknowledged write becomes the value to serve during an
 * outage; a failed one changes nothing, in Redis (its deadline sees to that) or in the tier. An
 * invalidation forgets what it targets before it runs, so the tier never serves what a client
 * asked to remove, even if Redis fails meanwhile.
 */
export function createMarketCache({ store, tier, keys, ttl, graceSeconds = {}, barsMaxPerSeries }: MarketCacheOptions) {
  /** Forgets `touched` keys, and every bar range read of those that are series. */
  function forget(touched: readonly string[]) {
    for (const key of touched) tier.forget(key);
  }

  /**
   * Writes a point value. What is written is first read back through `decode`, the very check a
   * read applies, so that nothing is stored that a read would discard (a number the edge let
   * through as Infinity would be stored as `null`).
   */
  async function putPoint<T extends object>(
    key: string,
    value: T,
    ttlMs: number,
    decode: (raw: string) => unknown,
    kind: keyof TtlPolicy,
  ): Promise<Stamped<T>> {
    const stamped = stamp(value, Date.now(), ttlMs);
    const encoded = encode(stamped);
    decode(encoded);
    const ticket = tier.begin();
    try {
      await store.set(key, encoded, ttlMs + (graceSeconds[kind] ?? 0) * 1000, keys.lease(key));
      tier.remember(key, encoded, ticket);
    } finally {
      tier.end(ticket);
    }
    return stamped;
  }

  // An invalidation forgets its keys before it runs, so that the tier never serves them even if
  // Redis fails meanwhile, and again once it has run: a read that reached Redis before the delete
  // and came back after the first forget would otherwise put the old value back.
  // Leases go first (in the same atomic delete): a fill that started before the invalidation
  // then finds its lease gone and stores nothing.
  async function deleteEntries(entryKeys: string[]): Promise<number> {
    forget(entryKeys);
    try {
      const all = [...entryKeys.map(keys.lease), ...entryKeys];
      const existed = await store.delete(all);
      return existed.filter((found, i) => found && isCountedEntry(all[i]!)).length;
    } finally {
      forget(entryKeys);
    }
  }

  // A walk of the keyspace is not atomic: every lease goes in a first walk, so that no fill that
  // started before the invalidation can store behind the second one.
  async function deleteByPrefix(prefix: string, counts?: (key: string) => boolean): Promise<number> {
    tier.forgetPrefix(prefix);
    try {
      await store.deleteByPrefix(keys.leasePrefix(prefix));
      return await store.deleteByPrefix(prefix, counts);
    } finally {
      tier.forgetPrefix(prefix);
    }
  }

  return {
    /** Upserts bars by open time (the last of equal open times wins); resolves to how many are stored. */
    async putBars(symbol: string, timeframe: Timeframe, bars: readonly BarInput[], ttlSeconds?: number | null) {
      const byOpenTime = new Map(bars.map((bar) => [bar.openTime.getTime(), encodeBar(bar)]));
      for (const member of byOpenTime.values()) decodeBar(member, symbol, timeframe);
      if (byOpenTime.size === 0) return 0;
      const key = keys.bars(symbol, timeframe);
      const latestKey = keys.latestBar(symbol, timeframe);
      const stored = await store.upsertSeries({
        key,
        latestKey,
        members: [...byOpenTime].map(([score, member]) => ({ score, member })),
        ttlMs: ttlMsFor(ttl, 'bars', ttlSeconds),
        maxMembers: barsMaxPerSeries,
        lease: { key: keys.lease(key), drop: true },
      });
      forget([key, latestKey]);
      return stored;
    },

    putTicker: (ticker: Ticker, ttlSeconds?: number | null) =>
      putPoint(keys.ticker(ticker.symbol), ticker, ttlMsFor(ttl, 'ticker', ttlSeconds), decodeTicker, 'ticker'),

    putFundingRate: (fundingRate: FundingRate, ttlSeconds?: number | null) =>
      putPoint(keys.fundingRate(fundingRate.symbol), fundingRate, ttlMsFor(ttl, 'fundingRate', ttlSeconds), decodeFundingRate, 'fundingRate'),

    putFearGreed: (fearGreed: FearGreed, ttlSeconds?: number | null) =>
      putPoint(keys.fearGreed(), fearGreed, ttlMsFor(ttl, 'fearGreed', ttlSeconds), decodeFearGreed, 'fearGreed'),

    putLlmAnalysis: (analysis: LlmAnalysis, ttlSeconds?: number | null) =>
      putPoint(
        keys.llmAnalysis(analysis.analysisType, analysis.inputHash),
        analysis,
        ttlMsFor(ttl, 'llmAnalysis', ttlSeconds),
        decodeLlmAnalysis,
        'llmAnalysis',
      ),

    invalidateBars: (symbol: string, timeframe?: Timeframe | null) =>
      deleteEntries(timeframe ? [keys.bars(symbol, timeframe), keys.latestBar(symbol, timeframe)] : keys.allBarKeys(symbol)),

    invalidateTicker: (symbol: string) => deleteEntries([keys.ticker(symbol)]),

    invalidateFundingRate: (symbol: string) => deleteEntries([keys.fundingRate(symbol)]),

    invalidateFearGreed: () => deleteEntries([keys.fearGreed()]),

    invalidateLlmAnalysis: (analysisType: string, inputHash?: string | null) =>
      inputHash
        ? deleteEntries([keys.llmAnalysis(analysisType, inputHash)])
        : deleteByPrefix(keys.llmAnalysisType(analysisType)),

    /** The symbol's bars of every timeframe, its ticker and its funding rate: computed keys, no scan. */
    invalidateSymbol: (symbol: string) =>
      deleteEntries([keys.ticker(symbol), keys.fundingRate(symbol), ...keys.allBarKeys(symbol)]),

    /** Every key of this namespace and version, and nothing else. */
    invalidateAll: () => deleteByPrefix(keys.root, isCountedEntry),
  };
}

export type MarketCache = ReturnType<typeof createMarketCache>;
