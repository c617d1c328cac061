import { LRUCache } from 'lru-cache';
import { CacheFullError } from './cache-full.js';
import { heapBytesOf } from './heap-bytes.js';
import type { CacheStore } from './store.js';
import { DEFAULTS } from '../defaults.js';

type Entry =
  | { kind: 'value'; value: string; expiresAtMs: number }
  | { kind: 'series'; members: Map<number, string>; expiresAtMs: number; bytes: number };

export interface MemoryStoreOptions {
  /**
   * Most keys held at once; past it the least recently used key is evicted, as Redis does
   * under `maxmemory-policy allkeys-lru`.
   * @default 100_000
   */
  maxKeys?: number;
  /**
   * Most bytes held, as V8 keeps them (each string, each series member and each entry's own
   * bookkeeping counted); past it the least recently used keys are evicted.
   * @default 67_108_864 (64 MiB)
   */
  maxBytes?: number;
}

/** What a key, its entry and the LRU's slot for it cost, besides the strings they hold. */
const ENTRY_OVERHEAD_BYTES = 160;
/** What one member of a series costs besides its string: the Map's slot and its score. */
const MEMBER_OVERHEAD_BYTES = 48;

/**
 * The embedded store used when no Redis is configured. Same contract as the Redis store (TTL
 * expiry, ordering, upsert, trimming, atomic writes), bounded in keys and in bytes, local to this
 * process. Expiry is checked against `Date.now()` on access, so fake timers drive it in tests.
 *
 * The bound is in bytes because values are: a writer storing 1 MB analyses would otherwise grow
 * the process by a megabyte a write until it dies, whatever the key count. Eviction is the LRU's,
 * O(1) a key.
 */
