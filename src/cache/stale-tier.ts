import { LRUCache } from 'lru-cache';
import { heapBytesOf } from './heap-bytes.js';
import { createInvalidationEpochs, type Ticket } from './invalidation-epochs.js';
import type { SeriesRange } from './store.js';

export interface StaleTierOptions {
  /** Most bytes held, values, keys and each entry's bookkeeping counted; 0 turns the tier off. */
  maxBytes: number;
  /** Oldest value, by when it was last read from or written to Redis, that may still be served. */
  maxAgeMs: number;
}

type Value = string | readonly string[];

interface Entry {
  value: Value;
  bytes: number;
  storedAtMs: number;
}

/** What an entry costs besides its strings: the LRU's slot, the entry object, a range's array. */
const ENTRY_OVERHEAD_BYTES = 160;
/** What each member of a range costs besides its string: the array's slot. */
const MEMBER_OVERHEAD_BYTES = 8;
/** What a range costs in the index of its series' ranges: its slot, and its share of the Set. */
const RANGE_INDEX_BYTES = 96;

export type { Ticket };

/**
 * The last value served for each hot key (and each bar range), kept in process so that while
 * Redis is unavailable a read can still be answered, marked stale, instead of failing. Bounded in
 * bytes as V8 holds them: least recently used values go first, in O(1), once `maxBytes` is
 * reached, and values older than `maxAgeMs` are never served.
 *
 * It must never serve what Redis no longer has: a read that finds nothing forgets the key, and
 * writes and invalidations update or forget what they touch (see market-cache.ts). And what an
 * invalidation forgot stays forgotten: every read or write takes a ticket (`begin`) before it
 * goes to Redis, and what it brings back is not remembered if its key was forgotten after the
 * ticket was taken (see invalidation-epochs.ts).
 */
export function createStaleTier({ maxBytes, maxAgeMs }: StaleTierOptions) {
  const epochs = createInvalidationEpochs();
  // The range reads held for each series, so that a write to a series forgets them without
  // scanning every entry (which took 3 ms per bar write with 40,000 entries held).
  const rangesOf = new Map<string, Set<string>>();
  const entries =
    maxBytes === 0
      ? undefined
      : new LRUCache<string, Entry>({
          maxSize: maxBytes,
          sizeCalculation: (entry) => entry.bytes,
          dispose: (_entry, key) => unindex(key),
        });

  function unindex(key: string) {
    const series = seriesOf(key);
    if (series === undefined) return;
    const ranges = rangesOf.get(series);
    ranges?.delete(key);
    if (ranges?.size === 0) rangesOf.delete(series);
  }

  return {
    /** A ticket for a read or write about to go to Redis; `end` it when the call has settled. */
    begin: (): Ticket => epochs.begin(),
    end: (ticket: Ticket) => epochs.end(ticket),

    /**
     * Keeps `value` as the latest for `key`, as read or written under `ticket`; `null` or an empty
     * range (Redis has nothing) forgets it, as a miss is not worth keeping: a client asking for
     * bars of many series that do not exist must not fill the tier. Nothing is kept if `key` was
     * forgotten since `ticket` was taken.
     */
    remember(key: string, value: Value | null, ticket: Ticket) {
      if (entries === undefined) return;
      const series = seriesOf(key);
      const forgotten = epochs.forgottenSince(key, ticket) || (series !== undefined && epochs.forgottenSince(series, ticket));
      if (value === null || value.length === 0 || forgotten) {
        entries.delete(key);
        return;
      }
      // The same value read again (the common case: a hot key between two writes) only becomes
      // the most recent and younger. The held copy and its entry stay, and the copy just read
      // dies young: replacing them on every read kept each one alive until the next read of its
      // key, long enough to be promoted for the old generation to collect.
      const held = entries.get(key);
      if (held !== undefined && sameValue(held.value, value)) {
        held.storedAtMs = Date.now();
        return;
      }
      const bytes =
        ENTRY_OVERHEAD_BYTES +
        heapBytesOf(key) +
        (typeof value === 'string'
          ? heapBytesOf(value)
          : RANGE_INDEX_BYTES + value.reduce((n, v) => n + MEMBER_OVERHEAD_BYTES + heapBytesOf(v), 0));
      if (bytes > maxBytes) {
        entries.delete(key);
        return;
      }
      entries.set(key, { value, bytes, storedAtMs: Date.now() });
      if (series !== undefined) rangesOf.set(series, (rangesOf.get(series) ?? new Set()).add(key));
    },

    /** The value last seen for `key`, unless it is too old. */
    recall(key: string): Value | undefined {
      const entry = entries?.get(key);
      if (entry === undefined) return undefined;
      if (Date.now() - entry.storedAtMs > maxAgeMs) {
        entries!.delete(key);
        return undefined;
      }
      return entry.value;
    },

    /**
     * Forgets `key` and, when it is a bar series, every range read of it; reads and writes still
     * in flight will not bring it back.
     */
    forget(key: string) {
      epochs.forget(key);
      if (entries === undefined) return;
      entries.delete(key);
      for (const range of [...(rangesOf.get(key) ?? [])]) entries.delete(range);
    },

    /** Forgets every key starting with `prefix` (a namespace, an analysis type): an admin path. */
    forgetPrefix(prefix: string) {
      epochs.forgetPrefix(prefix);
      if (entries === undefined) return;
      for (const key of [...entries.keys()]) if (key.startsWith(prefix)) entries.delete(key);
    },

    /** What the tier holds now: its bytes as it counts them (see `maxBytes`) and its entries. */
    stats(): { bytes: number; entries: number } {
      return { bytes: entries?.calculatedSize ?? 0, entries: entries?.size ?? 0 };
    },
  };
}

export type StaleTier = ReturnType<typeof createStaleTier>;

function sameValue(held: Value, read: Value): boolean {
  if (typeof held === 'string' || typeof read === 'string') return held === read;
  if (held.length !== read.length) return false;
  for (let i = 0; i < held.length; i++) if (held[i] !== read[i]) return false;
  return true;
}

/** The identity of a bar range read: the loaders' cache key and the tier's key alike. */
export function rangeKeyOf({ key, minScore, maxScore, limit }: SeriesRange): string {
  return `${key} ${minScore ?? ''} ${maxScore ?? ''} ${limit}`;
}

/** The series a range read's key belongs to; undefined for a point key (keys hold no spaces). */
function seriesOf(key: string): string | undefined {
  const space = key.indexOf(' ');
  return space === -1 ? undefined : key.slice(0, space);
}
