import {
  decodeBar,
  decodeFearGreed,
  decodeFundingRate,
  decodeLlmAnalysis,
  decodeOrderBook,
  decodeTicker,
  decodeTrade,
  encode,
  encodeBar,
  encodeLogStamp,
  encodeTrade,
  stamp,
  type Stamped,
} from './codec.js';
import { isCountedEntry, type KeyLayout } from './keys.js';
import {
  CACHE_KINDS,
  SYMBOL_KINDS,
  TIMEFRAMES,
  type Bar,
  type CacheKind,
  type FearGreed,
  type FundingRate,
  type LlmAnalysis,
  type OrderBook,
  type SymbolKind,
  type Ticker,
  type Timeframe,
  type Trade,
} from './market-types.js';
import type { StaleTier } from './stale-tier.js';
import type { CacheStore, SetEntry } from './store.js';
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
  tradesMaxPerSymbol: number;
}

/** What is cached of a symbol, as the symbols index lists it. */
export interface CachedSymbol {
  symbol: string;
  kinds: CacheKind[];
  timeframes: Timeframe[];
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
export function createMarketCache({ store, tier, keys, ttl, graceSeconds = {}, barsMaxPerSeries, tradesMaxPerSymbol }: MarketCacheOptions) {
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
    const [written] = await putPoints([{ key, value, ttlMs }], decode, kind);
    return written!;
  }

  /** Writes point values of one kind, all or none, in one round trip (see `putPoint`). */
  async function putPoints<T extends object>(
    points: ReadonlyArray<{ key: string; value: T; ttlMs: number }>,
    decode: (raw: string) => unknown,
    kind: keyof TtlPolicy,
  ): Promise<Array<Stamped<T>>> {
    const now = Date.now();
    const stamped = points.map(({ value, ttlMs }) => stamp(value, now, ttlMs));
    const entries: SetEntry[] = points.map(({ key, ttlMs }, i) => {
      const encoded = encode(stamped[i]!);
      decode(encoded);
      const ttlInRedisMs = ttlMs + (graceSeconds[kind] ?? 0) * 1000;
      return { key, value: encoded, ttlMs: ttlInRedisMs, leaseKey: keys.lease(key), index: keys.indexRefOf(key) };
    });
    const ticket = tier.begin();
    try {
      if (entries.length === 1) {
        const [{ key, value, ttlMs, leaseKey, index }] = entries as [SetEntry];
        await store.set(key, value, ttlMs, leaseKey, index);
      } else {
        await store.setMany(entries);
      }
      for (const { key, value } of entries) tier.remember(key, value, ticket);
    } finally {
      tier.end(ticket);
    }
    return stamped;
  }

  /** Where the symbols index lists each of `entryKeys`, for those it lists. */
  const indexRefsOf = (entryKeys: readonly string[]) => entryKeys.flatMap((key) => keys.indexRefOf(key) ?? []);

