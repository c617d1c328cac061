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
  // The range reads held for each series, so that a write to a series forgets them without
  // scanning every entry (which took 3 ms per bar write with 40,000 entries held).
  const rangesOf = new Map<string, Set<string>>();
  let bytes = 0;

  function drop(key: string) {
    const entry = entries.get(key);
    if (entry === undefined) return;
    bytes -= entry.bytes;
    entries.delete(key);
    const series = seriesOf(key);
    const ranges = series === undefined ? undefined : rangesOf.get(series);
    ranges?.delete(key);
    if (ranges?.size === 0) rangesOf.delete(series!);
  }

  return {
    /** Keeps `value` as the latest for `key`; `null` (Redis has nothing) forgets it. */
    remember(key: string, value: Value | null) {
      drop(key);
      if (value === null || maxBytes === 0) return;
      const size = 2 * (key.length + (typeof value === 'string' ? value.length : value.reduce((n, v) => n + v.length, 0)));
      if (size > maxBytes) return;
      entries.set(key, { value, bytes: size, storedAtMs: Date.now() });
      bytes += size;
      const series = seriesOf(key);
      if (series !== undefined) rangesOf.set(series, (rangesOf.get(series) ?? new Set()).add(key));
      for (const oldest of entries.keys()) {
        if (bytes <= maxBytes) break;
        drop(oldest);
      }
    },

    /** The value last seen for `key`, unless it is too old. */
    recall(key: string): Value | undefined {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (Date.now() - entry.storedAtMs > maxAgeMs) {
        drop(key);
        return undefined;
      }
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },

    /** Forgets `key` and, when it is a bar series, every range read of it. */
    forget(key: string) {
      drop(key);
      for (const range of rangesOf.get(key) ?? []) drop(range);
    },

    /** Forgets every key starting with `prefix` (a namespace, an analysis type): an admin path. */
    forgetPrefix(prefix: string) {
      for (const key of [...entries.keys()]) if (key.startsWith(prefix)) drop(key);
    },
  };
}

export type StaleTier = ReturnType<typeof createStaleTier>;

/** The identity of a bar range read: the loaders' cache key and the tier's key alike. */
export function rangeKeyOf({ key, minScore, maxScore, limit }: SeriesRange): string {
  return `${key} ${minScore ?? ''} ${maxScore ?? ''} ${limit}`;
}

/** The series a range read's key belongs to; undefined for a point key (keys hold no spaces). */
function seriesOf(key: string): string | undefined {
  const space = key.indexOf(' ');
  return space === -1 ? undefined : key.slice(0, space);
}
