import type { CacheStore } from './store.js';

type Entry =
  | { kind: 'value'; value: string; expiresAtMs: number }
  | { kind: 'series'; members: Map<number, string>; expiresAtMs: number };

export interface MemoryStoreOptions {
  /**
   * Most keys held at once; past it the least recently used key is evicted, as Redis does
   * under `maxmemory-policy allkeys-lru`.
   * @default 100_000
   */
  maxKeys?: number;
}

/**
 * The embedded store used when no Redis is configured. Same contract as the Redis store (TTL
 * expiry, ordering, upsert, trimming, atomic writes), bounded in size, local to this process.
 * Expiry is checked against `Date.now()` on access, so fake timers drive it in tests.
 */
export function createMemoryStore({ maxKeys = 100_000 }: MemoryStoreOptions = {}): CacheStore {
  // Map iteration order is insertion order: re-inserting on access keeps it least-recent first.
  const entries = new Map<string, Entry>();

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    entries.delete(key);
    if (entry.expiresAtMs <= Date.now()) return undefined;
    entries.set(key, entry);
    return entry;
  }

  function put(key: string, entry: Entry) {
    entries.delete(key);
    entries.set(key, entry);
    while (entries.size > maxKeys) entries.delete(entries.keys().next().value!);
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
        if (entry.kind !== 'series') throw wrongType(key);
        const scores = [...entry.members.keys()].filter((s) => s >= minScore && s <= maxScore);
        return scores
          .sort((a, b) => b - a)
          .slice(0, limit)
          .map((score) => entry.members.get(score)!);
      });
    },

    async set(key, value, ttlMs) {
      put(key, { kind: 'value', value, expiresAtMs: Date.now() + ttlMs });
    },

    async upsertSeries({ key, latestKey, members, ttlMs, maxMembers }) {
      if (members.length === 0) return 0;
      const existing = live(key);
      if (existing !== undefined && existing.kind !== 'series') throw wrongType(key);
      // Work on a copy so that a failure part-way leaves the stored series untouched.
      const series = new Map(existing?.members);
      for (const { score, member } of members) series.set(score, member);
      const scores = [...series.keys()].sort((a, b) => a - b);
      for (const score of scores.slice(0, Math.max(0, scores.length - maxMembers))) {
        series.delete(score);
      }
      const expiresAtMs = Date.now() + ttlMs;
      put(key, { kind: 'series', members: series, expiresAtMs });
      const newest = series.get(scores[scores.length - 1]!)!;
      put(latestKey, { kind: 'value', value: newest, expiresAtMs });
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
      if (entry?.kind === 'value' && entry.value === raw) entries.delete(key);
      if (entry?.kind === 'series') {
        for (const [score, member] of entry.members) {
          if (member === raw) entry.members.delete(score);
        }
      }
    },

    async close() {
      entries.clear();
    },
  };
}
