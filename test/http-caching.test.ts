import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyLayout } from '../src/cache/keys.js';
import { createMemoryStore } from '../src/cache/memory-store.js';
import type { CacheStore } from '../src/cache/store.js';
import { loadConfig } from '../src/config.js';
import { start } from '../src/main.js';
import { ADMIN_TOKEN, captureLogger, testGateway, WRITER_TOKEN, type TestGateway } from './support/gateway.js';
import { useRedis } from './support/harness.js';
import { interruptible } from './support/stores.js';

/**
 * HTTP caching of GET queries (src/edge/http-caching.ts): Cache-Control from the freshness of what
 * was served, an ETag from the bytes, 304 for If-None-Match; on both execution paths, in process
 * and through a real HTTP server over a real Redis.
 */

const CSRF = { 'x-graphql-yoga-csrf': '1' };
const TICKER = 'query($symbol: MarketSymbol!) { ticker(symbol: $symbol) { symbol last expiresAt } }';
const SEVERAL = `{
  ticker(symbol: "BTC/USDT") { last }
  fundingRate(symbol: "BTC/USDT:USDT") { rate }
  fearGreed { value }
  orderBook(symbol: "BTC/USDT", depth: 1) { bids { price } }
}`;
const BARS = '{ bars(symbol: "BTC/USDT", timeframe: "1h") { openTime close } }';

/** What the tests ask a gateway through: in process, or over HTTP. */
type Client = Pick<TestGateway, 'fetch' | 'gql'>;

type Get = (gateway: Client, query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) => Promise<Answer>;

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

/** A GET of `query` as a browser's fetch or a CDN sends it. */
const get: Get = async (gateway, query, variables, headers = {}) => {
  const search = new URLSearchParams({ query, ...(variables && { variables: JSON.stringify(variables) }) });
  const response = await gateway.fetch(`http://gateway.test/graphql?${search}`, { headers: { ...CSRF, accept: 'application/json', ...headers } });
  return { status: response.status, headers: response.headers, body: await response.text() };
};

const cacheControlOf = (answer: Answer) => answer.headers.get('cache-control');
const maxAgeOf = (answer: Answer) => Number(/^public, max-age=(\d+)$/.exec(cacheControlOf(answer) ?? '')?.[1]);
/**
 * Whether `answer`'s max-age is what a value written with `ttlSeconds` at `writtenFrom` or later
 * allows when read by `readUntil` at the latest: at most its TTL, at least what remained of it
 * then. Bounded by the clock, not by a second of slack, so that a machine that pauses between the
 * write and the read cannot fail it.
 */
function expectMaxAge(answer: Answer, ttlSeconds: number, writtenFrom: number, readUntil = Date.now()) {
  expect(maxAgeOf(answer)).toBeLessThanOrEqual(ttlSeconds);
  expect(maxAgeOf(answer)).toBeGreaterThanOrEqual(Math.floor((writtenFrom + ttlSeconds * 1000 - readUntil) / 1000));
}
const etagOfBody = (body: string) => `"${createHash('sha1').update(body, 'utf8').digest('base64url')}"`;

async function put(gateway: Client, mutation: string, variables?: Record<string, unknown>) {
  const response = await gateway.gql(mutation, variables, WRITER_TOKEN);
  expect(response.errors).toBeUndefined();
}

const putTicker = (gateway: Client, last: number, ttlSeconds: number, symbol = 'BTC/USDT') =>
  put(gateway, 'mutation($t: TickerInput!, $ttl: Int) { putTicker(ticker: $t, ttlSeconds: $ttl) { last } }', { t: { symbol, last }, ttl: ttlSeconds });

const putBars = (gateway: Client) =>
  put(gateway, 'mutation($bars: [BarInput!]!) { putBars(symbol: "BTC/USDT", timeframe: "1h", bars: $bars) }', {
    bars: [{ openTime: '2026-01-01T00:00:00Z', open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 }],
  });

