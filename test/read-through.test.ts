import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisStore } from '../src/cache/redis-store.js';
import { DEFAULTS } from '../src/defaults.js';
import { startChildGateway, type ChildGateway } from './support/attack-child.js';
import { startBinanceServer, syntheticBars, type BinanceServer } from './support/binance-server.js';
import { startFearGreedServer, type FearGreedServer } from './support/fear-greed-server.js';
import { ADMIN_TOKEN, testGateway, WRITER_TOKEN, type GraphQLResponse, type TestGateway } from './support/gateway.js';
import { useRedis } from './support/harness.js';
import { startLiveGateway, type LiveGateway } from './support/live-gateway.js';
import { sleep } from './support/load.js';
import { commandsDuring } from './support/redis-server.js';
import { interruptible } from './support/stores.js';
import { TOPOLOGIES, useTopology } from './support/topologies.js';

/**
 * Read-through, as a client sees it: a miss is filled from its source and answered in the same
 * request; concurrent misses cost one upstream call however many gateway processes share the
 * Redis, on each topology (standalone, Cluster, Sentinel); an expired value is answered at once,
 * marked stale, while one refresh runs; a failing upstream serves what is within grace and
 * `UPSTREAM_UNAVAILABLE` beyond it; an invalidation during a slow fill leaves nothing behind.
 * The upstreams are real HTTP servers on loopback that speak their documented wire formats.
 */

const redis = useRedis();
let fng: FearGreedServer;
let gateway: TestGateway;

const FEAR_GREED = '{ fearGreed { value classification time stale } }';
// Each test's gateway has a namespace of its own: what an earlier test's gateway still does in
// the background (a waiter's retry, a refresh) cannot touch this test's keys.
let namespace = 0;
let KEY: string;
const READING_TIME = new Date(Number(1713628800) * 1000).toISOString();

/** A stored Fear & Greed value, as the gateway writes it, whose freshness ended `agoMs` ago. */
function storedReading(value: number, agoMs: number) {
  const now = Date.now();
  return JSON.stringify({ value, classification: 'Fear', time: READING_TIME, cachedAt: new Date(now - 60_000).toISOString(), expiresAt: new Date(now - agoMs).toISOString() });
}

beforeAll(async () => {
  fng = await startFearGreedServer();
});
afterAll(() => fng?.stop());

beforeEach(() => {
  fng.reset();
  const store = createRedisStore({ redis: redis.redis, subscriber: redis.server.client(), changeChannel: `t${namespace + 1}:v1:changes`, readTimeoutMs: 5000, writeTimeoutMs: 5000 });
  namespace += 1;
  KEY = `t${namespace}:v1:fear-greed`;
  gateway = testGateway(store, { FEAR_GREED_URL: fng.url, UPSTREAM_TIMEOUT_MS: '2000', CACHE_NAMESPACE: `t${namespace}` });
});

describe('with REDIS_WAIT_REPLICAS and no replica to confirm', () => {
  it('refuses a write, but a read that misses is still filled and answered: fills do not wait for replicas', async () => {
    // The harness's redis-server has no replica: WAIT 1 always confirms 0.
    const store = createRedisStore({ redis: redis.redis, changeChannel: `t${namespace}:v1:changes`, readTimeoutMs: 5000, writeTimeoutMs: 300, waitReplicas: 1 });
    const waiting = testGateway(store, { FEAR_GREED_URL: fng.url, UPSTREAM_TIMEOUT_MS: '2000', CACHE_NAMESPACE: `t${namespace}` });
    const put = await waiting.gql('mutation { putFearGreed(fearGreed: { value: 10, classification: "Fear" }) { value } }', undefined, WRITER_TOKEN);
    // 'Redis applied the write but only 0 of 1 replicas confirmed it within 300 ms' (or, on a
    // machine too busy to read WAIT's reply in time, that Redis did not answer the write).
    expect(put.errors?.map((error) => error.extensions?.code)).toEqual(['CACHE_UNAVAILABLE']);
    await redis.probe.del(KEY);

    const read = await waiting.gql(FEAR_GREED);
    expect(read.errors).toBeUndefined();
    expect(read.data?.fearGreed).toMatchObject({ stale: false });
    expect(fng.calls('/fng/')).toBe(1);
    expect(await redis.probe.exists(KEY)).toBe(1);
  });
});

