import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedisStore } from '../src/cache/redis-store.js';
import type { CacheStore } from '../src/cache/store.js';
import { ADMIN_TOKEN, testGateway, WRITER_TOKEN, type GraphQLResponse, type TestGateway } from './support/gateway.js';
import { useRedis } from './support/harness.js';
import type { RedisServer } from './support/redis-server.js';
import { holdingReads } from './support/stores.js';

/**
 * What must never reach a client or stay in the cache: a value an invalidation removed, brought
 * back by a read that was already in flight; a stored value that parses but breaks its field's
 * scalar; a number literal too large to be a number; an input that is not valid UTF-16; a bar
 * outside the times a bar can have.
 */

const harness = useRedis();
let server: RedisServer;
/** The test's own connection, to plant values and look at what Redis holds. */
let redis: Redis;
beforeAll(() => void ({ server, probe: redis } = harness));
afterAll(() => server?.resume()); // should a test have failed with the server frozen

const PATHS = [
  ['with read plans (the default)', {}],
  ['through the executor (READ_PLANS=false)', { READ_PLANS: 'false' }],
] as const;

const DISCARDED = 'discarded a cached value that does not decode';
const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const bar = (hour: number, close = 100 + hour) => ({
  openTime: iso(T0 + hour * HOUR),
  open: close - 1,
  high: close + 2,
  low: close - 2,
  close,
  volume: 10 + hour,
});

const KEYS = {
  ticker: (symbol: string) => `mdc:v1:ticker:{${symbol}}`,
  funding: (symbol: string) => `mdc:v1:funding:{${symbol}}`,
  bars: (symbol: string) => `mdc:v1:bars:{${symbol}}:1h`,
  fearGreed: 'mdc:v1:fear-greed',
};

const TICKER_FIELDS = 'symbol last bid ask high24h low24h volume24h changePercent24h time cachedAt expiresAt stale';
const PUT_TICKER = `mutation($t: TickerInput!) { putTicker(ticker: $t, ttlSeconds: 600) { symbol } }`;
const PUT_BARS = `mutation($symbol: MarketSymbol!, $bars: [BarInput!]!) { putBars(symbol: $symbol, timeframe: "1h", bars: $bars, ttlSeconds: 600) }`;

function gatewayOver(store: CacheStore, env: Record<string, string> = {}) {
  const gateway = testGateway(store, env);
  return {
    gateway,
    write: (query: string, variables?: Record<string, unknown>) => gateway.gql(query, variables, WRITER_TOKEN),
    admin: (query: string, variables?: Record<string, unknown>) => gateway.gql(query, variables, ADMIN_TOKEN),
  };
}