describe.each([
  ['read plans', {}],
  ['the executor', { READ_PLANS: 'false' }],
])('HTTP caching of GET queries, answered by %s', (_path, env) => {
  let store: CacheStore;
  let gateway: TestGateway;
  beforeAll(() => {
    store = createMemoryStore();
    gateway = testGateway(store, env);
  });

  it('lets a cache keep a fresh ticker exactly as long as it stays fresh: public, max-age of its remaining TTL', async () => {
    await putTicker(gateway, 100, 60);
    const answer = await get(gateway, TICKER, { symbol: 'BTC/USDT' });
    expect(answer.status).toBe(200);
    const expiresAt = Date.parse(JSON.parse(answer.body).data.ticker.expiresAt);
    const remaining = (expiresAt - Date.now()) / 1000;
    expect(maxAgeOf(answer)).toBeGreaterThanOrEqual(Math.floor(remaining) - 1);
    expect(maxAgeOf(answer)).toBeLessThanOrEqual(60);
    expect(answer.headers.get('etag')).toBe(etagOfBody(answer.body));
    expect(answer.headers.get('vary')).toBe('Accept, Origin');
  });

  it('gives the max-age of the value that expires first, among points of every kind and a list of tickers', async () => {
    await putTicker(gateway, 100, 300);
    const ratesFrom = Date.now();
    await put(gateway, 'mutation { putFundingRate(fundingRate: { symbol: "BTC/USDT:USDT", rate: 0.0001 }, ttlSeconds: 45) { rate } }');
    await put(gateway, 'mutation { putFearGreed(fearGreed: { value: 50, classification: "Neutral" }, ttlSeconds: 120) { value } }');
    await put(gateway, 'mutation { putOrderBook(orderBook: { symbol: "BTC/USDT", bids: [{ price: 1, amount: 1 }], asks: [{ price: 2, amount: 1 }] }, ttlSeconds: 200) { symbol } }');
    expectMaxAge(await get(gateway, SEVERAL), 45, ratesFrom);

    await putTicker(gateway, 1, 100, 'ETH/USDT');
    const solFrom = Date.now();
    await putTicker(gateway, 2, 30, 'SOL/USDT');
    expectMaxAge(await get(gateway, '{ tickers(symbols: ["ETH/USDT", "SOL/USDT"]) { last } }'), 30, solFrom);
  });

  it('gives trades the max-age of their log, whose stamp carries its expiry', async () => {
    const writtenFrom = Date.now();
    await put(gateway, 'mutation { putTrades(symbol: "BTC/USDT", trades: [{ time: "2026-01-01T00:00:00Z", price: 1, amount: 1 }], ttlSeconds: 90) }');
    const answer = await get(gateway, '{ trades(symbol: "BTC/USDT") { price } }');
    expect(JSON.parse(answer.body).data.trades).toEqual([{ price: 1 }]);
    expectMaxAge(answer, 90, writtenFrom);
  });

  it('says no-cache, with an ETag, for what carries no expiry: bars, a latest bar, a null, symbols, nothing read', async () => {
    await putBars(gateway);
    await putTicker(gateway, 100, 60);
    for (const query of [
      BARS,
      '{ latestBar(symbol: "BTC/USDT", timeframe: "1h") { close } }',
      '{ ticker(symbol: "NOT/CACHED") { last } }',
      `{ ticker(symbol: "BTC/USDT") { last } ${BARS.slice(1, -1)} }`,
      '{ ticker(symbol: "BTC/USDT") { last } symbols { symbol } }',
      '{ __typename }',
    ]) {
      const answer = await get(gateway, query);
      expect({ query, status: answer.status, cacheControl: cacheControlOf(answer) }).toEqual({ query, status: 200, cacheControl: 'no-cache' });
      expect(answer.headers.get('etag')).toBe(etagOfBody(answer.body));
    }
  });

  it('says no-store for an answer with an error, even beside fresh values, and for a request refused before executing', async () => {
    await putTicker(gateway, 100, 60);
    const withError = await get(gateway, '{ ticker(symbol: "BTC/USDT") { last } bars(symbol: "BTC/USDT", timeframe: "1h", limit: 0) { close } }');
    expect(JSON.parse(withError.body).errors).toHaveLength(1);
    expect(cacheControlOf(withError)).toBe('no-store');
    expect(withError.headers.get('etag')).toBeNull();
    for (const query of ['{ ticker(symbol: "BTC/USDT") { nope } }', '{ ticker(', '{ cacheStats { kinds { kind } } }']) {
      const answer = await get(gateway, query, undefined, { 'if-none-match': '*' });
      expect({ query, cacheControl: cacheControlOf(answer), etag: answer.headers.get('etag') }).toEqual({ query, cacheControl: 'no-store', etag: null });
      expect(answer.status).not.toBe(304);
    }
  });

  it('says no-store to a request with an Authorization header, and never answers it 304', async () => {
    await putTicker(gateway, 100, 60);
    for (const token of [WRITER_TOKEN, ADMIN_TOKEN, 'not-a-token']) {
      const answer = await get(gateway, TICKER, { symbol: 'BTC/USDT' }, { authorization: `Bearer ${token}`, 'if-none-match': '*' });
      expect({ status: answer.status, cacheControl: cacheControlOf(answer), etag: answer.headers.get('etag') }).toEqual({ status: 200, cacheControl: 'no-store', etag: null });
    }
  });

  it('keeps the ETag while the bytes stay the same, and changes it when a value changes', async () => {
    await putTicker(gateway, 100, 600);
    const first = await get(gateway, TICKER, { symbol: 'BTC/USDT' });
    const again = await get(gateway, TICKER, { symbol: 'BTC/USDT' });
    expect(again.body).toBe(first.body);
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
    await putTicker(gateway, 101, 600);
    const changed = await get(gateway, TICKER, { symbol: 'BTC/USDT' });
    expect(changed.body).not.toBe(first.body);
    expect(changed.headers.get('etag')).toBe(etagOfBody(changed.body));
    expect(changed.headers.get('etag')).not.toBe(first.headers.get('etag'));
  });

  it('answers 304 with no body to an If-None-Match that holds the ETag (in a list, weak, or *), keeping ETag and Cache-Control', async () => {
    await putTicker(gateway, 100, 600);
    const first = await get(gateway, TICKER, { symbol: 'BTC/USDT' });
    const etag = first.headers.get('etag')!;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"elsewhere", W/"other", ${etag}`, '*']) {
      const answer = await get(gateway, TICKER, { symbol: 'BTC/USDT' }, { 'if-none-match': ifNoneMatch });
      expect({ ifNoneMatch, status: answer.status, body: answer.body }).toEqual({ ifNoneMatch, status: 304, body: '' });
      expect(answer.headers.get('etag')).toBe(etag);
      expect(answer.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
      expect(answer.headers.get('vary')).toBe('Accept, Origin');
      expect(answer.headers.get('content-type')).toBeNull();
    }
    const other = await get(gateway, TICKER, { symbol: 'BTC/USDT' }, { 'if-none-match': '"elsewhere", W/"other"' });
    expect({ status: other.status, body: other.body }).toEqual({ status: 200, body: first.body });

    await putBars(gateway);
    const bars = await get(gateway, BARS);
    const revalidated = await get(gateway, BARS, undefined, { 'if-none-match': bars.headers.get('etag')! });
    expect({ status: revalidated.status, body: revalidated.body, cacheControl: cacheControlOf(revalidated) }).toEqual({ status: 304, body: '', cacheControl: 'no-cache' });
  });

  it('leaves a POST of the same query as it was: no Cache-Control, no ETag, no 304', async () => {
    await putTicker(gateway, 100, 60);
    expect(cacheControlOf(await get(gateway, TICKER, { symbol: 'BTC/USDT' }))).toMatch(/^public, max-age=/);
    const response = await gateway.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'if-none-match': '*' },
      body: JSON.stringify({ query: TICKER, variables: { symbol: 'BTC/USDT' } }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBeNull();
    expect(response.headers.get('etag')).toBeNull();
  });

  it('says no-cache for a value that does not decode, whatever expiresAt it claims', async () => {
    const key = createKeyLayout({ namespace: 'mdc', version: 'v1' }).ticker('BAD/USDT');
    await store.set(key, '{"symbol":"BAD/USDT","last":"not a number","expiresAt":"2099-01-01T00:00:00.000Z"}', 600_000);
    const answer = await get(gateway, '{ ticker(symbol: "BAD/USDT") { last } }');
    expect(JSON.parse(answer.body).data).toEqual({ ticker: null });
    expect(cacheControlOf(answer)).toBe('no-cache');
  });
});

describe('HTTP caching while Redis is unavailable', () => {
  it.each([
    ['read plans', {}],
    ['the executor', { READ_PLANS: 'false' }],
  ])('says no-store for a value served stale from the tier, and for a read that failed (%s)', async (_path, env) => {
    const store = interruptible(createMemoryStore());
    const gateway = testGateway(store, env);
    await putTicker(gateway, 100, 60);
    expect(cacheControlOf(await get(gateway, TICKER, { symbol: 'BTC/USDT' }))).toMatch(/^public, max-age=/);
    store.takeDown();
    const stale = await get(gateway, '{ ticker(symbol: "BTC/USDT") { last stale } }');
    expect(JSON.parse(stale.body).data).toEqual({ ticker: { last: 100, stale: true } });
    expect({ cacheControl: cacheControlOf(stale), etag: stale.headers.get('etag') }).toEqual({ cacheControl: 'no-store', etag: null });
    const failed = await get(gateway, '{ ticker(symbol: "ETH/USDT") { last } }');
    expect(JSON.parse(failed.body).errors?.[0]?.extensions?.code).toBe('CACHE_UNAVAILABLE');
    expect(cacheControlOf(failed)).toBe('no-store');
  });
});

describe('HTTP caching on both execution paths', () => {
  it('gives the same Cache-Control and ETag whether a read plan or the executor answers', async () => {
    const store = createMemoryStore();
    const plans = testGateway(store);
    const executor = testGateway(store, { READ_PLANS: 'false' });
    await putTicker(plans, 100, 600);
    await putBars(plans);
    for (const query of [SEVERAL, BARS, `{ ticker(symbol: "BTC/USDT") { last } ${BARS.slice(1, -1)} }`]) {
      const [a, b] = [await get(plans, query), await get(executor, query)];
      expect(b.body).toBe(a.body);
      expect(a.headers.get('etag')).toBe(etagOfBody(a.body));
      expect(b.headers.get('etag')).toBe(a.headers.get('etag'));
      expect(cacheControlOf(b)?.replace(/\d+$/, 'N')).toBe(cacheControlOf(a)?.replace(/\d+$/, 'N'));
    }
  });

  it('adds Origin and Accept to the Vary yoga sends, and keeps the CORS headers on a 304', async () => {
    const gateway = testGateway(createMemoryStore(), { CORS_ORIGINS: 'https://app.example' });
    await putTicker(gateway, 100, 600);
    const first = await get(gateway, TICKER, { symbol: 'BTC/USDT' }, { origin: 'https://app.example' });
    expect(first.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(first.headers.get('vary')).toBe('Accept, Origin');
    const revalidated = await get(gateway, TICKER, { symbol: 'BTC/USDT' }, { origin: 'https://app.example', 'if-none-match': first.headers.get('etag')! });
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });
});

// Through node:http, as `npm start` serves, over a real Redis.
describe.each([
  ['read plans', {}],
  ['the executor', { READ_PLANS: 'false' }],
])('HTTP caching through a real HTTP server over Redis, answered by %s', (_path, env) => {
  const harness = useRedis();
  let served: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    const config = loadConfig({ REDIS_URL: harness.server.url, PORT: '0', HOST: '127.0.0.1', WRITER_TOKEN, ADMIN_TOKEN, ...env });
    served = await start(config, { handleSignals: false, logger: captureLogger([]) });
  });
  afterAll(() => served?.shutdown('end of tests'));

  const http = (path: string, init?: RequestInit) => fetch(new URL(path, served.url), { ...init, signal: AbortSignal.timeout(5_000) });
  const over: Client = {
    fetch: (input: string, init?: RequestInit) => http(new URL(input).pathname + new URL(input).search, init),
    async gql(query: string, variables?: Record<string, unknown>, token?: string) {
      const response = await http('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as object) };
    },
  };

  it('sends max-age, ETag and a 304 with no body over the wire, and no-cache for bars, no-store with a token', async () => {
    const writtenFrom = Date.now();
    await putTicker(over, 100, 60);
    const first = await get(over, TICKER, { symbol: 'BTC/USDT' });
    expect(first.status).toBe(200);
    expectMaxAge(first, 60, writtenFrom);
    expect(first.headers.get('etag')).toBe(etagOfBody(first.body));

    const revalidated = await get(over, TICKER, { symbol: 'BTC/USDT' }, { 'if-none-match': first.headers.get('etag')! });
    expect({ status: revalidated.status, body: revalidated.body, etag: revalidated.headers.get('etag') }).toEqual({ status: 304, body: '', etag: first.headers.get('etag') });
    expect(revalidated.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    expect(revalidated.headers.get('vary')).toBe('Accept, Origin');
    expect(revalidated.headers.get('content-type')).toBeNull();

    await putBars(over);
    expect(cacheControlOf(await get(over, BARS))).toBe('no-cache');
    expect(cacheControlOf(await get(over, TICKER, { symbol: 'BTC/USDT' }, { authorization: `Bearer ${WRITER_TOKEN}` }))).toBe('no-store');
  });

  it('says no-store while Redis does not answer and the ticker is served stale', async () => {
    await putTicker(over, 100, 60);
    expect(cacheControlOf(await get(over, TICKER, { symbol: 'BTC/USDT' }))).toMatch(/^public, max-age=/);
    harness.server.freeze();
    try {
      const stale = await get(over, '{ ticker(symbol: "BTC/USDT") { last stale } }');
      expect(JSON.parse(stale.body).data).toEqual({ ticker: { last: 100, stale: true } });
      expect(cacheControlOf(stale)).toBe('no-store');
    } finally {
      harness.server.resume();
    }
  });
});