describe('a read that misses', () => {
  it('fills from the source, answers fresh in the same request, and stores it for the next reader', async () => {
    const first = await gateway.gql(FEAR_GREED);
    expect(first).toMatchObject({ status: 200, data: { fearGreed: { value: 54, classification: 'Neutral', time: READING_TIME, stale: false } } });
    expect(first.errors).toBeUndefined();
    expect(fng.calls('/fng/')).toBe(1);

    // Fresh for min(TTL_FEAR_GREED_SECONDS, time_until_update), kept in Redis for its grace too.
    const pttl = await redis.probe.pttl(KEY);
    const freshMs = Math.min(DEFAULTS.ttlSeconds.fearGreed, 3600) * 1000;
    expect(pttl).toBeGreaterThan(freshMs + DEFAULTS.graceSeconds.fearGreed * 1000 - 10_000);
    expect(pttl).toBeLessThanOrEqual(freshMs + DEFAULTS.graceSeconds.fearGreed * 1000);

    expect((await gateway.gql(FEAR_GREED)).data).toEqual(first.data);
    expect(fng.calls('/fng/')).toBe(1);
  });

  it('never outlives the source’s own next reading (time_until_update)', async () => {
    fng.setReading({ time_until_update: '20' });
    await gateway.gql(FEAR_GREED);
    const stored = JSON.parse((await redis.probe.get(KEY))!);
    expect(Date.parse(stored.expiresAt) - Date.parse(stored.cachedAt)).toBe(20_000);
  });

  it('costs one upstream call for 200 concurrent requests in one gateway', async () => {
    fng.setModes({ delayMs: 300 });
    const answers = await Promise.all(Array.from({ length: 200 }, () => gateway.gql(FEAR_GREED)));
    expect(new Set(answers.map((answer) => JSON.stringify(answer.data)))).toEqual(new Set([JSON.stringify({ fearGreed: { value: 54, classification: 'Neutral', time: READING_TIME, stale: false } })]));
    expect(fng.calls('/fng/')).toBe(1);
  });
});