describe.each(PATHS)('an invalidation, %s,', (_path, env) => {
  const SYMBOLS = Array.from({ length: 20 }, (_, i) => `T${i}/USDT`);
  const TICKER = `query($symbol: MarketSymbol!) { ticker(symbol: $symbol) { symbol last stale } }`;
  /** One field per symbol, so that each one that cannot be served gets its own error. */
  const eachTicker = (symbols: string[]) =>
    `{ ${symbols.map((symbol, i) => `t${i}: ticker(symbol: "${symbol}") { symbol last stale }`).join(' ')} }`;
  /** `{ t0: value(0), t1: value(1), ... }`, a response's data for `eachTicker`. */
  const byField = (values: unknown[]) => Object.fromEntries(values.map((value, i) => [`t${i}`, value]));
  const BARS = `{ bars(symbol: "BTC/USDT", timeframe: "1h") { close stale } }`;

  function setUp() {
    // Reads that Redis does not answer within a second fail as unavailable: the outage below.
    const reads = holdingReads(createRedisStore({ redis: server.client(), readTimeoutMs: 1000, writeTimeoutMs: 2000 }));
    return { reads, ...gatewayOver(reads.store, env) };
  }

  /** Runs `read` while Redis is frozen, then lets Redis run again. */
  async function duringAnOutage<T>(read: () => Promise<T>): Promise<T> {
    server.freeze();
    try {
      return await read();
    } finally {
      server.resume();
    }
  }

  const unavailable = (path: Array<string | number>) =>
    expect.objectContaining({ path, extensions: expect.objectContaining({ code: 'CACHE_UNAVAILABLE' }) });

  it('wins over reads of the ticker already in flight: none of 20 tickers invalidated meanwhile is served stale in a later outage', async () => {
    const { reads, gateway, write, admin } = setUp();
    for (const [i, symbol] of [...SYMBOLS, 'KEPT/USDT'].entries()) await write(PUT_TICKER, { t: { symbol, last: i + 1 } });

    reads.hold();
    const inFlight = SYMBOLS.map((symbol) => gateway.gql(TICKER, { symbol }));
    await vi.waitFor(() => expect(reads.waiting()).toBe(SYMBOLS.length), { timeout: 10_000 });
    for (const symbol of SYMBOLS) {
      expect((await admin(`mutation($s: MarketSymbol!) { invalidateTicker(symbol: $s) { deleted } }`, { s: symbol })).data).toEqual({
        invalidateTicker: { deleted: 1 },
      });
    }
    reads.release();
    // What they answer was true when Redis read it; what matters is what they leave behind.
    for (const read of await Promise.all(inFlight)) expect(read.status).toBe(200);

    const during = await duringAnOutage(() => gateway.gql(eachTicker([...SYMBOLS, 'KEPT/USDT'])));
    // The one ticker nobody invalidated shows that the outage is served from the tier.
    expect(during.data).toEqual(byField([...SYMBOLS.map(() => null), { symbol: 'KEPT/USDT', last: SYMBOLS.length + 1, stale: true }]));
    expect(during.errors).toHaveLength(SYMBOLS.length);
    expect(during.errors).toEqual(expect.arrayContaining(SYMBOLS.map((_, i) => unavailable([`t${i}`]))));
  });

  it('of everything (invalidateAll) wins over ticker and bar reads already in flight', async () => {
    const { reads, gateway, write, admin } = setUp();
    for (const [i, symbol] of SYMBOLS.entries()) await write(PUT_TICKER, { t: { symbol, last: i + 1 } });
    await write(PUT_BARS, { symbol: 'BTC/USDT', bars: [bar(0), bar(1)] });

    reads.hold();
    const inFlight = [...SYMBOLS.map((symbol) => gateway.gql(TICKER, { symbol })), gateway.gql(BARS)];
    await vi.waitFor(() => expect(reads.waiting()).toBe(SYMBOLS.length + 1), { timeout: 10_000 });
    expect((await admin(`mutation { invalidateAll { deleted } }`)).data).toEqual({ invalidateAll: { deleted: SYMBOLS.length + 1 } });
    reads.release();
    for (const read of await Promise.all(inFlight)) expect(read.status).toBe(200);
    // Written after the invalidation: the tier may serve this one.
    await write(PUT_TICKER, { t: { symbol: 'KEPT/USDT', last: 99 } });

    const [tickers, bars] = await duringAnOutage(() => Promise.all([gateway.gql(eachTicker([...SYMBOLS, 'KEPT/USDT'])), gateway.gql(BARS)]));
    expect(tickers.data).toEqual(byField([...SYMBOLS.map(() => null), { symbol: 'KEPT/USDT', last: 99, stale: true }]));
    expect(tickers.errors).toHaveLength(SYMBOLS.length);
    expect(tickers.errors).toEqual(expect.arrayContaining(SYMBOLS.map((_, i) => unavailable([`t${i}`]))));
    expect(bars).toMatchObject({ data: null, errors: [unavailable(['bars'])] });
  });
});

