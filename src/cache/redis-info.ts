import { Cluster } from 'ioredis';
import { CacheUnavailableError } from './cache-unavailable.js';
import type { RedisClient } from './redis-client.js';

/** Redis's own figures, from `INFO`: what an operator checks first. */
export interface RedisInfo {
  version: string;
  /** `standalone`, `cluster` or `sentinel` (a master found through Sentinel). */
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
 * answer within `timeoutMs` or at all. On a cluster it reads every master's, at once, and sums
 * them (see `sumRedisInfo`).
 */
export function createRedisInfoReader(redis: RedisClient, timeoutMs: number, { sentinel = false } = {}): () => Promise<RedisInfo> {
  const infos = async () => {
    if (!(redis instanceof Cluster)) return [parseRedisInfo(await redis.info())];
    const masters = redis.nodes('master');
    if (masters.length === 0) throw new Error('no master of the cluster is known yet');
    return Promise.all(masters.map(async (master) => parseRedisInfo(await master.info())));
  };
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CacheUnavailableError(`Redis did not answer INFO within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const info = sumRedisInfo(await Promise.race([infos(), late]));
      return sentinel ? { ...info, topology: 'sentinel' } : info;
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
 * A cluster's figures from its masters': memory, keys, hits and clients summed (`maxMemoryBytes`
 * `null` if any master has no limit), the versions and policies that differ listed with commas,
 * and the uptime of the youngest master.
 */
export function sumRedisInfo(infos: readonly RedisInfo[]): RedisInfo {
  if (infos.length === 1) return infos[0]!;
  const distinct = (field: 'version' | 'topology' | 'evictionPolicy') => [...new Set(infos.map((info) => info[field]))].join(',');
  const sum = (field: 'usedMemoryBytes' | 'evictedKeys' | 'keyspaceHits' | 'keyspaceMisses' | 'connectedClients') => infos.reduce((total, info) => total + info[field], 0);
  return {
    version: distinct('version'),
    topology: distinct('topology'),
    usedMemoryBytes: sum('usedMemoryBytes'),
    maxMemoryBytes: infos.some((info) => info.maxMemoryBytes === null) ? null : infos.reduce((total, info) => total + info.maxMemoryBytes!, 0),
    evictionPolicy: distinct('evictionPolicy'),
    evictedKeys: sum('evictedKeys'),
    keyspaceHits: sum('keyspaceHits'),
    keyspaceMisses: sum('keyspaceMisses'),
    connectedClients: sum('connectedClients'),
    uptimeSeconds: Math.min(...infos.map((info) => info.uptimeSeconds)),
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
    evictionPolicy.split(',').includes('noeviction') && 'Redis\'s maxmemory-policy is noeviction: once it is full, every write fails',
  ].filter(Boolean);
  if (problems.length === 0) return undefined;
  return `${problems.join('; ')} (set maxmemory and maxmemory-policy allkeys-lru in Redis's configuration)`;
}
