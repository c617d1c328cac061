import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { createRedisClient, type RedisClient } from '../src/cache/redis-client.js';
import { createMemoryStore } from '../src/cache/memory-store.js';
import { createRedisStore } from '../src/cache/redis-store.js';
import type { CacheStore, Change, IndexRef, LogWrite, SeriesWrite } from '../src/cache/store.js';
import { TOPOLOGIES, useTopology } from './support/topologies.js';

/**
 * One contract, two stores: whatever the gateway relies on must hold for the embedded store
 * exactly as for Redis. TTLs here are real milliseconds because Redis expires keys on its own clock.
 */
interface Harness {
  store(): CacheStore;
  reset(): Promise<void>;
}

// Each store is emptied by its own harness below. Redis runs in each topology the gateway supports:
// one server, a 3-master cluster with a replica each, and a master found through three sentinels.
const topologies = TOPOLOGIES.map((topology) => [topology, useTopology(topology, { flushBeforeEach: false })] as const);
let redis: RedisClient;
beforeAll(() => void (redis = topologies[0]![1].redis));

const harnesses: Array<[string, () => Harness]> = [
  [
    'memory',
    () => {
      let store = createMemoryStore();
      return { store: () => store, reset: async () => void (store = createMemoryStore()) };
    },
  ],
  ...topologies.map(([topology, redisHarness]): [string, () => Harness] => [
    `redis (${topology})`,
    () => {
      let store: CacheStore;
      return {
        store: () => (store ??= createRedisStore({ redis: redisHarness.redis, subscriber: redisHarness.client(), changeChannel: 'test:changes' })),
        // The test's own private servers: flushing them touches nothing shared.
        reset: () => redisHarness.flush(),
      };
    },
  ]),
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function series(key: string, scores: number[], extra: Partial<SeriesWrite> = {}): SeriesWrite {
  return {
    key,
    latestKey: `${key}:latest`,
    members: scores.map((score) => ({ score, member: `bar@${score}` })),
    ttlMs: 60_000,
    maxMembers: 100,
    ...extra,
  };
}

/** A log write of trades-like members: `t@<score>` (or the given member), with ids where given. */
function log(key: string, members: Array<{ score: number; member?: string; id?: string | null }>, extra: Partial<LogWrite> = {}): LogWrite {
  return {
    key,
    idsKey: `${key}:ids`,
    members: members.map(({ score, member, id }) => ({ score, member: member ?? `t@${score}${id ? `#${id}` : ''}`, id })),
    stamp: 'stamp',
    ttlMs: 60_000,
    maxMembers: 100,
    ...extra,
  };
}

/** The index entry `member` of the index `idx:{kind}`, standing for `entryKey`. */
const ref = (member: string, entryKey: string, indexKey = 'idx:{k}'): IndexRef => ({ indexKey, member, entryKey });

/** An index's members, sorted: the contract orders nothing within an index. */
async function indexedSorted(store: CacheStore, indexKeys: string[]) {
  return (await store.indexed(indexKeys)).map((members) => [...members].sort());
}

describe.each(harnesses)('the %s store', (_name, makeHarness) => {
  const harness = makeHarness();
  const store = () => harness.store();
  beforeEach(() => harness.reset());

  it('returns values in key order with null for absent keys', async () => {
    await store().set('t:a', 'A', 60_000);
    await store().set('t:c', 'C', 60_000);
    expect(await store().getMany(['t:c', 't:b', 't:a'])).toEqual(['C', null, 'A']);
    expect(await store().getMany([])).toEqual([]);
  });

  it('overwrites a value and expires it after its TTL', async () => {
    await store().set('t:a', 'old', 60_000);
    await store().set('t:a', 'new', 150);
    expect(await store().getMany(['t:a'])).toEqual(['new']);
    await sleep(250);
    expect(await store().getMany(['t:a'])).toEqual([null]);
  });

  it('reads a series newest first, limited and bounded inclusively by score', async () => {
    await store().upsertSeries(series('{t:s}', [1, 2, 3, 4, 5]));
    const [all, limited, bounded, empty] = await store().rangeMany([
      { key: '{t:s}', limit: 10 },
      { key: '{t:s}', limit: 2 },
      { key: '{t:s}', minScore: 2, maxScore: 4, limit: 10 },
      { key: 't:none', limit: 10 },
    ]);
    expect(all).toEqual(['bar@5', 'bar@4', 'bar@3', 'bar@2', 'bar@1']);
    expect(limited).toEqual(['bar@5', 'bar@4']);
    expect(bounded).toEqual(['bar@4', 'bar@3', 'bar@2']);
    expect(empty).toEqual([]);
  });

  it('upserts by score, so a score written twice holds only the last member', async () => {
    await store().upsertSeries(series('{t:s}', [1, 2]));
    const stored = await store().upsertSeries({
      ...series('{t:s}', []),
      members: [{ score: 2, member: 'bar@2-revised' }, { score: 3, member: 'bar@3' }],
    });
    expect(stored).toBe(2);
    const [members] = await store().rangeMany([{ key: '{t:s}', limit: 10 }]);
    expect(members).toEqual(['bar@3', 'bar@2-revised', 'bar@1']);
  });

  it('keeps only the newest maxMembers and counts only the members it kept', async () => {
    await store().upsertSeries(series('{t:s}', [10, 11, 12], { maxMembers: 3 }));
    const stored = await store().upsertSeries(series('{t:s}', [1, 13], { maxMembers: 3 }));
    expect(stored).toBe(1);
    const [members] = await store().rangeMany([{ key: '{t:s}', limit: 10 }]);
    expect(members).toEqual(['bar@13', 'bar@12', 'bar@11']);
  });

  it('points the latest key at the newest member, even when older members arrive later', async () => {
    await store().upsertSeries(series('{t:s}', [5]));
    await store().upsertSeries(series('{t:s}', [3, 4]));
    expect(await store().getMany(['{t:s}:latest'])).toEqual(['bar@5']);
  });

  it('expires a series and its latest pointer together', async () => {
    await store().upsertSeries(series('{t:s}', [1], { ttlMs: 150 }));
    await sleep(250);
    expect(await store().rangeMany([{ key: '{t:s}', limit: 10 }])).toEqual([[]]);
    expect(await store().getMany(['{t:s}:latest'])).toEqual([null]);
  });

  it('leaves the series untouched when a write fails', async () => {
    await store().set('{t:plain}', 'value', 60_000);
    await expect(store().upsertSeries(series('{t:plain}', [1]))).rejects.toThrow(/WRONGTYPE/);
    expect(await store().getMany(['{t:plain}', '{t:plain}:latest'])).toEqual(['value', null]);
  });

  it('says which of the deleted keys existed', async () => {
    await store().set('t:a', 'A', 60_000);
    await store().upsertSeries(series('{t:s}', [1]));
    expect(await store().delete(['t:a', 't:missing', '{t:s}'])).toEqual([true, false, true]);
    expect(await store().getMany(['t:a'])).toEqual([null]);
    expect(await store().rangeMany([{ key: '{t:s}', limit: 10 }])).toEqual([[]]);
  });

  it('deletes by prefix only the keys under it, counting those the caller counts', async () => {
    await store().set('ns:v1:a', 'A', 60_000);
    await store().set('ns:v1:b:latest', 'B', 60_000);
    await store().set('ns:v10:c', 'C', 60_000);
    await store().set('other:a', 'X', 60_000);
    const deleted = await store().deleteByPrefix('ns:v1:', (key) => !key.endsWith(':latest'));
    expect(deleted).toBe(1);
    expect(await store().getMany(['ns:v1:a', 'ns:v1:b:latest', 'ns:v10:c', 'other:a'])).toEqual([null, null, 'C', 'X']);
  });

  it('treats a prefix with pattern characters literally', async () => {
    await store().set('p:{a*}:1', 'literal', 60_000);
    await store().set('p:{ab}:1', 'other', 60_000);
    expect(await store().deleteByPrefix('p:{a*}:')).toBe(1);
    expect(await store().getMany(['p:{ab}:1'])).toEqual(['other']);
  });

  it('discards a value only while it is unchanged, and a series member by value', async () => {
    await store().set('t:a', 'corrupt', 60_000);
    await store().discard('t:a', 'corrupt');
    expect(await store().getMany(['t:a'])).toEqual([null]);

    await store().set('t:b', 'rewritten', 60_000);
    await store().discard('t:b', 'corrupt');
    expect(await store().getMany(['t:b'])).toEqual(['rewritten']);

    await store().upsertSeries(series('{t:s}', [1, 2]));
    await store().discard('{t:s}', 'bar@1');
    expect(await store().rangeMany([{ key: '{t:s}', limit: 10 }])).toEqual([['bar@2']]);
  });

  const fillOf = (key: string, value: string) => ({ key, leaseKey: `lease:${key}`, value, ttlMs: 60_000 });

  it('lends a fill lease to one taker at a time, until it expires', async () => {
    expect(await store().lease(['lease:{a}', 'lease:{b}'], 'one', 200)).toEqual([true, true]);
    expect(await store().lease(['lease:{a}', 'lease:{c}'], 'two', 200)).toEqual([false, true]);
    await sleep(250);
    expect(await store().lease(['lease:{a}'], 'three', 200)).toEqual([true]);
  });

  it('stores a fill only under the lease it took, and releases the lease', async () => {
    await store().lease(['lease:{a}', 'lease:{b}'], 'mine', 60_000);
    expect(await store().fill([fillOf('{a}', 'A'), fillOf('{b}', 'B')], 'mine')).toEqual([true, true]);
    expect(await store().getMany(['{a}', '{b}'])).toEqual(['A', 'B']);
    // Released: the next taker gets it, and the old token stores nothing.
    expect(await store().lease(['lease:{a}'], 'next', 60_000)).toEqual([true]);
    expect(await store().fill([fillOf('{a}', 'stale')], 'mine')).toEqual([false]);
    expect(await store().getMany(['{a}'])).toEqual(['A']);
  });

  it('lets a write or an invalidation that came after the lease win over the fill', async () => {
    await store().lease(['lease:{w}', 'lease:{i}'], 'mine', 60_000);
    await store().set('{w}', 'written', 60_000, 'lease:{w}');
    await store().set('{i}', 'old', 60_000);
    await store().delete(['lease:{i}', '{i}']);
    expect(await store().fill([fillOf('{w}', 'fetched'), fillOf('{i}', 'fetched')], 'mine')).toEqual([false, false]);
    expect(await store().getMany(['{w}', '{i}'])).toEqual(['written', null]);
  });

  it('wakes a waiter when a fill of its key is announced, and otherwise waits its bound', async () => {
    await store().lease(['lease:{k}'], 'mine', 60_000);
    // The first wait subscribes (Redis): let it, before the fill that must wake the second one.
    await store().awaitFill('{k}', 50);
    const started = performance.now();
    const woken = store().awaitFill('{k}', 5000);
    await sleep(100);
    await store().fill([fillOf('{k}', 'K')], 'mine');
    await woken;
    expect(performance.now() - started).toBeLessThan(2500);

    const bounded = performance.now();
    await store().awaitFill('{never}', 150);
    expect(performance.now() - bounded).toBeGreaterThanOrEqual(140);
  });

  it("tells a listener that asks of the store's own changes, in order, and one that does not only of other processes'", async () => {
    const own: Change[] = [];
    const others: Change[] = [];
    store().onChange((change) => own.push(change), { own: true });
    store().onChange((change) => others.push(change));
    // Redis: listening subscribes, which takes a moment (on a cluster, a connection of its own).
    for (const deadline = Date.now() + 5000; own.length === 0 && Date.now() < deadline; ) {
      await store().set('{o}:probe', 'P', 60_000);
      await sleep(20);
    }
    own.length = 0;
    await store().set('{o}:a', 'A', 60_000);
    await store().upsertSeries(series('{o}:s', [1]));
    await store().appendLog(log('{o}:t', [{ score: 1 }]));
    await store().delete(['{o}:a']);
    await store().deleteByPrefix('{o}:');
    const keys = () => own.filter((change) => 'key' in change && change.key !== '{o}:probe');
    const prefixes = () => own.filter((change) => 'prefix' in change && change.prefix === '{o}:');
    for (const deadline = Date.now() + 5000; (keys().length < 5 || prefixes().length === 0) && Date.now() < deadline; ) await sleep(10);
    // The changes of one slot in the order they were made. (On a cluster, a walk's announcement,
    // published on another node, may overtake those of the scripts: only one master's are ordered.)
    expect(keys()).toEqual([{ key: '{o}:a' }, { key: '{o}:s' }, { key: '{o}:s:latest' }, { key: '{o}:t' }, { key: '{o}:a' }]);
    expect(prefixes().length).toBeGreaterThan(0);
    expect(others).toEqual([]);
  });

  describe('setMany', () => {
    it('stores every entry with its own TTL', async () => {
      await store().set('t:b', 'old', 60_000);
      await store().setMany([
        { key: 't:a', value: 'A', ttlMs: 150 },
        { key: 't:b', value: 'B', ttlMs: 60_000 },
        { key: 't:c', value: 'C', ttlMs: 60_000 },
      ]);
      expect(await store().getMany(['t:a', 't:b', 't:c'])).toEqual(['A', 'B', 'C']);
      await sleep(250);
      expect(await store().getMany(['t:a', 't:b', 't:c'])).toEqual([null, 'B', 'C']);
    });

    it('accepts no entries', async () => {
      await store().setMany([]);
      expect(await store().getMany(['t:a'])).toEqual([null]);
    });

    it('drops the fill lease of each entry that names one, so that a fill in flight stores nothing', async () => {
      await store().lease(['lease:{a}', 'lease:{b}'], 'mine', 60_000);
      await store().setMany([
        { key: '{a}', value: 'written', ttlMs: 60_000, leaseKey: 'lease:{a}' },
        { key: '{b}', value: 'written', ttlMs: 60_000 },
      ]);
      expect(await store().fill([fillOf('{a}', 'fetched'), fillOf('{b}', 'fetched')], 'mine')).toEqual([false, true]);
      expect(await store().getMany(['{a}', '{b}'])).toEqual(['written', 'fetched']);
    });
  });

  describe('appendLog', () => {
    it('reads back as its stamp followed by its members newest first, several to a score', async () => {
      const added = await store().appendLog(
        log('{t:log}', [{ score: 1, id: 'a' }, { score: 3, id: 'c' }, { score: 2, id: 'b' }, { score: 3, id: 'd' }]),
      );
      expect(added).toBe(4);
      const [all, limited, bounded] = await store().rangeMany([
        { key: '{t:log}', limit: 10 },
        { key: '{t:log}', limit: 3 },
        { key: '{t:log}', minScore: 2, maxScore: 3, limit: 10 },
      ]);
      expect(all![0]).toBe('stamp');
      expect(all!.slice(1, 3).sort()).toEqual(['t@3#c', 't@3#d']);
      expect(all!.slice(3)).toEqual(['t@2#b', 't@1#a']);
      expect(limited).toHaveLength(3);
      expect(limited![0]).toBe('stamp');
      // With a maxScore the stamp, at +inf, is out of range.
      expect([...bounded!].sort()).toEqual(['t@2#b', 't@3#c', 't@3#d']);
    });

    it('skips a member whose id it holds, counting only the new ones', async () => {
      await store().appendLog(log('{t:log}', [{ score: 1, id: 'a' }, { score: 2, id: 'b' }]));
      const added = await store().appendLog(
        log('{t:log}', [{ score: 2, member: 'b-revised', id: 'b' }, { score: 3, id: 'c' }], { stamp: 'stamp-2' }),
      );
      expect(added).toBe(1);
      const [members] = await store().rangeMany([{ key: '{t:log}', limit: 10 }]);
      expect(members).toEqual(['stamp-2', 't@3#c', 't@2#b', 't@1#a']);
    });

    it('skips a member without an id that it already holds, and keeps one that differs', async () => {
      await store().appendLog(log('{t:log}', [{ score: 1, member: 'x|1|buy' }]));
      const added = await store().appendLog(log('{t:log}', [{ score: 1, member: 'x|1|buy' }, { score: 1, member: 'x|1|sell' }]));
      expect(added).toBe(1);
      const [members] = await store().rangeMany([{ key: '{t:log}', limit: 10 }]);
      expect([...members!.slice(1)].sort()).toEqual(['x|1|buy', 'x|1|sell']);
    });

    it('replaces its stamp: one stamp, the last one written', async () => {
      await store().appendLog(log('{t:log}', [{ score: 1, id: 'a' }], { stamp: 'first' }));
      await store().appendLog(log('{t:log}', [{ score: 2, id: 'b' }], { stamp: 'second' }));
      const [members] = await store().rangeMany([{ key: '{t:log}', limit: 10 }]);
      expect(members).toEqual(['second', 't@2#b', 't@1#a']);
    });

    it('keeps only the maxMembers highest scores, counts only the members it kept, and forgets the ids it dropped', async () => {
      await store().appendLog(log('{t:log}', [{ score: 10, id: 'a' }, { score: 11, id: 'b' }, { score: 12, id: 'c' }], { maxMembers: 3 }));
      expect(await store().appendLog(log('{t:log}', [{ score: 1, id: 'old' }, { score: 13, id: 'd' }], { maxMembers: 3 }))).toBe(1);
      const [members] = await store().rangeMany([{ key: '{t:log}', limit: 10 }]);
      expect(members).toEqual(['stamp', 't@13#d', 't@12#c', 't@11#b']);
      // `a` was dropped with its id: written again, it is new.
      expect(await store().appendLog(log('{t:log}', [{ score: 14, member: 'a-again', id: 'a' }], { maxMembers: 3 }))).toBe(1);
      const [after] = await store().rangeMany([{ key: '{t:log}', limit: 10 }]);
      expect(after).toEqual(['stamp', 'a-again', 't@13#d', 't@12#c']);
    });

    it('expires the log and its ids after its TTL, refreshed by each append', async () => {
      await store().appendLog(log('{t:log}', [{ score: 1, id: 'a' }], { ttlMs: 600 }));
      await sleep(400);
      await store().appendLog(log('{t:log}', [{ score: 2, id: 'b' }], { ttlMs: 600 }));
      await sleep(400);
      expect(await store().rangeMany([{ key: '{t:log}', limit: 10 }])).toEqual([['stamp', 't@2#b', 't@1#a']]);
      await sleep(400);
      expect(await store().rangeMany([{ key: '{t:log}', limit: 10 }])).toEqual([[]]);
      // The ids went with it.
      expect(await store().appendLog(log('{t:log}', [{ score: 1, id: 'a' }]))).toBe(1);
    });

    it('loses nothing and counts each member once when appenders run at once', async () => {
      const appends = Array.from({ length: 10 }, (_, w) =>
        store().appendLog(log('{t:log}', Array.from({ length: 20 }, (_, i) => ({ score: (w % 5) * 20 + i, id: `${(w % 5) * 20 + i}` })), { maxMembers: 1000 })),
      );
      const added = await Promise.all(appends);
      expect(added.reduce((sum, n) => sum + n, 0)).toBe(100);
      const [members] = await store().rangeMany([{ key: '{t:log}', limit: 1000 }]);
      expect(members).toHaveLength(101);
    });

    it('writes under a fill lease only while the lease holds the token, and a write drops the lease', async () => {
      await store().lease(['lease:{log}'], 'mine', 60_000);
      expect(await store().appendLog(log('{log}', [{ score: 1, id: 'a' }], { lease: { key: 'lease:{log}', token: 'mine' } }))).toBe(1);
      expect(await store().appendLog(log('{log}', [{ score: 2, id: 'b' }], { lease: { key: 'lease:{log}', token: 'theirs' } }))).toBe(-1);

      await store().lease(['lease:{log2}'], 'mine', 60_000);
      expect(await store().appendLog(log('{log2}', [{ score: 1, id: 'w' }], { lease: { key: 'lease:{log2}', drop: true } }))).toBe(1);
      expect(await store().appendLog(log('{log2}', [{ score: 2, id: 'f' }], { lease: { key: 'lease:{log2}', token: 'mine' } }))).toBe(-1);

      expect(await store().rangeMany([{ key: '{log}', limit: 10 }, { key: '{log2}', limit: 10 }])).toEqual([
        ['stamp', 't@1#a'],
        ['stamp', 't@1#w'],
      ]);
    });

    it('leaves the key untouched when it holds a plain value', async () => {
      await store().set('{t:plain}', 'value', 60_000);
      await expect(store().appendLog(log('{t:plain}', [{ score: 1, id: 'a' }]))).rejects.toThrow();
      expect(await store().getMany(['{t:plain}'])).toEqual(['value']);
    });
  });

  describe('indexes', () => {
    it('list the members whose entries live, for each index in order, [] for an absent index', async () => {
      await store().set('t:a', 'A', 60_000, undefined, ref('a', 't:a'));
      await store().set('t:b', 'B', 60_000, undefined, ref('b', 't:b'));
      await store().set('t:x', 'X', 60_000, undefined, ref('x', 't:x', 'idx:{other}'));
      expect(await indexedSorted(store(), ['idx:{other}', 'idx:{none}', 'idx:{k}'])).toEqual([['x'], [], ['a', 'b']]);
      expect(await store().indexed([])).toEqual([]);
    });

    it('stop listing a member once its entry expires', async () => {
      await store().set('t:a', 'A', 150, undefined, ref('a', 't:a'));
      await store().set('t:b', 'B', 60_000, undefined, ref('b', 't:b'));
      await sleep(250);
      expect(await store().indexed(['idx:{k}'])).toEqual([['b']]);
    });

    it("follow each write's expiry, shorter or longer than the last", async () => {
      await store().set('t:a', 'A', 60_000, undefined, ref('a', 't:a'));
      await store().set('t:a', 'A', 150, undefined, ref('a', 't:a'));
      await store().set('t:b', 'B', 150, undefined, ref('b', 't:b'));
      await store().set('t:b', 'B', 60_000, undefined, ref('b', 't:b'));
      await sleep(250);
      expect(await store().indexed(['idx:{k}'])).toEqual([['b']]);
    });

    it('are written by setMany, fill, upsertSeries and appendLog', async () => {
      await store().setMany([
        { key: 't:a', value: 'A', ttlMs: 60_000, index: ref('a', 't:a') },
        { key: 't:b', value: 'B', ttlMs: 150, index: ref('b', 't:b') },
      ]);
      await store().lease(['lease:{f}'], 'mine', 60_000);
      await store().lease(['lease:{g}'], 'theirs', 60_000);
      await store().fill([{ ...fillOf('{f}', 'F'), index: ref('f', '{f}') }, { ...fillOf('{g}', 'G'), index: ref('g', '{g}') }], 'mine');
      await store().upsertSeries(series('{t:s}', [1, 2], { index: ref('s 1h', '{t:s}') }));
      await store().appendLog(log('{t:log}', [{ score: 1, id: 'a' }], { index: ref('log', '{t:log}') }));
      await sleep(250);
      // `b` expired; `g`'s fill held no lease and stored nothing.
      expect(await indexedSorted(store(), ['idx:{k}'])).toEqual([['a', 'f', 'log', 's 1h']]);
    });

    it('follow a series whose TTL a later write refreshes', async () => {
      await store().upsertSeries(series('{t:s}', [1], { ttlMs: 500, index: ref('s', '{t:s}') }));
      await sleep(300);
      await store().upsertSeries(series('{t:s}', [2], { ttlMs: 500, index: ref('s', '{t:s}') }));
      await sleep(300);
      expect(await store().indexed(['idx:{k}'])).toEqual([['s']]);
      await sleep(300);
      expect(await store().indexed(['idx:{k}'])).toEqual([[]]);
    });

    it('lose the member of a deleted entry, and keep those whose entries live on', async () => {
      await store().set('t:a', 'A', 60_000, undefined, ref('a', 't:a'));
      await store().set('t:b', 'B', 60_000, undefined, ref('b', 't:b'));
      await store().appendLog(log('{t:log}', [{ score: 1, id: 'x' }], { index: ref('log', '{t:log}', 'idx:{logs}') }));
      expect(await store().delete(['t:a', '{t:log}'], [ref('a', 't:a'), ref('b', 't:b'), ref('log', '{t:log}', 'idx:{logs}')])).toEqual([true, true]);
      expect(await store().indexed(['idx:{k}', 'idx:{logs}'])).toEqual([['b'], []]);
      expect(await store().getMany(['t:b'])).toEqual(['B']);
    });
  });
});

describe('the redis store', () => {
  it('stores every entry of setMany even when an index key holds something else, and puts that index right', async () => {
    await topologies[0]![1].flush();
    const store = createRedisStore({ redis });
    // The index is bookkeeping: a foreign value at an index key neither fails the write nor stays.
    await redis.set('idx:{broken}', 'not an index');
    await store.setMany([
      { key: 't:a', value: 'A', ttlMs: 60_000, index: ref('a', 't:a') },
      { key: 't:b', value: 'B', ttlMs: 60_000 },
      { key: 't:c', value: 'C', ttlMs: 60_000, index: ref('c', 't:c', 'idx:{broken}') },
    ]);
    expect(await redis.mget('t:a', 't:b', 't:c')).toEqual(['A', 'B', 'C']);
    expect(await store.indexed(['idx:{k}', 'idx:{broken}'])).toEqual([['a'], ['c']]);
  });
});

describe('the redis store, subscribed', () => {
  it('survives its subscription being cut again and again, subscribes again and hears changes', async () => {
    const { server, probe } = topologies[0]![1];
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', record);
    // Connections made as the gateway makes them: no retry of a failed command.
    const logger = pino({ level: 'silent' });
    const clients = [0, 1, 2].map(() => createRedisClient({ kind: 'standalone', url: server!.url }, logger));
    try {
      const store = createRedisStore({ redis: clients[0]!, subscriber: clients[1]!, changeChannel: 'test:cut' });
      const other = createRedisStore({ redis: clients[2]!, changeChannel: 'test:cut' });
      const heard: Change[] = [];
      store.onChange((change) => heard.push(change));
      const subscribers = async () => Number((await (probe as Redis).pubsub('NUMSUB', 'test:cut'))[1]);
      const until = async (what: () => Promise<boolean>) => {
        const deadline = Date.now() + 5000;
        while (!(await what()) && Date.now() < deadline) await sleep(20);
      };
      await until(async () => (await subscribers()) === 1);
      // Cuts as fast as Redis takes them, for 3 s: some land while a resubscription's reply is on its way.
      for (const until = Date.now() + 3000; Date.now() < until; ) await (probe as Redis).client('KILL', 'TYPE', 'pubsub');
      await until(async () => (await subscribers()) === 1);
      expect(await subscribers()).toBe(1);
      await other.set('t:{cut}', 'changed', 60_000);
      await until(async () => heard.some((change) => 'key' in change && change.key === 't:{cut}'));
      expect(heard).toContainEqual({ key: 't:{cut}' });
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
      clients.forEach((client) => client.disconnect());
    }
  });
});

describe('the memory store', () => {
  afterEach(() => void vi.useRealTimers());

  it('expires values and series on its clock, to the millisecond', async () => {
    vi.useFakeTimers();
    const store = createMemoryStore();
    await store.set('a', 'A', 10_000);
    await store.upsertSeries(series('s', [1], { ttlMs: 20_000 }));
    vi.advanceTimersByTime(9_999);
    expect(await store.getMany(['a', 's:latest'])).toEqual(['A', 'bar@1']);
    vi.advanceTimersByTime(1);
    expect(await store.getMany(['a', 's:latest'])).toEqual([null, 'bar@1']);
    vi.advanceTimersByTime(10_000);
    expect(await store.rangeMany([{ key: 's', limit: 10 }])).toEqual([[]]);
  });

  it('evicts the least recently used key beyond maxKeys', async () => {
    const store = createMemoryStore({ maxKeys: 2 });
    await store.set('a', 'A', 60_000);
    await store.set('b', 'B', 60_000);
    await store.getMany(['a']);
    await store.set('c', 'C', 60_000);
    expect(await store.getMany(['a', 'b', 'c'])).toEqual(['A', null, 'C']);
  });
});
