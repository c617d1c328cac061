import DataLoader from 'dataloader';
import { CacheUnavailableError } from '../cache/cache-unavailable.js';
import { rangeKeyOf, type StaleTier } from '../cache/stale-tier.js';
import type { CacheStore, SeriesRange } from '../cache/store.js';

/** A value as read: from Redis, or from the in-process tier while Redis is unavailable. */
export interface Served<T> {
  value: T;
  stale: boolean;
}

/**
 * A request's loaders. Every point read of the request (tickers, funding rates, Fear & Greed,
 * LLM analyses, latest bars) goes through `points`, and every bar range through `ranges`.
 * DataLoader collects the loads made while the executor resolves sibling fields and dispatches
 * them together once the current promise jobs have run, so a whole query level costs one `MGET`
 * and one pipeline, however many fields, aliases and list entries ask.
 *
 * What Redis answers is remembered in the stale tier; when Redis is unavailable, each key is
 * answered from the tier (marked stale) or fails alone with `CacheUnavailableError`, so the rest
 * of the query still resolves.
 *
 * Loaders live for one request only: their memo must never outlive it, or one client would see
 * values another has since invalidated.
 */
export function createLoaders(store: CacheStore, tier: StaleTier) {
  // Made on first use: a query answered by a read plan needs neither.
  let points: DataLoader<string, Served<string> | null> | undefined;
  let ranges: DataLoader<SeriesRange, Served<string[]> | null, string> | undefined;
  return {
    get points() {
      return (points ??= new DataLoader((keys) => readThrough(tier, keys, pointKeyOf, store.getMany)));
    },
    get ranges() {
      return (ranges ??= new DataLoader((list) => readThrough(tier, list, rangeKeyOf, store.rangeMany), { cacheKeyFn: rangeKeyOf }));
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

const pointKeyOf = (key: string) => key;

/**
 * Reads `keys` with `read` (one store call), remembering each answer in the tier under
 * `tierKey(key)`; when the store is unavailable, answers each key from the tier (marked stale) or
 * with the `CacheUnavailableError`. Any other failure rejects.
 */
export async function readThrough<K, V extends string | string[]>(
  tier: StaleTier,
  keys: readonly K[],
  tierKey: (key: K) => string,
  read: (keys: readonly K[]) => Promise<Array<V | null>>,
): Promise<Array<Served<V> | null | Error>> {
  try {
    const values = await read(keys);
    keys.forEach((key, i) => tier.remember(tierKey(key), values[i] ?? null));
    return values.map((value) => (value === null ? null : { value, stale: false }));
  } catch (error) {
    if (!(error instanceof CacheUnavailableError)) throw error;
    return keys.map((key) => {
      const value = tier.recall(tierKey(key)) as V | undefined;
      return value === undefined ? error : { value, stale: true };
    });
  }
}
