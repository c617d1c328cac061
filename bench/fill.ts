import { Redis } from 'ioredis';
import { createMarketData } from './data.js';
import { benchCache, writePoints } from './fill-points.js';

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
    const { cache } = benchCache(redis);
    const data = createMarketData(Date.now());
    await writePoints(cache, data);

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