describe.each(PATHS)('a cached value that parses but breaks its scalar, %s,', (_path, env) => {
  let gateway: TestGateway;
  let write: ReturnType<typeof gatewayOver>['write'];

  beforeAll(() => {
    // Generous timeouts: a loaded test run is not what is tested here.
    ({ gateway, write } = gatewayOver(createRedisStore({ redis: server.client(), readTimeoutMs: 5000, writeTimeoutMs: 5000 }), env));
  });

  /** Rewrites the JSON stored at `key` with `changes`: a value the gateway never wrote. */
  async function plant(key: string, changes: Record<string, unknown>) {
    const stored = JSON.parse((await redis.get(key))!) as Record<string, unknown>;
    await redis.set(key, JSON.stringify({ ...stored, ...changes }), 'PX', 600_000);
  }

  /** Replaces the bar stored at `openTime` with a copy changed by `changes`; resolves to it. */
  async function plantBar(key: string, openTime: string, changes: Record<string, unknown>) {
    const score = Date.parse(openTime);
    const [member] = await redis.zrangebyscore(key, score, score);
    const planted = JSON.stringify({ ...JSON.parse(member!), ...changes });
    await redis.multi().zrem(key, member!).zadd(key, score, planted).exec();
    return planted;
  }

  const loggedDiscard = (key: string) => gateway.logs.some((line) => line['msg'] === DISCARDED && line['key'] === key && line['level'] === 40);

  const putTicker = () => write(PUT_TICKER, { t: { symbol: 'BTC/USDT', last: 1, volume24h: 3 } });
  const putFearGreed = () => write(`mutation { putFearGreed(fearGreed: { value: 50, classification: "Neutral" }) { value } }`);
  const TICKER = `{ ticker(symbol: "BTC/USDT") { ${TICKER_FIELDS} } }`;
  const FEAR_GREED = '{ fearGreed { value classification time cachedAt expiresAt stale } }';

  it.each([
    { what: 'a ticker with volume24h -5', put: putTicker, key: KEYS.ticker('BTC/USDT'), changes: { volume24h: -5 }, query: TICKER, field: 'ticker' },
    { what: 'a ticker whose symbol is "a b"', put: putTicker, key: KEYS.ticker('BTC/USDT'), changes: { symbol: 'a b' }, query: TICKER, field: 'ticker' },
    { what: 'a ticker whose time is "1"', put: putTicker, key: KEYS.ticker('BTC/USDT'), changes: { time: '1' }, query: TICKER, field: 'ticker' },
    {
      what: 'a ticker whose time is 2026-02-30T00:00:00Z, a day that does not exist',
      put: putTicker,
      key: KEYS.ticker('BTC/USDT'),
      changes: { time: '2026-02-30T00:00:00Z' },
      query: TICKER,
      field: 'ticker',
    },
    { what: 'Fear & Greed with value 50.5', put: putFearGreed, key: KEYS.fearGreed, changes: { value: 50.5 }, query: FEAR_GREED, field: 'fearGreed' },
  ])('answers $what as null with no error, removes it and logs it', async ({ put, key, changes, query, field }) => {
    expect((await put()).errors).toBeUndefined();
    await plant(key, changes);

    expect(await gateway.gql(query)).toEqual({ status: 200, data: { [field]: null } });
    expect(await redis.exists(key)).toBe(0);
    expect(loggedDiscard(key)).toBe(true);
  });

  it('drops a bar with volume -1 from its series, answering the other bars and the rest of the query', async () => {
    await write(PUT_BARS, { symbol: 'BTC/USDT', bars: [bar(0), bar(1), bar(2)] });
    await write(PUT_BARS, { symbol: 'ETH/USDT', bars: [bar(0, 10), bar(1, 11)] });
    await putTicker();
    const planted = await plantBar(KEYS.bars('BTC/USDT'), bar(1).openTime, { volume: -1 });

    const response = await gateway.gql(`{
      btc: bars(symbol: "BTC/USDT", timeframe: "1h") { openTime close volume }
      eth: bars(symbol: "ETH/USDT", timeframe: "1h") { openTime close volume }
      ticker(symbol: "BTC/USDT") { last } }`);
    const served = (...bars: Array<ReturnType<typeof bar>>) => bars.map(({ openTime, close, volume }) => ({ openTime, close, volume }));
    expect(response).toEqual({
      status: 200,
      data: { btc: served(bar(2), bar(0)), eth: served(bar(1, 11), bar(0, 10)), ticker: { last: 1 } },
    });
    expect(await redis.zscore(KEYS.bars('BTC/USDT'), planted)).toBeNull();
    expect(await redis.zcard(KEYS.bars('BTC/USDT'))).toBe(2);
    expect(loggedDiscard(KEYS.bars('BTC/USDT'))).toBe(true);
  });

  it('answers bars as [] with no error when their key holds a plain string, answers the rest, and deletes the key', async () => {
    await write(PUT_BARS, { symbol: 'ETH/USDT', bars: [bar(0, 10)] });
    await putTicker();
    await redis.set(KEYS.bars('BTC/USDT'), 'x');

    const response = await gateway.gql(`{
      bars(symbol: "BTC/USDT", timeframe: "1h") { close }
      eth: bars(symbol: "ETH/USDT", timeframe: "1h") { close }
      ticker(symbol: "BTC/USDT") { last } }`);
    expect(response).toEqual({ status: 200, data: { bars: [], eth: [{ close: 10 }], ticker: { last: 1 } } });
    expect(await redis.exists(KEYS.bars('BTC/USDT'))).toBe(0);
  });
});