  // An invalidation forgets its keys before it runs, so that the tier never serves them even if
  // Redis fails meanwhile, and again once it has run: a read that reached Redis before the delete
  // and came back after the first forget would otherwise put the old value back.
  // Leases go first (in the same atomic delete): a fill that started before the invalidation
  // then finds its lease gone and stores nothing.
  async function deleteEntries(entryKeys: string[]): Promise<number> {
    forget(entryKeys);
    try {
      const all = [...entryKeys.map(keys.lease), ...entryKeys];
      const existed = await store.delete(all, indexRefsOf(entryKeys));
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
      // A prefix that covers the symbols index (invalidateAll) removes it with the rest: its entries
      // need no update, and one would bring back its bookkeeping on a cluster (see redis-scripts.ts).
      const coversIndex = keys.index('ticker').startsWith(prefix);
      return await store.deleteByPrefix(prefix, counts, coversIndex ? undefined : (key) => keys.indexRefOf(key));
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
        index: keys.indexRefOf(key),
      });
      forget([key, latestKey]);
      return stored;
    },

    /**
     * Appends trades to the symbol's log, skipping those it holds already (by id, or without one
     * by every field), and refreshes its TTL; resolves to how many were new.
     */
    async putTrades(symbol: string, trades: readonly Trade[], ttlSeconds?: number | null) {
      const members = trades.map((trade) => ({ score: trade.time.getTime(), member: encodeTrade(trade), id: trade.id }));
      for (const { member } of members) decodeTrade(member);
      if (members.length === 0) return 0;
      const key = keys.trades(symbol);
      const ttlMs = ttlMsFor(ttl, 'trades', ttlSeconds);
      const ticket = tier.begin();
      try {
        return await store.appendLog({
          key,
          idsKey: keys.tradeIds(symbol),
          members,
          stamp: encodeLogStamp(stamp({}, Date.now(), ttlMs)),
          ttlMs: ttlMs + (graceSeconds.trades ?? 0) * 1000,
          maxMembers: tradesMaxPerSymbol,
          lease: { key: keys.lease(key), drop: true },
          index: keys.indexRefOf(key),
        });
      } finally {
        // The ranges read of the log before this write are out of date.
        forget([key]);
        tier.end(ticket);
      }
    },

    /** Stores every ticker, all or none, in one round trip; resolves to the count. */
    async putTickers(tickers: readonly Ticker[], ttlSeconds?: number | null) {
      const ttlMs = ttlMsFor(ttl, 'ticker', ttlSeconds);
      await putPoints(
        tickers.map((ticker) => ({ key: keys.ticker(ticker.symbol), value: ticker, ttlMs })),
        decodeTicker,
        'ticker',
      );
      return tickers.length;
    },

    /** Replaces the symbol's order book; its sides are stored best first. */
    putOrderBook: (book: OrderBook, ttlSeconds?: number | null) =>
      putPoint(
        keys.orderBook(book.symbol),
        { ...book, bids: [...book.bids].sort((a, b) => b.price - a.price), asks: [...book.asks].sort((a, b) => a.price - b.price) },
        ttlMsFor(ttl, 'orderBook', ttlSeconds),
        decodeOrderBook,
        'orderBook',
      ),

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

    invalidateOrderBook: (symbol: string) => deleteEntries([keys.orderBook(symbol)]),

    invalidateTrades: (symbol: string) => deleteEntries([keys.trades(symbol), keys.tradeIds(symbol)]),

    /** Every entry of one kind, everywhere (an admin operation: it walks the keyspace). */
    invalidateKind: (kind: CacheKind) =>
      kind === 'fearGreed' ? deleteEntries([keys.fearGreed()]) : deleteByPrefix(keys.kindPrefix(kind), isCountedEntry),

    /**
     * What is cached now, by symbol, from the symbols index (one command per kind, whatever the
     * size of the cache): of every kind, or of `kind` only.
     */
    async symbols(kind?: CacheKind | null): Promise<CachedSymbol[]> {
      const kinds = SYMBOL_KINDS.filter((k) => kind == null || k === kind);
      const members = await store.indexed(kinds.map((k) => keys.index(k)));
      const bySymbol = new Map<string, { kinds: Set<SymbolKind>; timeframes: Set<Timeframe> }>();
      kinds.forEach((k, i) => {
        for (const member of members[i]!) {
          const [symbol, timeframe] = member.split(' ') as [string, Timeframe | undefined];
          const found = bySymbol.get(symbol) ?? { kinds: new Set(), timeframes: new Set() };
          found.kinds.add(k);
          if (timeframe !== undefined) found.timeframes.add(timeframe);
          bySymbol.set(symbol, found);
        }
      });
      return [...bySymbol]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([symbol, found]) => ({
          symbol,
          kinds: CACHE_KINDS.filter((k) => found.kinds.has(k as SymbolKind)),
          timeframes: TIMEFRAMES.filter((tf) => found.timeframes.has(tf)),
        }));
    },

    invalidateLlmAnalysis: (analysisType: string, inputHash?: string | null) =>
      inputHash
        ? deleteEntries([keys.llmAnalysis(analysisType, inputHash)])
        : deleteByPrefix(keys.llmAnalysisType(analysisType)),

    /** The symbol's bars of every timeframe, ticker, funding rate, order book and trades: computed keys, no scan. */
    invalidateSymbol: (symbol: string) =>
      deleteEntries([
        keys.ticker(symbol),
        keys.fundingRate(symbol),
        keys.orderBook(symbol),
        keys.trades(symbol),
        keys.tradeIds(symbol),
        ...keys.allBarKeys(symbol),
      ]),

    /** Every key of this namespace and version, and nothing else. */
    invalidateAll: () => deleteByPrefix(keys.root, isCountedEntry),
  };
}

export type MarketCache = ReturnType<typeof createMarketCache>;
