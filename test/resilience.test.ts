import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import { CacheUnavailableError } from '../src/cache/cache-unavailable.js';
import { createCircuitBreakerStore } from '../src/cache/circuit-breaker-store.js';
import { createMemoryStore } from '../src/cache/memory-store.js';
import { createRedisStore } from '../src/cache/redis-store.js';
import { createStaleTier, rangeKeyOf, type StaleTier } from '../src/cache/stale-tier.js';
import type { CacheStore } from '../src/cache/store.js';
import { ADMIN_TOKEN, testGateway, WRITER_TOKEN, type TestGateway } from './support/gateway.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

/** A real store that can be switched to failing as unavailable, counting the calls that reach it. */
function switchableStore() {
  const inner = createMemoryStore();
  const state = { down: false, calls: 0 };
  const guard = <T>(call: () => Promise<T>) => {
    state.calls += 1;
    return state.down ? Promise.reject(new CacheUnavailableError('switched off')) : call();
  };
  const store: CacheStore = {
    ...inner,
    getMany: (keys) => guard(() => inner.getMany(keys)),
    set: (key, value, ttlMs) => guard(() => inner.set(key, value, ttlMs)),
  };
  return { store, state };
}

describe('the circuit breaker', () => {
  afterEach(() => void vi.useRealTimers());

  it('opens after 3 unavailable failures in a row, then fails fast without calling Redis', async () => {
    const { store, state } = switchableStore();
    const breaker = createCircuitBreakerStore(store, { openMs: 250 });
    state.down = true;
    for (let i = 0; i < 3; i++) await expect(breaker.getMany(['a'])).rejects.toThrow('switched off');
    expect(breaker.state()).toBe('open');
    await expect(breaker.getMany(['a'])).rejects.toThrow('circuit open');
    expect(state.calls).toBe(3);
  });

  it('lets one call through every openMs and closes when it succeeds', async () => {
    vi.useFakeTimers();
    const { store, state } = switchableStore();
    const breaker = createCircuitBreakerStore(store, { openMs: 250 });
    state.down = true;
    for (let i = 0; i < 3; i++) await breaker.getMany(['a']).catch(() => {});
    vi.advanceTimersByTime(250);
    await expect(breaker.getMany(['a'])).rejects.toThrow('switched off'); // the trial fails: open again
    expect(state.calls).toBe(4);
    await expect(breaker.getMany(['a'])).rejects.toThrow('circuit open');
    state.down = false;
    vi.advanceTimersByTime(250);
    expect(await breaker.getMany(['a'])).toEqual([null]);
    expect(breaker.state()).toBe('closed');
  });

  it('is not opened by errors Redis replies with', async () => {
    const breaker = createCircuitBreakerStore(createMemoryStore());
    await breaker.set('plain', 'value', 60_000);
    const write = { key: 'plain', latestKey: 'plain:latest', members: [{ score: 1, member: 'm' }], ttlMs: 1000, maxMembers: 10 };
    for (let i = 0; i < 5; i++) await expect(breaker.upsertSeries(write)).rejects.toThrow(/WRONGTYPE/);
    expect(breaker.state()).toBe('closed');
  });
});

/** Remembers `value` as a read that has just returned would. */
function remember(tier: StaleTier, key: string, value: string | string[] | null) {
  const ticket = tier.begin();
  tier.remember(key, value, ticket);
  tier.end(ticket);
}