describe('a number literal beyond the largest double', () => {
  let gateway: TestGateway;
  let write: ReturnType<typeof gatewayOver>['write'];

  beforeAll(() => {
    ({ gateway, write } = gatewayOver(createRedisStore({ redis: server.client(), readTimeoutMs: 5000, writeTimeoutMs: 5000 })));
  });

  const FOUR_HUNDRED_DIGITS = `1${'0'.repeat(399)}`;
  const BARS_READ = '{ bars(symbol: "BTC/USDT", timeframe: "1h") { openTime open high low close volume } }';
  const TICKER_READ = `{ ticker(symbol: "BTC/USDT") { ${TICKER_FIELDS} } }`;
  const goodTicker = `mutation { putTicker(ticker: { symbol: "BTC/USDT", last: 1, volume24h: 3 }, ttlSeconds: 600) { symbol } }`;
  const putBarsOf = (open: string) =>
    `mutation { putBars(symbol: "BTC/USDT", timeframe: "1h", bars: [{ openTime: "2026-01-01T00:00:00Z", open: ${open}, high: 110, low: 90, close: 105, volume: 1 }]) }`;
  const putFundingOf = (rate: string) => `mutation { putFundingRate(fundingRate: { symbol: "BTC/USDT:USDT", rate: ${rate} }) { rate } }`;
  const putAnalysisOf = (result: string) =>
    `mutation { putLlmAnalysis(analysisType: "sentiment", input: "overflow", result: ${result}) { result } }`;

  it.each([
    {
      what: 'a bar open of 1e400',
      good: putBarsOf('100'),
      bad: putBarsOf('1e400'),
      argument: /^bars\[0\]\.open: expected a finite number, received 1e400/,
      read: BARS_READ,
      key: KEYS.bars('BTC/USDT'),
    },
    {
      what: 'a funding rate of -1e400',
      good: putFundingOf('0.0001'),
      bad: putFundingOf('-1e400'),
      argument: /^fundingRate\.rate: expected a finite number, received -1e400/,
      read: '{ fundingRate(symbol: "BTC/USDT:USDT") { symbol rate time cachedAt expiresAt } }',
      key: KEYS.funding('BTC/USDT:USDT'),
    },
    {
      what: 'a ticker last of 1e400',
      good: goodTicker,
      bad: `mutation { putTicker(ticker: { symbol: "BTC/USDT", last: 1e400 }) { symbol } }`,
      argument: /^ticker\.last: expected a finite number, received 1e400/,
      read: TICKER_READ,
      key: KEYS.ticker('BTC/USDT'),
    },
    {
      what: 'a number of 1e400 inside a JSONObject result',
      good: putAnalysisOf('{ x: 1 }'),
      bad: putAnalysisOf('{ x: 1e400 }'),
      argument: /^result(\.x)?: expected a finite number/,
      read: '{ llmAnalysis(analysisType: "sentiment", input: "overflow") { inputHash result model cachedAt expiresAt } }',
      key: undefined,
    },
    {
      what: 'an integer of 400 digits given for a Float',
      good: goodTicker,
      bad: `mutation { putTicker(ticker: { symbol: "BTC/USDT", last: ${FOUR_HUNDRED_DIGITS} }) { symbol } }`,
      argument: /^ticker\.last: expected a finite number/,
      read: TICKER_READ,
      key: KEYS.ticker('BTC/USDT'),
    },
  ])('refuses $what with BAD_USER_INPUT naming the argument, and stores nothing', async ({ good, bad, argument, read, key }) => {
    expect((await write(good)).errors).toBeUndefined();
    const before = await gateway.gql(read);
    const storedBefore = await storedValues(key);

    const response = await write(bad);
    expect(response.data ?? null).toBeNull();
    expect(response.errors).toHaveLength(1);
    expect(response.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.message).toMatch(argument);

    expect(await gateway.gql(read)).toEqual(before);
    expect(await storedValues(key)).toEqual(storedBefore);
  });

  /** What Redis holds at `key` (a series as its members), or every analysis when `key` is undefined. */
  async function storedValues(key: string | undefined) {
    if (key === undefined) {
      const keys = (await redis.keys('mdc:v1:llm:*')).sort();
      return Promise.all(keys.map(async (k) => [k, await redis.get(k)]));
    }
    return (await redis.type(key)) === 'zset' ? redis.zrange(key, 0, -1, 'WITHSCORES') : redis.get(key);
  }
});

