import type { Redis } from 'ioredis';
import { CacheUnavailableError } from './cache-unavailable.js';

/** Redis's own figures, from `INFO`: what an operator checks first. */
export interface RedisInfo {
  version: string;
  /** `redis_mode`: standalone, cluster or sentinel. */
  topology: string;
  usedMemoryBytes: number;
  /** `null`: no `maxmemory`, Redis grows until the machine runs out. */
  maxMemoryBytes: number | null;
  evictionPolicy: string;
  evictedKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  connectedClients: number;
  uptimeSeconds: number;
}

/**
 * Reads `INFO` (its default sections: server, clients, memory, stats and more; one round trip, a
 * few KB, never a walk of the keyspace), failing with `CacheUnavailableError` when Redis does not
 * answer within `timeoutMs` or at all.
 */
export function createRedisInfoReader(redis: Redis, timeoutMs: number): () => Promise<RedisInfo> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CacheUnavailableError(`Redis did not answer INFO within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return parseRedisInfo(await Promise.race([redis.info(), late]));
    } catch (error) {
      if (error instanceof CacheUnavailableError) throw error;
      throw new CacheUnavailableError('Redis did not answer INFO', { cause: error });
    } finally {
      clearTimeout(timer);
    }
  };
}

/** `INFO`'s text (`field:value` lines under `# Section` headings), checked field by field. */
export function parseRedisInfo(text: string): RedisInfo {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  const string = (name: string) => {
    const value = fields.get(name);
    if (value === undefined || value === '') throw new Error(`Redis INFO: expected a field ${name}, received none`);
    return value;
  };
  const count = (name: string) => {
    const value = string(name);
    if (!/^\d+$/.test(value)) throw new Error(`Redis INFO: expected ${name} to be a non-negative integer, received ${JSON.stringify(value)}`);
    return Number(value);
  };
  const maxMemoryBytes = count('maxmemory');
  return {
    version: string('redis_version'),
    topology: string('redis_mode'),
    usedMemoryBytes: count('used_memory'),
    maxMemoryBytes: maxMemoryBytes === 0 ? null : maxMemoryBytes,
    evictionPolicy: string('maxmemory_policy'),
    evictedKeys: count('evicted_keys'),
    keyspaceHits: count('keyspace_hits'),
    keyspaceMisses: count('keyspace_misses'),
    connectedClients: count('connected_clients'),
    uptimeSeconds: count('uptime_in_seconds'),
  };
}

/**
 * What is wrong with Redis's memory settings for a cache, if anything: with no `maxmemory`, or
 * with the `noeviction` policy, Redis refuses writes once it is full instead of dropping old keys.
 * The gateway only says so: Redis's configuration is its operator's.
 */
export function memoryPolicyProblem({ maxMemoryBytes, evictionPolicy }: Pick<RedisInfo, 'maxMemoryBytes' | 'evictionPolicy'>): string | undefined {
  const problems = [
    maxMemoryBytes === null && 'Redis has no maxmemory: it grows until the machine runs out of memory, and writes then fail',
    evictionPolicy === 'noeviction' && 'Redis\'s maxmemory-policy is noeviction: once it is full, every write fails',
  ].filter(Boolean);
  if (problems.length === 0) return undefined;
  return `${problems.join('; ')} (set maxmemory and maxmemory-policy allkeys-lru in Redis's configuration)`;
}
