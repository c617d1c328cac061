import type { RedisInfo } from '../cache/redis-info.js';
import type { CacheStats, KindStats } from '../metrics/cache-stats.js';
import { adminOnly } from '../resolvers/auth.js';
import { cacheStatsResolvers } from '../resolvers/cache-stats.js';
import { builder } from './builder.js';
import { CacheKindEnum } from './cache-kind.js';

const KindStatsType = builder.objectRef<KindStats>('KindStats').implement({
  description: "One kind's reads by this gateway since it started, and its keys cached now.",
  fields: (t) => ({
    kind: t.expose('kind', { type: CacheKindEnum }),
    reads: t.exposeFloat('reads', { description: 'Keys (and bar or trade ranges) of this kind read by requests to this gateway since it started.' }),
    hits: t.exposeFloat('hits', { description: 'Those of the reads that found a fresh value.' }),
    hitRate: t.exposeFloat('hitRate', { nullable: true, description: '`hits / reads`; null before the first read.' }),
    keys: t.int({
      nullable: true,
      description:
        'Entries of this kind cached now, from the symbols index (a bar series counts once per timeframe; Fear & Greed is 0 or 1): never a walk of the keyspace. Null for LLM analyses, which no index lists.',
      resolve: cacheStatsResolvers.keys,
    }),
  }),
});

const RedisStatsType = builder.objectRef<RedisInfo>('RedisStats').implement({
  description: "Redis's own figures, from INFO.",
  fields: (t) => ({
    version: t.exposeString('version'),
    topology: t.exposeString('topology', { description: '`redis_mode`: standalone, cluster or sentinel.' }),
    usedMemoryBytes: t.exposeFloat('usedMemoryBytes'),
    maxMemoryBytes: t.exposeFloat('maxMemoryBytes', { nullable: true, description: 'Null when Redis has no `maxmemory`.' }),
    evictionPolicy: t.exposeString('evictionPolicy', { description: '`maxmemory-policy`.' }),
    evictedKeys: t.exposeFloat('evictedKeys', { description: 'Keys Redis evicted for memory since it started.' }),
    keyspaceHits: t.exposeFloat('keyspaceHits', { description: 'Lookups that found their key, since Redis started (every client of it).' }),
    keyspaceMisses: t.exposeFloat('keyspaceMisses'),
    connectedClients: t.exposeInt('connectedClients'),
    uptimeSeconds: t.exposeFloat('uptimeSeconds'),
  }),
});

const CacheStatsType = builder.objectRef<CacheStats>('CacheStats').implement({
  description: "This gateway's reads since it started, the keys cached now, and Redis's own figures.",
  fields: (t) => ({
    kinds: t.field({ type: [KindStatsType], description: 'Every kind, in the order of `CacheKind`.', resolve: (stats) => stats.kinds() }),
    redis: t.field({
      type: RedisStatsType,
      nullable: true,
      description: 'Null on the in-memory store, and (with a CACHE_UNAVAILABLE error) when Redis does not answer.',
      resolve: (stats) => stats.redis(),
    }),
  }),
});

builder.queryFields((t) => ({
  cacheStats: t.field({
    ...adminOnly,
    type: CacheStatsType,
    // Refused, it is null alone: the other fields of the query still resolve.
    nullable: true,
    description: "This gateway's hit rate per kind since it started, the keys cached per kind, and Redis's own figures (admin token only).",
    resolve: cacheStatsResolvers.cacheStats,
  }),
}));
