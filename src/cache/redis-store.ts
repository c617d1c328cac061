import type { ChainableCommander, Redis, Result } from 'ioredis';
import type { CacheStore, SeriesRange } from './store.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    mdcUpsertSeries(
      seriesKey: string,
      latestKey: string,
      ttlMs: number,
      maxMembers: number,
      ...scoreMemberPairs: Array<string | number>
    ): Result<number, Context>;
    mdcDiscard(key: string, raw: string): Result<number, Context>;
  }
}

// One script so that a bar write is atomic: concurrent writers to one series interleave whole
// calls, never bars, and a failed call leaves the series and its latest-bar pointer as they were.
// Removing the score's old member before ZADD is what makes the write an upsert by open time.
const UPSERT_SERIES = `
local ttlMs, maxMembers = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 3, #ARGV, 2 do
  redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[i], ARGV[i])
  redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
end
local size = redis.call('ZCARD', KEYS[1])
if size > maxMembers then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, size - maxMembers - 1)
end
redis.call('PEXPIRE', KEYS[1], ttlMs)
redis.call('SET', KEYS[2], redis.call('ZRANGE', KEYS[1], -1, -1)[1], 'PX', ttlMs)
local kept = 0
for i = 3, #ARGV, 2 do
  kept = kept + redis.call('ZCOUNT', KEYS[1], ARGV[i], ARGV[i])
end
return kept
`;

// Compare-and-delete, so that a value written between the failed decode and this call survives.
const DISCARD = `
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'string' then
  if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
elseif kind == 'zset' then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
`;

const SCAN_BATCH = 500;

/**
 * A store on a caller-owned ioredis client: the caller connects and closes it. Every key the
 * gateway passes here is already namespaced; this store adds nothing and never touches other keys.
 */
export function createRedisStore({ redis }: { redis: Redis }): CacheStore {
  redis.defineCommand('mdcUpsertSeries', { numberOfKeys: 2, lua: UPSERT_SERIES });
  redis.defineCommand('mdcDiscard', { numberOfKeys: 1, lua: DISCARD });

  return {
    async getMany(keys) {
      return keys.length === 0 ? [] : redis.mget(...keys);
    },

    async rangeMany(ranges) {
      if (ranges.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const range of ranges) addRange(pipeline, range);
      return resultsOf(await pipeline.exec()) as string[][];
    },

    async set(key, value, ttlMs) {
      await redis.set(key, value, 'PX', ttlMs);
    },

    async upsertSeries({ key, latestKey, members, ttlMs, maxMembers }) {
      if (members.length === 0) return 0;
      const pairs = members.flatMap(({ score, member }) => [score, member]);
      return redis.mdcUpsertSeries(key, latestKey, ttlMs, maxMembers, ...pairs);
    },

    async delete(keys) {
      if (keys.length === 0) return [];
      const transaction = redis.multi();
      for (const key of keys) transaction.del(key);
      return (resultsOf(await transaction.exec()) as number[]).map((deleted) => deleted === 1);
    },

    async deleteByPrefix(prefix, counts = () => true) {
      let deleted = 0;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', SCAN_BATCH);
        cursor = next;
        if (keys.length === 0) continue;
        // UNLINK one key at a time (pipelined) so that each result says whether that key existed,
        // and a key that expired between SCAN and UNLINK is not counted.
        const pipeline = redis.pipeline();
        for (const key of keys) pipeline.unlink(key);
        const results = resultsOf(await pipeline.exec()) as number[];
        results.forEach((removed, i) => {
          if (removed === 1 && counts(keys[i]!)) deleted += 1;
        });
      } while (cursor !== '0');
      return deleted;
    },

    async discard(key, raw) {
      await redis.mdcDiscard(key, raw);
    },

    async close() {},
  };
}

function addRange(pipeline: ChainableCommander, { key, minScore, maxScore, limit }: SeriesRange) {
  const max = maxScore === undefined ? '+inf' : maxScore;
  const min = minScore === undefined ? '-inf' : minScore;
  pipeline.zrange(key, max, min, 'BYSCORE', 'REV', 'LIMIT', 0, limit);
}

/** Unwraps a pipeline's `[error, result]` pairs, failing the whole batch on the first error. */
function resultsOf(replies: Array<[Error | null, unknown]> | null): unknown[] {
  if (replies === null) throw new Error('Redis aborted the transaction (EXEC returned null)');
  return replies.map(([error, result]) => {
    if (error) throw error;
    return result;
  });
}

/** Escapes the characters `SCAN MATCH` treats as a pattern, so a prefix only matches itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