describe('the stale tier', () => {
  afterEach(() => void vi.useRealTimers());

  it('evicts least recently used values beyond its byte budget', () => {
    // Each entry costs 160 bytes of bookkeeping plus its key and value (16 + 2 bytes a character each).
    const tier = createStaleTier({ maxBytes: 500, maxAgeMs: 60_000 });
    remember(tier, 'a', 'x'.repeat(10)); // 160 + 18 + 36 = 214 bytes
    remember(tier, 'b', 'x'.repeat(10));
    tier.recall('a');
    remember(tier, 'c', 'x'.repeat(10));
    expect([tier.recall('a'), tier.recall('b'), tier.recall('c')]).toEqual(['x'.repeat(10), undefined, 'x'.repeat(10)]);
  });

  it('forgets a series with every range read of it, and nothing of other series', () => {
    const tier = createStaleTier({ maxBytes: 10_000, maxAgeMs: 60_000 });
    const range = (series: string, limit: number) => rangeKeyOf({ key: series, limit });
    remember(tier, range('bars:{A}:1h', 5), ['a5']);
    remember(tier, range('bars:{A}:1h', 10), ['a10']);
    remember(tier, range('bars:{A}:1h:latest', 5), ['not a series of A:1h']);
    remember(tier, range('bars:{B}:1h', 5), ['b5']);
    remember(tier, 'bars:{A}:1h:latest', 'latest');
    tier.forget('bars:{A}:1h');
    expect(tier.recall(range('bars:{A}:1h', 5))).toBeUndefined();
    expect(tier.recall(range('bars:{A}:1h', 10))).toBeUndefined();
    expect(tier.recall(range('bars:{A}:1h:latest', 5))).toEqual(['not a series of A:1h']);
    expect(tier.recall(range('bars:{B}:1h', 5))).toEqual(['b5']);
    expect(tier.recall('bars:{A}:1h:latest')).toBe('latest');
  });

  it('never serves a value older than maxAgeMs, and forgets what Redis no longer has', () => {
    vi.useFakeTimers();
    const tier = createStaleTier({ maxBytes: 1000, maxAgeMs: 1000 });
    remember(tier, 'a', 'A');
    remember(tier, 'b', 'B');
    remember(tier, 'b', null);
    vi.advanceTimersByTime(1000);
    expect(tier.recall('a')).toBe('A');
    vi.advanceTimersByTime(1);
    expect(tier.recall('a')).toBeUndefined();
    expect(tier.recall('b')).toBeUndefined();
  });
});

describe('during an outage, the gateway', () => {
  let server: RedisServer;
  let redis: Redis;
  let gateway: TestGateway;
  let breaker: ReturnType<typeof createCircuitBreakerStore>;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = server.client();
    breaker = createCircuitBreakerStore(createRedisStore({ redis }), { openMs: 60_000 });
    gateway = testGateway(breaker);
  });
  afterAll(async () => {
    server.process.kill('SIGCONT');
    await server?.stop();
  });

  const TICKERS = `{ a: ticker(symbol: "A/USDT") { last stale } b: ticker(symbol: "B/USDT") { last stale } c: ticker(symbol: "C/USDT") { last stale } }`;
  const put = (symbol: string, last: number) =>
    gateway.gql(`mutation($s: MarketSymbol!, $l: Float!) { putTicker(ticker: { symbol: $s, last: $l }, ttlSeconds: 600) { last } }`, { s: symbol, l: last }, WRITER_TOKEN);

  it('serves what it last served or wrote, marked stale, and never what an invalidation removed', async () => {
    await put('A/USDT', 1);
    await put('B/USDT', 2);
    await put('C/USDT', 3);
    expect((await gateway.gql(TICKERS)).data).toEqual({ a: { last: 1, stale: false }, b: { last: 2, stale: false }, c: { last: 3, stale: false } });
    await put('A/USDT', 10);
    await gateway.gql(`mutation { invalidateTicker(symbol: "B/USDT") { deleted } }`, undefined, ADMIN_TOKEN);

    server.process.kill('SIGSTOP');
    const during = await gateway.gql(TICKERS);
    expect(during.status).toBe(200);
    expect(during.data).toEqual({ a: { last: 10, stale: true }, b: null, c: { last: 3, stale: true } });
    expect(during.errors).toEqual([expect.objectContaining({ path: ['b'], extensions: { code: 'CACHE_UNAVAILABLE' } })]);

    const write = await put('C/USDT', 30);
    expect(write).toMatchObject({ data: null, errors: [{ extensions: { code: 'CACHE_UNAVAILABLE' } }] });
    // A write that failed is not served as if it had been stored.
    expect((await gateway.gql(`{ ticker(symbol: "C/USDT") { last stale } }`)).data).toEqual({ ticker: { last: 3, stale: true } });

    server.process.kill('SIGCONT');
  });
});
