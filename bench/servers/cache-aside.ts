import { Redis } from 'ioredis';
import { serveOperations } from './serve-operations.js';

/**
 * The cold workload's peer: cache-aside as the usual write-ups do it, on bare `node:http` and
 * ioredis. `GET` the key; on a miss, fetch the upstream, `SET` the value with its TTL, answer.
 * No single flight: every request that finds the key missing calls the upstream itself.
 *
 * argv: the Redis URL, the upstream's `/fng/` URL (alternative.me's format), the TTL in seconds.
 * It answers the cold workload's operation (`FearGreed`) with the bytes the gateway writes for it,
 * `{"data":{"fearGreed":{"value":54,...,"stale":false}}}`: a GraphQL response shape without GraphQL,
 * as bench/servers/limit.ts does, so that only the read path differs.
 */
const [redisUrl, upstreamUrl, ttlArg] = process.argv.slice(2);
const ttlMs = Number(ttlArg) * 1000;
if (!redisUrl || !upstreamUrl || !(ttlMs > 0)) throw new TypeError(`cache-aside: expected argv <redis url> <upstream /fng/ url> <ttl seconds>, received ${JSON.stringify(process.argv.slice(2))}`);

const KEY = 'cache-aside:fear-greed';
const redis = new Redis(redisUrl);
const source = new URL(upstreamUrl);
source.searchParams.set('limit', '1');

/** The stored JSON: the reading in the gateway's shape, stamped with `cachedAt` and `expiresAt`. */
async function fearGreed(): Promise<string> {
  const cached = await redis.get(KEY);
  if (cached !== null) return cached;
  const response = await fetch(source);
  if (!response.ok) throw new Error(`upstream: GET ${source.href}: HTTP ${response.status}`);
  const { data } = (await response.json()) as { data: Array<Record<string, string>> };
  const reading = data[0]!;
  const now = Date.now();
  const value = JSON.stringify({
    value: Number(reading['value']),
    classification: reading['value_classification'],
    time: new Date(Number(reading['timestamp']) * 1000).toISOString(),
    cachedAt: new Date(now).toISOString(),
    expiresAt: new Date(now + ttlMs).toISOString(),
  });
  await redis.set(KEY, value, 'PX', ttlMs);
  return value;
}

await serveOperations({
  FearGreed: async () => `{"data":{"fearGreed":${(await fearGreed()).slice(0, -1)},"stale":false}}}`,
});
