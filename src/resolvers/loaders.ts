import DataLoader from 'dataloader';
import type { CacheStore, SeriesRange } from '../cache/store.js';

/**
 * A request's loaders. Every point read of the request (tickers, funding rates, Fear & Greed,
 * LLM analyses, latest bars) goes through `points`, and every bar range through `ranges`.
 * DataLoader collects the loads made while the executor resolves sibling fields and dispatches
 * them together once the current promise jobs have run, so a whole query level costs one `MGET`
 * and one pipeline, however many fields, aliases and list entries ask.
 *
 * Loaders live for one request only: their memo must never outlive it, or one client would see
 * values another has since invalidated.
 */
export function createLoaders(store: CacheStore) {
  return {
    points: new DataLoader<string, string | null>((keys) => store.getMany(keys)),
    ranges: new DataLoader<SeriesRange, string[], string>((ranges) => store.rangeMany(ranges), {
      cacheKeyFn: ({ key, minScore, maxScore, limit }) => `${key} ${minScore} ${maxScore} ${limit}`,
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
