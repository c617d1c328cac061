import { Redis } from 'ioredis';
import { createKeyLayout } from '../src/cache/keys.js';
import { createMarketCache } from '../src/cache/market-cache.js';
import { createRedisStore } from '../src/cache/redis-store.js';
import { createStaleTier } from '../src/cache/stale-tier.js';
import { DEFAULTS } from '../src/defaults.js';
import { BARS_PER_SERIES, createMarketData, TTL_SECONDS } from './data.js';

/** Bar series written at once: enough to keep Redis busy, few enough to bound the client's memory. */
const SERIES_IN_FLIGHT = 4;

/**
 * Writes the benchmark's market into Redis through the gateway's own store and market cache, so
 * that keys, encodings, stamps and series are exactly what the gateway writes and reads. Every
 * value lives `TTL_SECONDS`, far longer than a run.
 */
export async function fillRedis(redisUrl: string): Promise<{ keys: number; ms: number }> {
  const startedAt = performance.now();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    // Generous limits: a 5000-bar upsert is one Lua call, and nothing else runs meanwhile.
    const store = createRedisStore({ redis, readTimeoutMs: 10_000, writeTimeoutMs: 10_000 });
    const keys = createKeyLayout({ namespace: 'mdc', version: 'v1' });
    const ttl = { ticker: TTL_SECONDS, fundingRate: TTL_SECONDS, fearGreed: TTL_SECONDS, bars: TTL_SECONDS, llmAnalysis: TTL_SECONDS, orderBook: TTL_SECONDS, trades: TTL_SECONDS };
    const tier = createStaleTier({ maxBytes: 0, maxAgeMs: 0 });
    const cache = createMarketCache({ store, tier, keys, ttl, barsMaxPerSeries: BARS_PER_SERIES, tradesMaxPerSymbol: DEFAULTS.cache.tradesMaxPerSymbol });
    const data = createMarketData(Date.now());

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

    const series = data.series();
    const writer = async () => {
      for (let next = series.next(); !next.done; next = series.next()) {
        const { symbol, timeframe, bars } = next.value;
        const stored = await cache.putBars(symbol, timeframe, bars);
        if (stored !== bars.length) throw new Error(`fill: expected ${bars.length} bars stored for ${symbol} ${timeframe}, Redis holds ${stored}`);
      }
    };
    await Promise.all(Array.from({ length: SERIES_IN_FLIGHT }, writer));
    return { keys: await redis.dbsize(), ms: performance.now() - startedAt };
  } finally {
    redis.disconnect();
  }
}
