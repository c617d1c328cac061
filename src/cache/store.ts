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

  /** Stores `value` under `key`, expiring after `ttlMs` milliseconds. */
  set(key: string, value: string, ttlMs: number): Promise<void>;

  /**
   * Upserts members into a sorted series by score (one member per score, the last one given
   * winning), keeps only the `maxMembers` highest scores, refreshes the TTL of the series, and
   * points `latestKey` at its highest member. All of it happens atomically or not at all.
   * Resolves to how many of the given members the series holds afterwards (0, and no write,
   * when there are none).
   */
  upsertSeries(write: SeriesWrite): Promise<number>;

  /** Deletes `keys` atomically; resolves to whether each one existed, in order. */
  delete(keys: readonly string[]): Promise<boolean[]>;

  /**
   * Deletes every key that starts with `prefix`, in batches (an admin operation: on Redis it walks
   * the keyspace with `SCAN`). Resolves to how many deleted keys `counts(key)` accepts.
   */
  deleteByPrefix(prefix: string, counts?: (key: string) => boolean): Promise<number>;

  /**
   * Removes a value that could not be decoded: a plain value only if it is still `raw`, a series
   * member `raw` from the series at `key`. A value written since the read is left alone. `raw`
   * `null` removes a key read as a series that holds a plain value, unless it is a series by now.
   */
  discard(key: string, raw: string | null): Promise<void>;

  /** Releases the connection (if the store made it) and timers. */
  close(): Promise<void>;
}

export interface SeriesRange {
  key: string;
  /** Inclusive score bounds; omitted means unbounded. */
  minScore?: number;
  maxScore?: number;
  limit: number;
}

export interface SeriesWrite {
  key: string;
  latestKey: string;
  members: ReadonlyArray<{ score: number; member: string }>;
  ttlMs: number;
  maxMembers: number;
}
