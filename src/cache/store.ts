/**
 * The storage contract both back ends implement (Redis and in-memory), and the only thing the
 * rest of the gateway knows about storage. Values are opaque strings; the codec gives them meaning.
 *
 * Every method is one round trip to the back end, whatever the number of keys it is given: that is
 * what lets a request's DataLoaders turn N field reads into one `MGET` and one pipeline.
 */
export interface CacheStore {
  /** Values of `keys`, in order; `null` where a key is absent, expired or not a plain value. */
  getMany(keys: readonly string[]): Promise<Array<string | null>>;

  /**
   * For each range, the members of its series, newest (highest score) first; `[]` where the key
   * is absent, `null` where it holds something other than a series (a corrupt key, to discard).
   */
  rangeMany(ranges: readonly SeriesRange[]): Promise<Array<string[] | null>>;

  /**
   * Stores `value` under `key`, expiring after `ttlMs` milliseconds. With `leaseKey`, drops that
   * fill lease in the same step: a fill already in flight then stores nothing, and the write wins.
   */
  set(key: string, value: string, ttlMs: number, leaseKey?: string, index?: IndexRef): Promise<void>;

  /**
   * Stores every entry as `set` does, all or none, in one round trip whatever their number (an
   * error stores none of them).
   */
  setMany(entries: readonly SetEntry[]): Promise<void>;

  /**
   * Takes each fill lease no one holds (`SET NX PX`), for `ttlMs`, in one round trip: resolves to
   * which were taken. A lease says "one process is fetching this key from upstream".
   */
  lease(leaseKeys: readonly string[], token: string, ttlMs: number): Promise<boolean[]>;

  /**
   * Stores each value whose lease still holds `token` (no write or invalidation has dropped it
   * since it was taken), releases those leases and announces each fill to processes waiting for
   * it, in one round trip. Resolves to which were stored.
   */
  fill(entries: readonly FillEntry[], token: string): Promise<boolean[]>;

  /** Resolves once a fill (or any change) of `key` is announced, or after `ms`, whichever comes first. */
  awaitFill(key: string, ms: number): Promise<void>;

  /**
   * Calls `listener` with each change another process makes to the keys of this store (a key
   * written, filled or deleted, or every key under a prefix), as soon as it hears of it, so that
   * each process can drop what it keeps of them. After a lost connection, when changes may have
   * been missed, it is called with the prefix `''` (everything).
   *
   * With `own`, it hears this store's own changes too, in the order the store heard them among the
   * others': what live subscriptions need, to push every change wherever it was made. Without it,
   * the in-memory store, which belongs to one process, never calls it.
   */
  onChange(listener: (change: Change) => void, options?: { own?: boolean }): void;

  /**
   * Upserts members into a sorted series by score (one member per score, the last one given
   * winning), keeps only the `maxMembers` highest scores, refreshes the TTL of the series, and
   * points `latestKey` at its highest member. All of it happens atomically or not at all.
   * Resolves to how many of the given members the series holds afterwards (0, and no write,
   * when there are none; -1, and no write, for a fill whose lease is gone).
   */
  upsertSeries(write: SeriesWrite): Promise<number>;

  /**
   * Appends members to a log (a sorted set in which several members may share a score: trades),
   * skipping each whose `id` the log already holds or, without an id, whose member it already
   * holds; keeps only the `maxMembers` highest scores (and forgets the ids of those it drops);
   * replaces the log's stamp (its one member at score +inf); refreshes the TTL of the log and its
   * ids. Atomic: concurrent appenders interleave whole calls. Resolves to how many of the given
   * members are new and kept (-1, and no write, for a fill whose lease is gone).
   */
  appendLog(write: LogWrite): Promise<number>;

  /**
   * Deletes `keys` atomically; resolves to whether each one existed, in order. Then brings each
   * `index` entry in line with its entry, in the same round trip.
   */
  delete(keys: readonly string[], index?: readonly IndexRef[]): Promise<boolean[]>;

  /**
   * The members of each index whose entries have not expired, in one round trip: never a walk of
   * the keyspace.
   */
  indexed(indexKeys: readonly string[]): Promise<string[][]>;

  /**
   * Deletes every key that starts with `prefix`, in batches (an admin operation: on Redis it walks
   * the keyspace with `SCAN`). Resolves to how many deleted keys `counts(key)` accepts. Each deleted
   * key `indexOf` places in an index is brought in line there, in the same round trip as its delete.
   */
  deleteByPrefix(prefix: string, counts?: (key: string) => boolean, indexOf?: (key: string) => IndexRef | undefined): Promise<number>;

  /**
   * Removes a value that could not be decoded: a plain value only if it is still `raw`, a series
   * member `raw` from the series at `key`. A value written since the read is left alone. `raw`
   * `null` removes a key read as a series that holds a plain value, unless it is a series by now.
   */
  discard(key: string, raw: string | null): Promise<void>;

  /** Releases the connection (if the store made it) and timers. */
  close(): Promise<void>;
}

/** A change another process made: one key, or every key that starts with `prefix`. */
export type Change = { key: string } | { prefix: string };

export interface FillEntry {
  key: string;
  leaseKey: string;
  value: string;
  ttlMs: number;
  index?: IndexRef;
}

export interface SetEntry {
  key: string;
  value: string;
  ttlMs: number;
  /** The key's fill lease, dropped with the write (see `set`). */
  leaseKey?: string;
  index?: IndexRef;
}

/**
 * A member of an index of what is cached (the symbols index): after each write or delete of
 * `entryKey`, the store makes `member` of the sorted set `indexKey` score the entry's expiry (its
 * remaining TTL, read in the same round trip, so concurrent writers cannot leave it wrong), or
 * removes it when the entry is gone. Members whose entries have expired are never listed and are
 * pruned as the index is written.
 */
export interface IndexRef {
  indexKey: string;
  member: string;
  entryKey: string;
}

export interface LogWrite {
  key: string;
  /** The hash of the ids the log holds (and of the member of each), in the log's hash tag. */
  idsKey: string;
  members: ReadonlyArray<{ score: number; member: string; id?: string | null }>;
  /** The log's stamp, stored at score +inf: its freshness, read with its newest members. */
  stamp: string;
  ttlMs: number;
  maxMembers: number;
  /** As for `SeriesWrite`. */
  lease?: { key: string; drop: true } | { key: string; token: string };
  index?: IndexRef;
}

export interface SeriesRange {
  key: string;
  /** Inclusive score bounds; omitted means unbounded. */
  minScore?: number;
  maxScore?: number;
  limit: number;
  /**
   * The range is of a log (trades): its first member is the log's stamp, which the loaders take
   * off (and judge its freshness by); `limit` counts it.
   */
  log?: boolean;
}

export interface SeriesWrite {
  key: string;
  latestKey: string;
  members: ReadonlyArray<{ score: number; member: string }>;
  ttlMs: number;
  maxMembers: number;
  /**
   * The fill lease of the series: `drop` it (a write: a fill in flight then stores nothing), or
   * write only while it still holds `token` (a fill), releasing it. A fill whose lease is gone
   * writes nothing and resolves to -1.
   */
  lease?: { key: string; drop: true } | { key: string; token: string };
  index?: IndexRef;
}