describe('an LLM input', () => {
  let gateway: TestGateway;
  let write: ReturnType<typeof gatewayOver>['write'];

  beforeAll(() => {
    ({ gateway, write } = gatewayOver(createRedisStore({ redis: server.client(), readTimeoutMs: 5000, writeTimeoutMs: 5000 })));
  });

  const PUT = `mutation($input: String) { putLlmAnalysis(analysisType: "sentiment", input: $input, result: { score: 1 }) { inputHash } }`;
  const READ = `query($input: String) { llmAnalysis(analysisType: "sentiment", input: $input) { inputHash result } }`;

  const refusedForSurrogates = (response: GraphQLResponse) => {
    expect(response.data?.putLlmAnalysis ?? response.data?.llmAnalysis ?? null).toBeNull();
    expect(response.errors).toHaveLength(1);
    const [error] = response.errors!;
    expect(error!.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error!.message).toContain('input');
    expect(error!.message).toMatch(/UTF-16|lone surrogate/i);
  };

  it('holding a lone surrogate is refused, by putLlmAnalysis and llmAnalysis alike, so that two such inputs cannot share an analysis', async () => {
    for (const input of ['\ud800', '\udfff', 'before \ud800 after']) {
      refusedForSurrogates(await write(PUT, { input }));
      refusedForSurrogates(await gateway.gql(READ, { input }));
    }
    expect(await redis.keys('mdc:v1:llm:*')).toEqual([]);

    // A well-formed pair is one character, and welcome.
    expect((await write(PUT, { input: 'to the moon \ud83d\ude80' })).errors).toBeUndefined();
    expect((await gateway.gql(READ, { input: 'to the moon 🚀' })).data.llmAnalysis).toMatchObject({ result: { score: 1 } });
  });
});