describe('a read of a value past its freshness but within its grace', () => {
  it('is answered at once, marked stale, while one refresh runs; the next reads are fresh', async () => {
    await redis.probe.set(KEY, storedReading(20, 1000), 'PX', 600_000);
    fng.setModes({ delayMs: 1500 });
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 20 }, () => gateway.gql(FEAR_GREED)));
    const ms = performance.now() - started;
    for (const answer of answers) expect(answer.data).toEqual({ fearGreed: { value: 20, classification: 'Fear', time: READING_TIME, stale: true } });
    console.info(`[read-through] 20 reads of a stale value while its refresh takes 1500 ms: answered in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(1000); // they did not wait for the 1500 ms upstream (the figure above is the measure)

    await sleep(1800);
    expect((await gateway.gql(FEAR_GREED)).data).toEqual({ fearGreed: { value: 54, classification: 'Neutral', time: READING_TIME, stale: false } });
    expect(fng.calls('/fng/')).toBe(1);
  });
});

describe('a failing upstream', () => {
  it.each([
    ['answers 500', { status500: true }],
    ['answers 429 with Retry-After', { status429: { retryAfterSeconds: 30 } }],
    ['answers garbage', { garbage: true }],
    ['hangs up', { close: true }],
  ])('that %s: a value within grace is served stale; with nothing to serve, the field is null with UPSTREAM_UNAVAILABLE', async (_case, modes) => {
    fng.setModes(modes);
    const missing = await gateway.gql(`{ fearGreed { value } __typename }`);
    expect(missing.data).toEqual({ fearGreed: null, __typename: 'Query' });
    expect(missing.errors).toEqual([expect.objectContaining({ path: ['fearGreed'], extensions: { code: 'UPSTREAM_UNAVAILABLE' } })]);
    expect(missing.errors![0]!.message).toMatch(/^upstream unavailable: fear-greed: /);
    expect(await redis.probe.exists(KEY)).toBe(0);

    await redis.probe.set(KEY, storedReading(20, 1000), 'PX', 600_000);
    const stale = await gateway.gql(FEAR_GREED);
    expect(stale.errors).toBeUndefined();
    expect(stale.data).toEqual({ fearGreed: { value: 20, classification: 'Fear', time: READING_TIME, stale: true } });
  });

  it('is left alone after failures in a row instead of being called by every request', async () => {
    fng.setModes({ status500: true });
    for (let i = 0; i < 20; i++) {
      // Each read misses again once the failed fill's lease is gone.
      await redis.probe.del(`t${namespace}:v1:lease:{${KEY}}`);
      await gateway.gql(FEAR_GREED);
    }
    expect(fng.calls('/fng/')).toBe(DEFAULTS.upstream.failureThreshold);
  });
});

describe('a Redis outage, for a kind with a source', () => {
  it('serves the last value from the process’s tier: fresh within its TTL, stale within its grace, not at all past it', async () => {
    fng.setReading({ time_until_update: '1' }); // fresh for 1 s
    const down = interruptible(createRedisStore({ redis: redis.redis, readTimeoutMs: 5000, writeTimeoutMs: 5000 }));
    const outage = testGateway(down, { FEAR_GREED_URL: fng.url, GRACE_FEAR_GREED_SECONDS: '1', CACHE_NAMESPACE: `o${namespace}` });
    expect((await outage.gql(FEAR_GREED)).data).toMatchObject({ fearGreed: { value: 54, stale: false } });

    down.takeDown();
    expect((await outage.gql(FEAR_GREED)).data).toMatchObject({ fearGreed: { value: 54, stale: false } });
    await sleep(1200);
    expect((await outage.gql(FEAR_GREED)).data).toMatchObject({ fearGreed: { value: 54, stale: true } });
    await sleep(1000);
    const gone = await outage.gql(FEAR_GREED);
    expect(gone.data).toEqual({ fearGreed: null });
    expect(gone.errors?.map((error) => error.extensions?.code)).toEqual(['CACHE_UNAVAILABLE']);
  }, 15_000);
});

describe('an invalidation during a slow fill', () => {
  it('wins: the fill stores nothing and serves nothing it fetched', async () => {
    fng.setModes({ delayMs: 600 });
    const reading = gateway.gql(FEAR_GREED);
    await sleep(200);
    const invalidated = await gateway.gql('mutation { invalidateFearGreed { deleted } }', undefined, ADMIN_TOKEN);
    expect(invalidated.errors).toBeUndefined();
    expect((await reading).data).toEqual({ fearGreed: null });
    await sleep(100);
    expect(await redis.probe.exists(KEY)).toBe(0);

    // The next read fills again.
    fng.setModes({});
    expect((await gateway.gql(FEAR_GREED)).data).toMatchObject({ fearGreed: { value: 54 } });
    expect(fng.calls('/fng/')).toBe(2);
  });

  it('and so does a write: the value written is what stays and what is served', async () => {
    fng.setModes({ delayMs: 600 });
    const reading = gateway.gql(FEAR_GREED);
    await sleep(200);
    const written = await gateway.gql('mutation { putFearGreed(fearGreed: { value: 77, classification: "Greed" }) { value } }', undefined, WRITER_TOKEN);
    expect(written.errors).toBeUndefined();
    expect((await reading).data).toMatchObject({ fearGreed: { value: 77, classification: 'Greed', stale: false } });
    expect(JSON.parse((await redis.probe.get(KEY))!)).toMatchObject({ value: 77 });
  });
});

describe.each(TOPOLOGIES)('two gateway processes on one Redis (%s)', (topology) => {
  // A Redis of its own: the lease and the announcement that wakes the other process's waiters
  // are what is tested on each topology.
  const shared = useTopology(topology);
  const UPSTREAM_TIMEOUT_MS = 10_000;
  let gateways: ChildGateway[] = [];
  beforeAll(async () => {
    // A lease of 12 s (the upstream's time limit and 2 s): far longer than the test takes, however
    // busy the machine, unless a waiter sleeps through the announcement and waits for it to end.
    const env = { ...shared.env, FEAR_GREED_URL: fng.url, UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS) };
    gateways = await Promise.all([startChildGateway(env, { heapMiB: 256 }), startChildGateway(env, { heapMiB: 256 })]);
  }, 60_000);
  afterAll(async () => {
    gateways.forEach((child) => child.stop());
    await Promise.all(gateways.map((child) => child.closed));
  });

  it('make one upstream call in all for 500 concurrent requests of one missing key, the waiters woken by its announcement', async () => {
    fng.setModes({ delayMs: 300 });
    const ask = (url: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: FEAR_GREED }) }).then((response) => response.json());
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => ask(gateways[i % 2]!.url)));
    const ms = performance.now() - started;
    console.info(`[read-through] 500 concurrent misses on two gateways (${topology}), the fill taking 300 ms: answered in ${ms.toFixed(0)} ms`);
    const kinds = new Set(answers.map((answer) => JSON.stringify(answer)));
    expect(kinds).toEqual(new Set([JSON.stringify({ data: { fearGreed: { value: 54, classification: 'Neutral', time: READING_TIME, stale: false } } })]));
    expect(fng.calls('/fng/')).toBe(1);
    // The process that did not fill heard of the fill on the changes channel, before its lease ran out.
    expect(ms).toBeLessThan(UPSTREAM_TIMEOUT_MS);
  }, 30_000);
});

describe.each([
  ['with read plans', {}],
  ['through the executor (READ_PLANS=false)', { READ_PLANS: 'false' }],
])('exchange data %s', (_path, env) => {
  let binance: BinanceServer;
  let exchangeGateway: TestGateway;
  const TICKERS = Array.from({ length: 50 }, (_, i) => `S${String(i).padStart(2, '0')}/USDT`);
  beforeAll(async () => {
    binance = await startBinanceServer();
  });
  afterAll(() => binance?.stop());
  beforeEach(() => {
    const store = createRedisStore({ redis: redis.redis, readTimeoutMs: 5000, writeTimeoutMs: 5000 });
    exchangeGateway = testGateway(store, { EXCHANGE_ID: 'binance', EXCHANGE_API_URL: binance.url, CACHE_NAMESPACE: `x${namespace++}`, ...env });
  });

  it('fills the 10 missing tickers of 50 with one MGET and one upstream call, and answers all 50', async () => {
    const put = `mutation($t: TickerInput!) { putTicker(ticker: $t, ttlSeconds: 600) { symbol } }`;
    for (const [i, symbol] of TICKERS.slice(10).entries()) {
      expect((await exchangeGateway.gql(put, { t: { symbol, last: 1000 + i } }, WRITER_TOKEN)).errors).toBeUndefined();
    }
    await exchangeGateway.gql('{ ticker(symbol: "BTC/USDT") { last } }'); // markets load once, outside what is counted
    const before = binance.calls('/api/v3/ticker/24hr');

    let answer: GraphQLResponse | undefined;
    const commands = await commandsDuring(redis.probe, async () => {
      answer = await exchangeGateway.gql(`query($s: [MarketSymbol!]!) { tickers(symbols: $s) { symbol last stale } }`, { s: TICKERS });
    });
    expect(answer!.errors).toBeUndefined();
    expect(answer!.data.tickers).toHaveLength(50);
    expect(answer!.data.tickers.slice(10)).toEqual(TICKERS.slice(10).map((symbol, i) => ({ symbol, last: 1000 + i, stale: false })));
    for (const [i, ticker] of answer!.data.tickers.slice(0, 10).entries()) expect(ticker).toMatchObject({ symbol: TICKERS[i], stale: false, last: expect.any(Number) });
    expect(commands['mget']).toBe(1);
    expect(binance.calls('/api/v3/ticker/24hr') - before).toBe(1);
  }, 20_000);

  it('remembers a symbol the exchange does not list as absent, and a write of it replaces that', async () => {
    const read = '{ ticker(symbol: "NOPE/USDT") { last } }';
    expect(await exchangeGateway.gql(read)).toMatchObject({ status: 200, data: { ticker: null } });
    const key = `x${namespace - 1}:v1:ticker:{NOPE/USDT}`;
    expect(JSON.parse((await redis.probe.get(key))!)).toMatchObject({ absent: true });
    const pttl = await redis.probe.pttl(key);
    expect(pttl).toBeGreaterThan(DEFAULTS.upstream.negativeTtlSeconds * 1000 - 5000);
    expect(pttl).toBeLessThanOrEqual(DEFAULTS.upstream.negativeTtlSeconds * 1000);

    const calls = binance.calls();
    expect((await exchangeGateway.gql(read)).data).toEqual({ ticker: null });
    expect(binance.calls()).toBe(calls);

    await exchangeGateway.gql('mutation { putTicker(ticker: { symbol: "NOPE/USDT", last: 3 }) { last } }', undefined, WRITER_TOKEN);
    expect((await exchangeGateway.gql(read)).data).toEqual({ ticker: { last: 3 } });
  }, 20_000);

  const HOUR = 3_600_000;
  /** The open time of the current hourly candle, and `n` hours before it. */
  const hoursAgo = (n: number) => Math.floor(Date.now() / HOUR) * HOUR - n * HOUR;
  /** Binance holds 48 hourly bars of `id`, up to the current (open) candle. */
  const listHours = (id: string) => binance.setBars(id, '1h', syntheticBars(48, hoursAgo(47), HOUR));
  const BARS = `query($s: MarketSymbol!, $since: DateTime, $limit: Int) { bars(symbol: $s, timeframe: "1h", since: $since, limit: $limit) { openTime close stale } }`;
  const openTimes = (bars: Array<{ openTime: string }>) => bars.map((bar) => Date.parse(bar.openTime));

  it('fills an empty bar series with the newest bars, in the request, and reads them from the cache afterwards', async () => {
    listHours('BTCUSDT');
    const first = await exchangeGateway.gql(BARS, { s: 'BTC/USDT', limit: 10 });
    expect(first.errors).toBeUndefined();
    expect(openTimes(first.data.bars)).toEqual(Array.from({ length: 10 }, (_, i) => hoursAgo(i)));
    expect(first.data.bars.every((bar: { stale: boolean }) => !bar.stale)).toBe(true);
    expect(await redis.probe.zcard(`x${namespace - 1}:v1:bars:{BTC/USDT}:1h`)).toBe(10);
    const calls = binance.calls('/api/v3/klines');
    expect(calls).toBe(1);

    // Covered now: three more reads cost at most the open candle's one refresh (every 5 s at most).
    for (let i = 0; i < 3; i++) expect((await exchangeGateway.gql(BARS, { s: 'BTC/USDT', limit: 10 })).data).toEqual(first.data);
    await sleep(100);
    expect(binance.calls('/api/v3/klines') - calls).toBeLessThanOrEqual(1);
  }, 20_000);

  it('brings a series whose newest bar is older than the current period up to date, in the request', async () => {
    listHours('ETHUSDT');
    const old = syntheticBars(48, hoursAgo(47), HOUR).slice(0, 45).map(([t, o, h, l, c, v]) => ({ openTime: new Date(t).toISOString(), open: o, high: h, low: l, close: c, volume: v }));
    const put = await exchangeGateway.gql(`mutation($b: [BarInput!]!) { putBars(symbol: "ETH/USDT", timeframe: "1h", bars: $b) }`, { b: old }, WRITER_TOKEN);
    expect(put.data).toEqual({ putBars: 45 });
    const read = await exchangeGateway.gql(BARS, { s: 'ETH/USDT', limit: 5 });
    expect(openTimes(read.data.bars)).toEqual([0, 1, 2, 3, 4].map(hoursAgo));
    expect(binance.calls('/api/v3/klines', 'ETHUSDT')).toBe(1);
  }, 20_000);

  it('fetches the part of a window the series does not hold when since is older than its oldest bar', async () => {
    listHours('SOLUSDT');
    await exchangeGateway.gql(BARS, { s: 'SOL/USDT', limit: 3 }); // the series holds the newest 3
    const read = await exchangeGateway.gql(BARS, { s: 'SOL/USDT', since: new Date(hoursAgo(10)).toISOString(), limit: 100 });
    expect(read.errors).toBeUndefined();
    expect(openTimes(read.data.bars)).toEqual(Array.from({ length: 11 }, (_, i) => hoursAgo(i)));
  }, 20_000);

  it('fills a missing latest bar from its series', async () => {
    listHours('S01USDT');
    const read = await exchangeGateway.gql('{ latestBar(symbol: "S01/USDT", timeframe: "1h") { openTime close } }');
    expect(read.errors).toBeUndefined();
    expect(Date.parse(read.data.latestBar.openTime)).toBe(hoursAgo(0));
  }, 20_000);

  it('lets an invalidation during a slow bar fill win: nothing is stored', async () => {
    listHours('S02USDT');
    binance.mode({ delayMs: 600 }, '/api/v3/klines');
    const reading = exchangeGateway.gql(BARS, { s: 'S02/USDT', limit: 5 });
    await sleep(250);
    await exchangeGateway.gql('mutation { invalidateBars(symbol: "S02/USDT") { deleted } }', undefined, ADMIN_TOKEN);
    const answer = await reading;
    expect(answer.data).toEqual({ bars: [] });
    await sleep(100);
    expect(await redis.probe.exists(`x${namespace - 1}:v1:bars:{S02/USDT}:1h`)).toBe(0);
    binance.mode({}, '/api/v3/klines');
  }, 20_000);

  it('warms tickers, perpetual funding rates and bars on an admin’s warmCache, skipping what is fresh, counting failures', async () => {
    listHours('S03USDT');
    listHours('BTCUSDT');
    const WARM = 'mutation($s: [MarketSymbol!]!, $t: [Timeframe!]) { warmCache(symbols: $s, timeframes: $t) { warmed skipped failed } }';
    const variables = { s: ['S03/USDT', 'BTC/USDT:USDT', 'NOPE/USDT'], t: ['1h'] };
    expect((await exchangeGateway.gql(WARM, variables, WRITER_TOKEN)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const first = await exchangeGateway.gql(WARM, variables, ADMIN_TOKEN);
    expect(first.errors).toBeUndefined();
    // S03/USDT: ticker and 1h bars; BTC/USDT:USDT: ticker, funding rate and 1h bars; NOPE/USDT: its ticker and its bars fail.
    expect(first.data.warmCache).toEqual({ warmed: 5, skipped: 0, failed: 2 });
    const ns = `x${namespace - 1}:v1`;
    expect(await redis.probe.exists(`${ns}:ticker:{S03/USDT}`, `${ns}:funding:{BTC/USDT:USDT}`, `${ns}:bars:{S03/USDT}:1h`)).toBe(3);
    expect(exchangeGateway.logs.filter((line) => line.msg === 'warm-up could not fill a value')).toHaveLength(2);

    const again = await exchangeGateway.gql(WARM, { s: ['S03/USDT'], t: ['1h'] }, ADMIN_TOKEN);
    expect(again.data.warmCache).toEqual({ warmed: 0, skipped: 2, failed: 0 });
  }, 30_000);

  it('fills a perpetual’s funding rate, never fresh past its next funding time', async () => {
    const nextFundingTime = Date.now() + 30_000;
    binance.setFunding('BTCUSDT', { lastFundingRate: '0.00025000', nextFundingTime });
    const answer = await exchangeGateway.gql('{ fundingRate(symbol: "BTC/USDT:USDT") { symbol rate nextFundingTime expiresAt stale } }');
    expect(answer.errors).toBeUndefined();
    expect(answer.data.fundingRate).toMatchObject({ symbol: 'BTC/USDT:USDT', rate: 0.00025, nextFundingTime: new Date(nextFundingTime).toISOString(), stale: false });
    expect(Date.parse(answer.data.fundingRate.expiresAt)).toBeLessThanOrEqual(nextFundingTime);
    expect(binance.calls('/fapi/v1/premiumIndex')).toBeGreaterThanOrEqual(1);
  }, 20_000);
});

describe('a gateway started with WARM_SYMBOLS and WARM_TIMEFRAMES', () => {
  let binance: BinanceServer;
  let live: LiveGateway | undefined;
  beforeAll(async () => {
    binance = await startBinanceServer();
  });
  afterAll(async () => {
    await live?.shutdown();
    await binance?.stop();
  });

  it('warms in the background: it is ready before the warm-up ends, which logs its counts', async () => {
    const HOUR = 3_600_000;
    binance.setBars('ETHUSDT', '1h', syntheticBars(24, Math.floor(Date.now() / HOUR) * HOUR - 23 * HOUR, HOUR));
    binance.mode({ delayMs: 1500 }, '/api/v3/klines');
    live = await startLiveGateway(redis.server.url, {
      EXCHANGE_ID: 'binance',
      EXCHANGE_API_URL: binance.url,
      WARM_SYMBOLS: 'ETH/USDT',
      WARM_TIMEFRAMES: '1h',
      CACHE_NAMESPACE: 'warm',
    });
    expect((await live.get('/ready')).status).toBe(200);
    expect(live.logs.some((line) => line.msg === 'warm-up done')).toBe(false);

    const deadline = Date.now() + 15_000;
    while (!live.logs.some((line) => line.msg === 'warm-up done') && Date.now() < deadline) await sleep(100);
    expect(live.logs.find((line) => line.msg === 'warm-up done')).toMatchObject({ warmed: 2, skipped: 0, failed: 0 });
    expect(await redis.probe.zcard('warm:v1:bars:{ETH/USDT}:1h')).toBe(24);
  }, 30_000);
});