export function createMemoryStore({ maxKeys = DEFAULTS.cache.memoryMaxKeys, maxBytes = DEFAULTS.cache.memoryMaxBytes }: MemoryStoreOptions = {}): CacheStore {
  // No `max` for the LRU: given one, it allocates arrays of that many slots up front (14 ms for
  // 100,000). The key bound is kept by `put` instead.
  const entries = new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: (entry, key) => sizeOf(key, entry) });

  // Fills announced to waiters in this process (the only one that shares this store).
  const waiting = new Map<string, Set<() => void>>();
  const announce = (key: string) => {
    for (const done of [...(waiting.get(key) ?? [])]) done();
  };

  function put(key: string, entry: Entry) {
    entries.set(key, entry);
    while (entries.size > maxKeys) entries.pop();
  }

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry === undefined || entry.expiresAtMs > Date.now()) return entry;
    entries.delete(key);
    return undefined;
  }

  function sizeOf(key: string, entry: Entry): number {
    return ENTRY_OVERHEAD_BYTES + heapBytesOf(key) + (entry.kind === 'value' ? heapBytesOf(entry.value) : entry.bytes);
  }

  /** Refuses, before anything changes, a write that could not be held even in an empty store. */
  function checkFits(writes: ReadonlyArray<[string, Entry]>) {
    const bytes = writes.reduce((total, [key, entry]) => total + sizeOf(key, entry), 0);
    if (bytes > maxBytes) throw new CacheFullError(maxBytes, bytes);
  }

  function wrongType(key: string): Error {
    return new Error(`WRONGTYPE ${key} holds a plain value, not a series`);
  }

  return {
    async getMany(keys) {
      return keys.map((key) => {
        const entry = live(key);
        return entry?.kind === 'value' ? entry.value : null;
      });
    },

    async rangeMany(ranges) {
      return ranges.map(({ key, minScore = -Infinity, maxScore = Infinity, limit }) => {
        const entry = live(key);
        if (entry === undefined) return [];
        if (entry.kind !== 'series') return null;
        const scores = [...entry.members.keys()].filter((s) => s >= minScore && s <= maxScore);
        return scores
          .sort((a, b) => b - a)
          .slice(0, limit)
          .map((score) => entry.members.get(score)!);
      });
    },

    async set(key, value, ttlMs, leaseKey) {
      const entry: Entry = { kind: 'value', value, expiresAtMs: Date.now() + ttlMs };
      checkFits([[key, entry]]);
      put(key, entry);
      if (leaseKey !== undefined) entries.delete(leaseKey);
    },

    async lease(leaseKeys, token, ttlMs) {
      return leaseKeys.map((leaseKey) => {
        if (live(leaseKey) !== undefined) return false;
        put(leaseKey, { kind: 'value', value: token, expiresAtMs: Date.now() + ttlMs });
        return true;
      });
    },

    async fill(fills, token) {
      return fills.map(({ key, leaseKey, value, ttlMs }) => {
        const lease = live(leaseKey);
        if (lease?.kind !== 'value' || lease.value !== token) return false;
        const entry: Entry = { kind: 'value', value, expiresAtMs: Date.now() + ttlMs };
        checkFits([[key, entry]]);
        put(key, entry);
        entries.delete(leaseKey);
        announce(key);
        return true;
      });
    },

    awaitFill(key, ms) {
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiting.get(key)?.delete(done);
          if (waiting.get(key)?.size === 0) waiting.delete(key);
          resolve();
        };
        const timer = setTimeout(done, ms);
        waiting.set(key, (waiting.get(key) ?? new Set()).add(done));
      });
    },

    async upsertSeries({ key, latestKey, members, ttlMs, maxMembers, lease }) {
      if (members.length === 0) return 0;
      if (lease !== undefined && 'token' in lease) {
        const held = live(lease.key);
        if (held?.kind !== 'value' || held.value !== lease.token) return -1;
      }
      const existing = live(key);
      if (existing !== undefined && existing.kind !== 'series') throw wrongType(key);
      // Work on a copy so that a failure part-way leaves the stored series untouched.
      const series = new Map(existing?.members);
      for (const { score, member } of members) series.set(score, member);
      const scores = [...series.keys()].sort((a, b) => a - b);
      for (const score of scores.slice(0, Math.max(0, scores.length - maxMembers))) {
        series.delete(score);
      }
      let bytes = 0;
      for (const member of series.values()) bytes += MEMBER_OVERHEAD_BYTES + heapBytesOf(member);
      const expiresAtMs = Date.now() + ttlMs;
      const newest = series.get(scores[scores.length - 1]!)!;
      const writes: Array<[string, Entry]> = [
        [key, { kind: 'series', members: series, expiresAtMs, bytes }],
        [latestKey, { kind: 'value', value: newest, expiresAtMs }],
      ];
      checkFits(writes);
      for (const [writeKey, entry] of writes) put(writeKey, entry);
      if (lease !== undefined) entries.delete(lease.key);
      if (lease !== undefined && 'token' in lease) announce(key);
      return new Set(members.map((m) => m.score).filter((score) => series.has(score))).size;
    },

    async delete(keys) {
      return keys.map((key) => live(key) !== undefined && entries.delete(key));
    },

    async deleteByPrefix(prefix, counts = () => true) {
      let deleted = 0;
      for (const key of [...entries.keys()]) {
        if (!key.startsWith(prefix)) continue;
        if (live(key) !== undefined && counts(key)) deleted += 1;
        entries.delete(key);
      }
      return deleted;
    },

    async discard(key, raw) {
      const entry = live(key);
      if (raw === null) {
        if (entry?.kind === 'value') entries.delete(key);
        return;
      }
      if (entry?.kind === 'value' && entry.value === raw) entries.delete(key);
      if (entry?.kind === 'series') {
        const members = new Map([...entry.members].filter(([, member]) => member !== raw));
        if (members.size === entry.members.size) return;
        let bytes = 0;
        for (const member of members.values()) bytes += MEMBER_OVERHEAD_BYTES + heapBytesOf(member);
        if (members.size === 0) entries.delete(key);
        else put(key, { ...entry, members, bytes });
      }
    },

    async close() {
      entries.clear();
    },
  };
}
