import type { SeriesRange } from './store.js';

export interface StaleTierOptions {
  /** Most bytes of values held (as UTF-16, roughly what V8 keeps); 0 turns the tier off. */
  maxBytes: number;
  /** Oldest value, by when it was last read from or written to Redis, that may still be served. */
  maxAgeMs: number;
}

type Value = string | readonly string[];

/**
 * The last value served for each hot key (and each bar range), kept in process so that while
 * Redis is unavailable a read can still be answered, marked stale, instead of failing. Bounded:
 * least recently used values go first once `maxBytes` is reached, and values older than
 * `maxAgeMs` are never served.
 *
 * It must never serve what Redis no longer has: a read that finds nothing forgets the key, and
 * writes and invalidations update or forget what they touch (see market-cache.ts).
 */
export function createStaleTier({ maxBytes, maxAgeMs }: StaleTierOptions) {
  // Map order is insertion order: re-inserting on use keeps it least-recent first.
  const entries = new Map<string, { value: Value; bytes: number; storedAtMs: number }>();
  let bytes = 0;

  function forget(key: string) {
    const entry = entries.get(key);
    if (entry === undefined) return;
    bytes -= entry.bytes;
    entries.delete(key);
  }

  return {
    /** Keeps `value` as the latest for `key`; `null` (Redis has nothing) forgets it. */
    remember(key: string, value: Value | null) {
      forget(key);
      if (value === null || maxBytes === 0) return;
      const size = 2 * (key.length + (typeof value === 'string' ? value.length : value.reduce((n, v) => n + v.length, 0)));
      if (size > maxBytes) return;
      entries.set(key, { value, bytes: size, storedAtMs: Date.now() });
      bytes += size;
      for (const oldest of entries.keys()) {
        if (bytes <= maxBytes) break;
        forget(oldest);
      }
    },

    /** The value last seen for `key`, unless it is too old. */
    recall(key: string): Value | undefined {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      forget(key);
      if (Date.now() - entry.storedAtMs > maxAgeMs) return undefined;
      entries.set(key, entry);
      bytes += entry.bytes;
      return entry.value;
    },

    forget,

    /** Forgets every key starting with `prefix`: a whole series' ranges, a namespace. */
    forgetPrefix(prefix: string) {
      for (const key of [...entries.keys()]) if (key.startsWith(prefix)) forget(key);
    },
  };
}

export type StaleTier = ReturnType<typeof createStaleTier>;

/** The identity of a bar range read: the loaders' cache key and the tier's key alike. */
export function rangeKeyOf({ key, minScore, maxScore, limit }: SeriesRange): string {
  return `${key} ${minScore ?? ''} ${maxScore ?? ''} ${limit}`;
}

/** The prefix shared by every range read of one series. */
export function seriesRangePrefix(seriesKey: string): string {
  return `${seriesKey} `;
}
