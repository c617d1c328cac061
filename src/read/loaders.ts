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
  const readAhead: ReadAhead = { points: new Map(), ranges: new Map() };
  // Made on first use: a query answered by a read plan needs neither.
  let points: DataLoader<string, Served<string> | null> | undefined;
  let ranges: DataLoader<SeriesRange, Served<string[]> | null, string> | undefined;
  return {
    get points() {
      return (points ??= new DataLoader((keys) =>
        answer(keys, pointKeyOf, readAhead.points, (unread) => readThrough(tier, unread, pointKeyOf, store.getMany)),
      ));
    },
    get ranges() {
      return (ranges ??= new DataLoader(
        (list) => answer(list, rangeKeyOf, readAhead.ranges, (unread) => readThrough(tier, unread, rangeKeyOf, store.rangeMany)),
        { cacheKeyFn: rangeKeyOf },
      ));
    },
    /**
     * What a read plan has already read for this request, by key (or range key), before it handed
     * the request to the executor: the loaders answer those keys from here instead of Redis,
     * batching and ordering exactly as if they had read them.
     */
    readAhead,
  };
}

export interface ReadAhead {
  points: Map<string, Served<string> | null | Error>;
  ranges: Map<string, Served<string[]> | null | Error>;
}

export type Loaders = ReturnType<typeof createLoaders>;

const pointKeyOf = (key: string) => key;

/** The answers to `keys`: what was read ahead, and the rest read now. */
async function answer<K, V>(
  keys: readonly K[],
  idOf: (key: K) => string,
  readAhead: ReadonlyMap<string, V>,
  read: (keys: readonly K[]) => Promise<V[]>,
): Promise<V[]> {
  if (readAhead.size === 0) return read(keys);
  const ids = keys.map(idOf);
  const unread = keys.filter((_, i) => !readAhead.has(ids[i]!));
  const fresh = unread.length === 0 ? [] : await read(unread);
  const freshById = new Map(unread.map((key, i) => [idOf(key), fresh[i]!]));
  return ids.map((id) => (readAhead.has(id) ? readAhead.get(id)! : freshById.get(id)!));
}

/**
 * Reads `keys` with `read` (one store call), remembering each answer in the tier under
 * `tierKey(key)` (unless an invalidation forgot it while the read was out); when the store is
 * unavailable, answers each key from the tier (marked stale) or with the `CacheUnavailableError`.
 * Any other failure rejects.
 */
export async function readThrough<K, V extends string | string[]>(
  tier: StaleTier,
  keys: readonly K[],
  tierKey: (key: K) => string,
  read: (keys: readonly K[]) => Promise<Array<V | null>>,
): Promise<Array<Served<V> | null | Error>> {
  const ticket = tier.begin();
  try {
    const values = await read(keys);
    keys.forEach((key, i) => tier.remember(tierKey(key), values[i] ?? null, ticket));
    return values.map((value) => (value === null ? null : { value, stale: false }));
  } catch (error) {
    if (!(error instanceof CacheUnavailableError)) throw error;
    return keys.map((key) => {
      const value = tier.recall(tierKey(key)) as V | undefined;
      return value === undefined ? error : { value, stale: true };
    });
  } finally {
    tier.end(ticket);
  }
}
