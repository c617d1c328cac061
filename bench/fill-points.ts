import { Cluster } from 'ioredis';
import { createKeyLayout } from '../src/cache/keys.js';
import { createMarketCache, type MarketCache } from '../src/cache/market-cache.js';
import type { RedisClient } from '../src/cache/redis-client.js';
import { createRedisStore } from '../src/cache/redis-store.js';
import { createStaleTier } from '../src/cache/stale-tier.js';
import { DEFAULTS } from '../src/defaults.js';
import { BARS_PER_SERIES, createMarketData, TTL_SECONDS, type MarketData } from './data.js';

/**
 * Writes the benchmark's point values (fill.ts's market without its 400 bar series: tickers,
 * funding rates, order books, trades, Fear & Greed and the LLM analysis) through the gateway's own
 * store and market cache, on any topology: `redis` is a standalone connection or a Redis Cluster,
 * owned by the caller. The bar series are what makes fill.ts take 20 s and 450 MB; the cluster
 * section's workloads (W2, W6) read tickers only. Two fills given the same `nowMs` write the same
 * values; only the stamps the cache puts on them (`cachedAt`, `expiresAt`) differ.
 */
export async function fillPoints(redis: RedisClient, nowMs: number): Promise<{ keys: number; ms: number }> {
  const startedAt = performance.now();
  const { store, cache } = benchCache(redis);
  try {
    await writePoints(cache, createMarketData(nowMs));
    const masters = redis instanceof Cluster ? redis.nodes('master') : [redis];
    const sizes = await Promise.all(masters.map((master) => master.dbsize()));
    return { keys: sizes.reduce((sum, n) => sum + n, 0), ms: performance.now() - startedAt };
  } finally {
    await store.close();
  }
}

/**
 * The gateway's own store and market cache on `redis`, every value living `TTL_SECONDS`, with
 * generous time limits: a 5000-bar upsert is one Lua call, and nothing else runs meanwhile.
 */
export function benchCache(redis: RedisClient) {
  const store = createRedisStore({ redis, readTimeoutMs: 10_000, writeTimeoutMs: 10_000 });
  const keys = createKeyLayout({ namespace: 'mdc', version: 'v1' });
  const ttl = { ticker: TTL_SECONDS, fundingRate: TTL_SECONDS, fearGreed: TTL_SECONDS, bars: TTL_SECONDS, llmAnalysis: TTL_SECONDS, orderBook: TTL_SECONDS, trades: TTL_SECONDS };
  const tier = createStaleTier({ maxBytes: 0, maxAgeMs: 0 });
  const cache = createMarketCache({ store, tier, keys, ttl, barsMaxPerSeries: BARS_PER_SERIES, tradesMaxPerSymbol: DEFAULTS.cache.tradesMaxPerSymbol });
  return { store, cache };
}

/** Writes every point value of `data` (all but its bar series) through `cache`. */
export async function writePoints(cache: MarketCache, data: MarketData): Promise<void> {
  await Promise.all([
    ...data.tickers.map((ticker) => cache.putTicker(ticker)),
    ...data.fundingRates.map((rate) => cache.putFundingRate(rate)),
    cache.putFearGreed(data.fearGreed),
    cache.putLlmAnalysis(data.llmAnalysis),
    ...data.orderBooks.map((book) => cache.putOrderBook(book)),
    ...data.trades.map(async ({ symbol, trades }) => {
      const stored = await cache.putTrades(symbol, trades);
      if (stored !== trades.length) throw new Error(`fill: expected ${trades.length} trades stored for ${symbol}, Redis holds ${stored}`);
    }),
  ]);
}
