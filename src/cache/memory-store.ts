import { LRUCache } from 'lru-cache';
import { CacheFullError } from './cache-full.js';
import { heapBytesOf } from './heap-bytes.js';
import type { CacheStore, Change, IndexRef, SetEntry } from './store.js';
import { DEFAULTS } from '../defaults.js';

type Entry =
  | { kind: 'value'; value: string; expiresAtMs: number }
  | { kind: 'series'; members: Map<number, string>; expiresAtMs: number; bytes: number }
  // A log keeps its ids itself: the Redis store's separate ids hash is not needed here.
  | { kind: 'log'; members: Map<string, number>; ids: Map<string, string>; expiresAtMs: number; bytes: number }
  | { kind: 'index'; members: Map<string, number>; expiresAtMs: number; bytes: number };

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
  // Listeners of this store's own changes (live subscriptions): told once a change is made.
  const listeners: Array<(change: Change) => void> = [];
  const changed = (change: Change) => {
    for (const listener of listeners) listener(change);
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

  /** Brings each index member in line with its entry, as the Redis store's INDEX script does. */
  function reindex(refs: readonly IndexRef[]) {
    const now = Date.now();
    for (const indexKey of new Set(refs.map((ref) => ref.indexKey))) {
      const existing = live(indexKey);
      const members = new Map(existing?.kind === 'index' ? existing.members : []);
      for (const { member, entryKey } of refs.filter((ref) => ref.indexKey === indexKey)) {
        const entry = live(entryKey);
        if (entry === undefined) members.delete(member);
        else members.set(member, entry.expiresAtMs);
      }
      let bytes = 0;
      let last = 0;
      for (const [member, expiresAtMs] of members) {
        if (expiresAtMs <= now) members.delete(member);
        else {
          bytes += MEMBER_OVERHEAD_BYTES + heapBytesOf(member);
          last = Math.max(last, expiresAtMs);
        }
      }
      if (members.size === 0) entries.delete(indexKey);
      else put(indexKey, { kind: 'index', members, expiresAtMs: last, bytes });
    }
  }

  function setMany(list: readonly SetEntry[]) {
    const now = Date.now();
    const writes = list.map(({ key, value, ttlMs }): [string, Entry] => [key, { kind: 'value', value, expiresAtMs: now + ttlMs }]);
    checkFits(writes);
    for (const [key, entry] of writes) put(key, entry);
    for (const { leaseKey } of list) if (leaseKey !== undefined) entries.delete(leaseKey);
    reindex(list.flatMap(({ index }) => (index === undefined ? [] : [index])));
    for (const { key } of list) changed({ key });
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
        if (entry.kind === 'log') {
          // As ZRANGE BYSCORE REV orders them: by score, then by member, both descending.
          return [...entry.members]
            .filter(([, score]) => score >= minScore && score <= maxScore)
            .sort(([a, x], [b, y]) => y - x || (a < b ? 1 : a > b ? -1 : 0))
            .slice(0, limit)
            .map(([member]) => member);
        }
        if (entry.kind !== 'series') return null;
        const scores = [...entry.members.keys()].filter((s) => s >= minScore && s <= maxScore);
        return scores
          .sort((a, b) => b - a)
          .slice(0, limit)
          .map((score) => entry.members.get(score)!);
      });
    },

    async set(key, value, ttlMs, leaseKey, index) {
      setMany([{ key, value, ttlMs, leaseKey, index }]);
    },

    async setMany(list) {
      setMany(list);
    },

    async lease(leaseKeys, token, ttlMs) {
      return leaseKeys.map((leaseKey) => {
        if (live(leaseKey) !== undefined) return false;
        put(leaseKey, { kind: 'value', value: token, expiresAtMs: Date.now() + ttlMs });
        return true;
      });
    },

    async fill(fills, token) {
      return fills.map(({ key, leaseKey, value, ttlMs, index }) => {
        const lease = live(leaseKey);
        if (lease?.kind !== 'value' || lease.value !== token) return false;
        const entry: Entry = { kind: 'value', value, expiresAtMs: Date.now() + ttlMs };
        checkFits([[key, entry]]);
        put(key, entry);
        entries.delete(leaseKey);
        if (index !== undefined) reindex([index]);
        announce(key);
        changed({ key });
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

    // No other process shares this store: there is nobody else's change to hear of, only its own.
    onChange(listener, { own = false } = {}) {
      if (own) listeners.push(listener);
    },

    async upsertSeries({ key, latestKey, members, ttlMs, maxMembers, lease, index }) {
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
      if (index !== undefined) reindex([index]);
      if (lease !== undefined && 'token' in lease) announce(key);
      changed({ key });
      changed({ key: latestKey });
      return new Set(members.map((m) => m.score).filter((score) => series.has(score))).size;
    },

    async appendLog({ key, members, stamp, ttlMs, maxMembers, lease, index }) {
      if (lease !== undefined && 'token' in lease) {
        const held = live(lease.key);
        if (held?.kind !== 'value' || held.value !== lease.token) return -1;
      }
      const existing = live(key);
      if (existing !== undefined && existing.kind !== 'log') throw wrongType(key);
      // Work on copies so that a failure part-way leaves the stored log untouched.
      const log = new Map(existing?.members);
      const ids = new Map(existing?.ids);
      for (const [member, score] of log) if (score === Infinity) log.delete(member);
      const added: string[] = [];
      for (const { score, member, id } of members) {
        const isNew = id != null ? !ids.has(id) : !log.has(member);
        if (!isNew) continue;
        if (id != null) ids.set(id, member);
        log.set(member, score);
        added.push(member);
      }
      if (log.size > maxMembers) {
        const oldest = [...log].sort(([a, x], [b, y]) => x - y || (a < b ? -1 : a > b ? 1 : 0)).slice(0, log.size - maxMembers);
        for (const [member] of oldest) log.delete(member);
        for (const [id, member] of ids) if (!log.has(member)) ids.delete(id);
      }
      log.set(stamp, Infinity);
      let bytes = 0;
      for (const member of log.keys()) bytes += MEMBER_OVERHEAD_BYTES + heapBytesOf(member);
      for (const id of ids.keys()) bytes += MEMBER_OVERHEAD_BYTES + heapBytesOf(id);
      const entry: Entry = { kind: 'log', members: log, ids, expiresAtMs: Date.now() + ttlMs, bytes };
      checkFits([[key, entry]]);
      put(key, entry);
      if (lease !== undefined) entries.delete(lease.key);
      if (index !== undefined) reindex([index]);
      if (lease !== undefined && 'token' in lease) announce(key);
      changed({ key });
      return added.filter((member) => log.has(member)).length;
    },

    async delete(keys, index = []) {
      const existed = keys.map((key) => live(key) !== undefined && entries.delete(key));
      reindex(index);
      for (const key of keys) changed({ key });
      return existed;
    },

    async indexed(indexKeys) {
      const now = Date.now();
      return indexKeys.map((indexKey) => {
        const entry = live(indexKey);
        if (entry?.kind !== 'index') return [];
        return [...entry.members].filter(([, expiresAtMs]) => expiresAtMs > now).map(([member]) => member);
      });
    },

    async deleteByPrefix(prefix, counts = () => true, indexOf = () => undefined) {
      let deleted = 0;
      const refs: IndexRef[] = [];
      for (const key of [...entries.keys()]) {
        if (!key.startsWith(prefix)) continue;
        if (live(key) !== undefined && counts(key)) deleted += 1;
        entries.delete(key);
        const ref = indexOf(key);
        if (ref !== undefined) refs.push(ref);
      }
      reindex(refs);
      changed({ prefix });
      return deleted;
    },

    async discard(key, raw) {
      const entry = live(key);
      if (raw === null) {
        if (entry?.kind === 'value') entries.delete(key);
        return;
      }
      if (entry?.kind === 'value' && entry.value === raw) entries.delete(key);
      if (entry?.kind === 'log' && entry.members.has(raw)) {
        const members = new Map(entry.members);
        members.delete(raw);
        put(key, { ...entry, members, bytes: entry.bytes - MEMBER_OVERHEAD_BYTES - heapBytesOf(raw) });
      }
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
