import type { KeyLayout } from '../cache/keys.js';
import { CACHE_KINDS, SYMBOL_KINDS, type CacheKind } from '../cache/market-types.js';
import type { RedisInfo } from '../cache/redis-info.js';
import type { CacheStore } from '../cache/store.js';
import type { Metrics } from './metrics.js';

export interface KindStats {
  kind: CacheKind;
  reads: number;
  hits: number;
  /** `null` before the first read. */
  hitRate: number | null;
  /**
   * Read on demand, once for every kind: `null` where nothing lists the keys of the kind (LLM
   * analyses); rejects with `CacheUnavailableError` when the store does not answer.
   */
  keys: () => Promise<number | null>;
}

export interface CacheStatsDeps {
  store: CacheStore;
  keys: KeyLayout;
  metrics: Pick<Metrics, 'readsOf'>;
  /** Redis's own figures; none on the in-memory store. */
  redisInfo?: () => Promise<RedisInfo>;
}

/**
 * What `cacheStats` reports: this gateway's reads since start, the keys of each kind from the
 * symbols index (one round trip, whatever the size of the cache: never a walk of the keyspace),
 * and Redis's own figures.
 */
export function createCacheStats({ store, keys, metrics, redisInfo }: CacheStatsDeps) {
  return {
    kinds(): KindStats[] {
      let counts: Promise<Map<CacheKind, number | null>> | undefined;
      const countKeys = async () => {
        const [indexed, [fearGreed]] = await Promise.all([
          store.indexed(SYMBOL_KINDS.map((kind) => keys.index(kind))),
          store.getMany([keys.fearGreed()]),
        ]);
        const found = new Map<CacheKind, number | null>(SYMBOL_KINDS.map((kind, i) => [kind, indexed[i]!.length]));
        return found.set('fearGreed', fearGreed == null ? 0 : 1).set('llmAnalysis', null);
      };
      return CACHE_KINDS.map((kind) => {
        const { reads, hits } = metrics.readsOf(kind);
        return { kind, reads, hits, hitRate: reads === 0 ? null : hits / reads, keys: async () => (await (counts ??= countKeys())).get(kind)! };
      });
    },
    /** `null` on the in-memory store; rejects with `CacheUnavailableError` when Redis does not answer. */
    redis: async (): Promise<RedisInfo | null> => (redisInfo === undefined ? null : redisInfo()),
  };
}

export type CacheStats = ReturnType<typeof createCacheStats>;