describe('a bar open time', () => {
  let gateway: TestGateway;
  let write: ReturnType<typeof gatewayOver>['write'];

  beforeAll(() => {
    ({ gateway, write } = gatewayOver(createRedisStore({ redis: server.client(), readTimeoutMs: 5000, writeTimeoutMs: 5000 })));
  });

  const DAY = 24 * HOUR;
  const barAt = (openTime: string) => ({ ...bar(0), openTime });
  const literalPut = (openTime: string) =>
    `mutation { putBars(symbol: "BTC/USDT", timeframe: "1h", bars: [{ openTime: "${openTime}", open: 99, high: 102, low: 98, close: 100, volume: 10 }]) }`;

  it.each([
    ['9999-12-31T00:00:00Z', 'as a literal'],
    ['9999-12-31T00:00:00Z', 'as a variable'],
    ['1969-12-31T00:00:00Z', 'as a literal'],
    ['1969-12-31T00:00:00Z', 'as a variable'],
    ['1969-12-31T23:59:59.999Z', 'as a variable'],
    ['two days from now', 'as a variable'],
  ])('of %s, %s, is refused with BAD_USER_INPUT naming bars[0].openTime, and nothing is stored', async (when, form) => {
    const openTime = when === 'two days from now' ? iso(Date.now() + 2 * DAY) : when;
    const response =
      form === 'as a literal' ? await write(literalPut(openTime)) : await write(PUT_BARS, { symbol: 'BTC/USDT', bars: [barAt(openTime)] });

    expect(response.data?.putBars ?? null).toBeNull();
    expect(response.errors).toHaveLength(1);
    const [error] = response.errors!;
    expect(error!.extensions?.code).toBe('BAD_USER_INPUT');
    const namesIt =
      error!.message.startsWith('bars[0].openTime: ') ||
      (form === 'as a variable' && error!.message.startsWith('Variable "$bars" got invalid value ') && error!.message.includes('at "bars[0].openTime"'));
    expect(namesIt, `"${error!.message}" should name bars[0].openTime`).toBe(true);
    expect(await redis.exists(KEYS.bars('BTC/USDT'), `${KEYS.bars('BTC/USDT')}:latest`)).toBe(0);
  });

  it('of 1970-01-01T00:00:00Z, or twelve hours from now, is accepted', async () => {
    const soon = iso(Date.now() + 12 * HOUR);
    expect(await write(PUT_BARS, { symbol: 'BTC/USDT', bars: [barAt('1970-01-01T00:00:00Z'), barAt(soon)] })).toEqual({
      status: 200,
      data: { putBars: 2 },
    });
    const { data } = await gateway.gql('{ bars(symbol: "BTC/USDT", timeframe: "1h") { openTime } }');
    expect(data.bars).toEqual([{ openTime: soon }, { openTime: '1970-01-01T00:00:00.000Z' }]);
  });
});

describe('a mutation carrying a 100,000-item argument list with 101 bad items', () => {
  it('is answered within 5 s, each error naming its argument path', async () => {
    // The limit is set, not left to its default: the list is what is measured here.
    const { write } = gatewayOver(createRedisStore({ redis: server.client(), readTimeoutMs: 5000, writeTimeoutMs: 5000 }), {
      MAX_TOKENS: '250000',
    });
    const ITEMS = 100_000;
    // The bad items (undefined variables) come last, where finding each one's argument means
    // walking the whole list before it.
    const putTickerWith = (bad: number) => {
      const items = Array.from({ length: ITEMS }, (_, i) => (i < ITEMS - bad ? '1' : `$missing${i}`));
      return `mutation { putTicker(ticker: { symbol: "BTC/USDT", last: 1 }, extra: [${items.join(' ')}]) { symbol } }`;
    };
    const timed = async (query: string) => {
      const started = performance.now();
      const response = await write(query);
      return { response, ms: performance.now() - started };
    };

    // The same list with no bad item first: it warms up parsing and validation, and is the yardstick.
    const clean = await timed(putTickerWith(0));
    const { response, ms } = await timed(putTickerWith(101));
    console.info(
      `a putTicker with a ${ITEMS}-item argument list answered in ${ms.toFixed(0)} ms with 101 bad items, ${clean.ms.toFixed(0)} ms with none`,
    );

    expect(response.data ?? null).toBeNull();
    const named = response.errors!.filter((error) => /^extra\[\d+\]: Variable "\$missing\d+" is not defined/.test(error.message));
    expect(named.length).toBeGreaterThan(0);
    for (const error of response.errors!.filter((e) => e.message.includes('$missing'))) expect(named).toContain(error);
    expect(ms).toBeLessThan(5000);
    expect(await redis.exists(KEYS.ticker('BTC/USDT'))).toBe(0);
  });
});
