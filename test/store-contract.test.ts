import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import { createMemoryStore } from '../src/cache/memory-store.js';
import { createRedisStore } from '../src/cache/redis-store.js';
import type { CacheStore, SeriesWrite } from '../src/cache/store.js';
import { useRedis } from './support/harness.js';

/**
 * One contract, two stores: whatever the gateway relies on must hold for the embedded store
 * exactly as for Redis. TTLs here are real milliseconds because Redis expires keys on its own clock.
 */
interface Harness {
  store(): CacheStore;
  reset(): Promise<void>;
}

// Each store is emptied by its own harness below.
const redisHarness = useRedis({ flushBeforeEach: false });
let redis: Redis;
beforeAll(() => void (redis = redisHarness.redis));

const harnesses: Array<[string, () => Harness]> = [
  [
    'memory',
    () => {
      let store = createMemoryStore();
      return { store: () => store, reset: async () => void (store = createMemoryStore()) };
    },
  ],
  [
    'redis',
    () => {
      let store: CacheStore;
      return {
        store: () => (store ??= createRedisStore({ redis, subscriber: redisHarness.server.client(), fillChannel: 'test:fills' })),
        // The test's own private server: flushing it touches nothing shared.
        reset: async () => void (await redis.flushall()),
      };
    },
  ],
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
    await store().upsertSeries(series('t:s', [1, 2, 3, 4, 5]));
    const [all, limited, bounded, empty] = await store().rangeMany([
      { key: 't:s', limit: 10 },
      { key: 't:s', limit: 2 },
      { key: 't:s', minScore: 2, maxScore: 4, limit: 10 },
      { key: 't:none', limit: 10 },
    ]);
    expect(all).toEqual(['bar@5', 'bar@4', 'bar@3', 'bar@2', 'bar@1']);
    expect(limited).toEqual(['bar@5', 'bar@4']);
    expect(bounded).toEqual(['bar@4', 'bar@3', 'bar@2']);
    expect(empty).toEqual([]);
  });

  it('upserts by score, so a score written twice holds only the last member', async () => {
    await store().upsertSeries(series('t:s', [1, 2]));
    const stored = await store().upsertSeries({
      ...series('t:s', []),
      members: [{ score: 2, member: 'bar@2-revised' }, { score: 3, member: 'bar@3' }],
    });
    expect(stored).toBe(2);
    const [members] = await store().rangeMany([{ key: 't:s', limit: 10 }]);
    expect(members).toEqual(['bar@3', 'bar@2-revised', 'bar@1']);
  });

  it('keeps only the newest maxMembers and counts only the members it kept', async () => {
    await store().upsertSeries(series('t:s', [10, 11, 12], { maxMembers: 3 }));
    const stored = await store().upsertSeries(series('t:s', [1, 13], { maxMembers: 3 }));
    expect(stored).toBe(1);
    const [members] = await store().rangeMany([{ key: 't:s', limit: 10 }]);
    expect(members).toEqual(['bar@13', 'bar@12', 'bar@11']);
  });

  it('points the latest key at the newest member, even when older members arrive later', async () => {
    await store().upsertSeries(series('t:s', [5]));
    await store().upsertSeries(series('t:s', [3, 4]));
    expect(await store().getMany(['t:s:latest'])).toEqual(['bar@5']);
  });

  it('expires a series and its latest pointer together', async () => {
    await store().upsertSeries(series('t:s', [1], { ttlMs: 150 }));
    await sleep(250);
    expect(await store().rangeMany([{ key: 't:s', limit: 10 }])).toEqual([[]]);
    expect(await store().getMany(['t:s:latest'])).toEqual([null]);
  });

  it('leaves the series untouched when a write fails', async () => {
    await store().set('t:plain', 'value', 60_000);
    await expect(store().upsertSeries(series('t:plain', [1]))).rejects.toThrow(/WRONGTYPE/);
    expect(await store().getMany(['t:plain', 't:plain:latest'])).toEqual(['value', null]);
  });

  it('says which of the deleted keys existed', async () => {
    await store().set('t:a', 'A', 60_000);
    await store().upsertSeries(series('t:s', [1]));
    expect(await store().delete(['t:a', 't:missing', 't:s'])).toEqual([true, false, true]);
    expect(await store().getMany(['t:a'])).toEqual([null]);
    expect(await store().rangeMany([{ key: 't:s', limit: 10 }])).toEqual([[]]);
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

    await store().upsertSeries(series('t:s', [1, 2]));
    await store().discard('t:s', 'bar@1');
    expect(await store().rangeMany([{ key: 't:s', limit: 10 }])).toEqual([['bar@2']]);
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
