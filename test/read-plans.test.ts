import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { parse } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../src/cache/memory-store.js';
import type { CacheStore } from '../src/cache/store.js';
import { createReadPlans } from '../src/read/plan/read-plans.js';
import { schema } from '../src/schema/index.js';
import { testGateway, type TestGateway } from './support/gateway.js';
import {
  cacheContents,
  clientRequest,
  contentsOf,
  allFieldsOf,
  encodeRecord,
  fill,
  HOUR,
  isoAt,
  keys,
  render,
  SHAPES,
  STAMP,
  stored,
  T0,
  TTL_MS,
  type Request,
} from './support/plan-cases.js';
import { useRedisGateway } from './support/harness.js';
import { commandsDuring } from './support/redis-server.js';
import { interruptible } from './support/stores.js';

/**
 * Read plans (src/read/plan/) answer plain cache queries without the executor. They
 * must be invisible: whatever is cached, however odd, and whatever the query, a gateway with plans
 * answers with the same status and the same bytes as one without, and leaves the cache as it does.
 * Fixed seed, so that a failure reproduces; fast-check prints the shrunk cache contents and request.
 */

const SEED = 20_260_301;
const RUNS = 250;

// --- Asking ---------------------------------------------------------------------------------

/** Status, content type and the body exactly as sent. */
async function answer(gateway: TestGateway, { query, variables, operationName, accept = 'application/json' }: Request) {
  const response = await gateway.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept },
    body: JSON.stringify({ query, variables, operationName }),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
}

type Answer = Awaited<ReturnType<typeof answer>>;

// --- Asking over HTTP -----------------------------------------------------------------------

/** The one origin CORS allows, in every gateway of the differential tests. */
const ALLOWED_ORIGIN = 'http://allowed.test';
/** Small, so that a padded body is over it. */
const MAX_BODY_BYTES = 16 * 1024;
const HTTP_ENV = { CORS_ORIGINS: ALLOWED_ORIGIN, MAX_BODY_BYTES: String(MAX_BODY_BYTES) };

/**
 * How a request travels: the forms the fast lane answers and the ones it must hand to yoga
 * untouched (a GET without the CSRF header, a form's content type, one yoga does not take as
 * JSON, an origin CORS allows, a body over the limit, bad JSON, a body without a length).
 */
interface Transport {
  method: 'POST' | 'GET';
  contentType: string | undefined;
  csrf: boolean;
  origin: string | undefined;
  body: 'as is' | 'oversized' | 'bad JSON' | 'chunked';
  /** `*` asks for a 304 whenever the answer may be cached (see src/edge/http-caching.ts). */
  ifNoneMatch: '*' | undefined;
}
const PLAIN: Transport = { method: 'POST', contentType: 'application/json', csrf: false, origin: undefined, body: 'as is', ifNoneMatch: undefined };
const transport: fc.Arbitrary<Transport> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(PLAIN) },
  { weight: 2, arbitrary: fc.constant<Transport>({ ...PLAIN, method: 'GET', contentType: undefined, csrf: true }) },
  {
    weight: 3,
    arbitrary: fc.record({
      method: fc.constantFrom('POST' as const, 'GET' as const),
      contentType: fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-8', 'application/JSON', 'text/plain', 'application/graphql+json'),
      csrf: fc.boolean(),
      origin: fc.constantFrom(undefined, ALLOWED_ORIGIN, 'http://elsewhere.test'),
      body: fc.constantFrom('as is' as const, 'as is' as const, 'oversized' as const, 'bad JSON' as const, 'chunked' as const),
      ifNoneMatch: fc.constantFrom(undefined, '*' as const),
    }),
  },
);

/**
 * Status, every header but the ones that name the moment or the connection, and the body exactly
 * as sent, over a real socket.
 */
async function answerOverHttp(url: string, { query, variables, operationName, accept }: Request, how: Transport = PLAIN) {
  const headers: Record<string, string> = {};
  if (how.contentType !== undefined) headers['content-type'] = how.contentType;
  if (accept !== undefined) headers['accept'] = accept;
  if (how.csrf) headers['x-graphql-yoga-csrf'] = '1';
  if (how.origin !== undefined) headers['origin'] = how.origin;
  if (how.ifNoneMatch !== undefined) headers['if-none-match'] = how.ifNoneMatch;
  let response: Response;
  if (how.method === 'GET') {
    const search = new URLSearchParams({ query, variables: JSON.stringify(variables), ...(operationName !== undefined && { operationName }) });
    if (how.body === 'bad JSON') search.set('variables', JSON.stringify(variables).slice(0, -1));
    response = await fetch(`${url}/graphql?${search}`, { headers });
  } else {
    const text = JSON.stringify({ query: how.body === 'oversized' ? query + ' '.repeat(MAX_BODY_BYTES) : query, variables, operationName });
    const body = how.body === 'bad JSON' ? text.slice(0, -1) : text;
    const init: RequestInit & { duplex?: 'half' } =
      how.body === 'chunked'
        ? { method: 'POST', headers, body: new Blob([body]).stream(), duplex: 'half' }
        : { method: 'POST', headers, body };
    response = await fetch(`${url}/graphql`, init);
  }
  const kept = [...response.headers].filter(([name]) => !['date', 'connection', 'keep-alive'].includes(name));
  // The seconds a value has left are compared apart: answers a second boundary apart differ by one.
  const maxAge = Number(/max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1] ?? -1);
  const answered = Object.fromEntries(kept.map(([name, value]) => [name, name === 'cache-control' ? value.replace(/max-age=\d+/, 'max-age=N') : value]));
  return { status: response.status, headers: answered, body: await response.text(), maxAge };
}

type HttpAnswer = Awaited<ReturnType<typeof answerOverHttp>>;

/**
 * What a gateway logged, without what differs from run to run, in a fixed order: the order in
 * which concurrent resolvers log is not something a plan must keep.
 */
const logsOf = (gateway: TestGateway) =>
  gateway.logs.map(({ level, msg, key, reason }) => JSON.stringify({ level, msg, key, reason })).sort();

const planned = (store: CacheStore, env: Record<string, string> = {}) => testGateway(store, env);
const unplanned = (store: CacheStore, env: Record<string, string> = {}) => testGateway(store, { ...env, READ_PLANS: 'false' });

type Outage = 'none' | 'from the second request' | 'throughout';

/**
 * Fills a store for each of three gateways in the same way: one without read plans (the
 * executor), one with plans behind yoga alone (`FAST_LANE=false`), one behind the fast lane, each
 * on its own `node:http` server. Sends `request` to each twice, travelling as `how` says (the
 * second time finds the plan compiled and the document known to the fast lane, and what the first
 * discarded gone, or, in an outage, only what the first read to serve stale), and expects the same
 * status, headers and bytes from all three each time, and the same cache contents and logs after.
 * Resolves to the answers and to how many the fast lane answered itself.
 */
async function expectSameAsExecutor(
  fillStore: (store: CacheStore) => Promise<unknown>,
  request: Request,
  { env = {}, outage = 'none', how = PLAIN }: { env?: Record<string, string>; outage?: Outage; how?: Transport } = {},
) {
  const bare = [createMemoryStore(), createMemoryStore(), createMemoryStore()];
  for (const store of bare) await fillStore(store);
  const stores = bare.map(interruptible);
  const gateways = [
    unplanned(stores[0]!, { ...HTTP_ENV, ...env }),
    planned(stores[1]!, { ...HTTP_ENV, ...env, FAST_LANE: 'false' }),
    planned(stores[2]!, { ...HTTP_ENV, ...env }),
  ];
  const servers = await Promise.all(gateways.map((gateway) => gateway.listen()));
  try {
    const answers: HttpAnswer[] = [];
    for (const attempt of ['first', 'second']) {
      if (outage === 'throughout' || (outage === 'from the second request' && attempt === 'second')) for (const store of stores) store.takeDown();
      const askedAt = Date.now();
      const [executor, yoga, fastLane] = await Promise.all(servers.map(({ url }) => answerOverHttp(url, request, how)));
      // Answered within this window, their max-ages differ by at most its length, rounded up.
      const window = Math.max(1, Math.ceil((Date.now() - askedAt) / 1000));
      const { maxAge, ...expected } = executor!;
      for (const [path, { maxAge: theirs, ...answered }] of [['with plans', yoga!], ['through the fast lane', fastLane!]] as const) {
        expect(answered, `${attempt} answer to ${request.query} ${path} (${JSON.stringify(how)})`).toEqual(expected);
        expect(Math.abs(theirs - maxAge), `max-age ${path}`).toBeLessThanOrEqual(window);
      }
      answers.push(executor!);
      const [executorCache, ...plannedCaches] = await Promise.all(bare.map(contentsOf));
      for (const cache of plannedCaches) expect(cache, `cache after the ${attempt} request`).toEqual(executorCache);
      const [executorLogs, ...plannedLogs] = gateways.map(logsOf);
      for (const logs of plannedLogs) expect(logs, `logs after the ${attempt} request`).toEqual(executorLogs);
    }
    return { answers, fastLaneAnswered: gateways[2]!.metrics.fastLaneCounts().answered };
  } finally {
    await Promise.all(servers.map((server) => server.close()));
  }
}

const outage = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Outage>('none') },
  { weight: 1, arbitrary: fc.constantFrom<Outage>('from the second request', 'throughout') },
);

describe('a gateway with read plans', () => {
  it('answers any query over any cache contents exactly as the executor does: same status, same bytes, same cache and logs afterwards', async () => {
    let answeredWithoutErrors = 0;
    let answeredByTheFastLane = 0;
    await fc.assert(
      fc.asyncProperty(cacheContents, clientRequest.map(render), fc.boolean(), outage, transport, async (contents, request, production, outage, how) => {
        const env: Record<string, string> = production ? { NODE_ENV: 'production' } : {};
        const { answers, fastLaneAnswered } = await expectSameAsExecutor((store) => fill(store, contents), request, { env, outage, how });
        if (isPlanned(request) && answers.some(({ body }) => body.includes('"data":{') && !body.includes('"errors"'))) answeredWithoutErrors += 1;
        if (fastLaneAnswered > 0) answeredByTheFastLane += 1;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The generators must keep producing queries that plans answer, not only ones they hand over,
    // and requests the fast lane answers itself, not only ones it hands to yoga.
    expect(answeredWithoutErrors).toBeGreaterThan(RUNS / 8);
    expect(answeredByTheFastLane).toBeGreaterThan(RUNS / 20);
  }, 120_000);

  it('reports the errors of a value read twice, next to another field that fails, in the executor’s order', async () => {
    // The smallest case of a divergence the property above finds. The stored symbol is one
    // MarketSymbol refuses, and Int refuses 50.5: three errors in all, whose order must not change.
    const request = { query: '{ tickers(symbols: ["BTC/USDT", "BTC/USDT"]) { symbol } fearGreed { value } }', variables: {} };
    await expectSameAsExecutor(async (store) => {
      await store.set(keys.ticker('BTC/USDT'), ticker('BTC USDT', 1), TTL_MS);
      await store.set(keys.fearGreed(), JSON.stringify({ value: 50.5, classification: 'Neutral', time: isoAt(0), cachedAt: isoAt(0), expiresAt: isoAt(1) }), TTL_MS);
    }, request);
  });

  it.each(SHAPES)('answers each odd or corrupt field of a stored $type exactly as the executor does', async ({ type, fields, wellFormed, write, query }) => {
    const request = { query: query.replaceAll('ALL', allFieldsOf(type)), variables: {} };
    expect(isPlanned(request)).toBe(true);
    const [{ body }] = (await expectSameAsExecutor((store) => write(store, encodeRecord(wellFormed)), request)).answers as [HttpAnswer];
    expect(body).not.toContain('"errors"');
    for (const [name, { odd, corrupt }] of Object.entries(fields)) {
      for (const value of [...odd, ...corrupt]) {
        await expectSameAsExecutor((store) => write(store, encodeRecord({ ...wellFormed, [name]: value })), request);
      }
    }
  });
});

const plans = createReadPlans();
const isPlanned = ({ query, operationName }: Request) => plans.planFor(schema, parse(query), operationName) !== null;

// --- Examples -------------------------------------------------------------------------------

const ticker = (symbol: string, last: number, dates: { time?: string; cachedAt?: string } = {}) =>
  JSON.stringify({ symbol, last, time: isoAt(0), cachedAt: isoAt(0), expiresAt: isoAt(1), ...dates });
const bar = (hour: number, close: number) => JSON.stringify({ openTime: isoAt(hour), open: close, high: close, low: close, close, volume: 1 });
const level = (price: number, amount: number) => ({ price, amount });
const trade = (id: string, hour: number, price: number, side: 'buy' | 'sell') => JSON.stringify({ id, time: isoAt(hour), price, amount: 1, side });
/** Trades t0 to t4, newest last; t1 and t2 share a time, and so a score. */
const TRADES = [trade('t0', 0, 10, 'buy'), trade('t1', 1, 11, 'sell'), trade('t2', 1, 12, 'buy'), trade('t3', 2, 13, 'sell'), trade('t4', 3, 14, 'buy')];
const appendTrades = (store: CacheStore) =>
  store.appendLog({
    key: keys.trades('BTC/USDT'),
    idsKey: keys.tradeIds('BTC/USDT'),
    members: TRADES.map((member) => ({ score: Date.parse(JSON.parse(member).time), member, id: JSON.parse(member).id })),
    stamp: STAMP,
    ttlMs: TTL_MS,
    maxMembers: 10,
  });

describe('a planned query', () => {
  it.each([
    ['a symbol that is not a MarketSymbol', 'query($s: [MarketSymbol!]!) { tickers(symbols: $s) { last } }', { s: ['BTC/USDT', 'BTC USDT'] }],
    ['a limit out of range', 'query($l: Int) { bars(symbol: "BTC/USDT", timeframe: "1h", limit: $l) { close } }', { l: 0 }],
    ['a required variable left out', 'query($s: MarketSymbol!) { ticker(symbol: $s) { last } fearGreed { value } }', {}],
  ])('with %s is refused with the executor’s own error body', async (_case, query, variables) => {
    expect(isPlanned({ query, variables })).toBe(true);
    const store = createMemoryStore();
    await store.set(keys.ticker('BTC/USDT'), ticker('BTC/USDT', 1), TTL_MS);
    await store.upsertSeries({ key: keys.bars('BTC/USDT', '1h'), latestKey: keys.latestBar('BTC/USDT', '1h'), members: [{ score: T0, member: bar(0, 1) }], ttlMs: TTL_MS, maxMembers: 10 });

    const withPlans = await answer(planned(store), { query, variables });
    expect(withPlans).toEqual(await answer(unplanned(store), { query, variables }));
    const { data, errors } = JSON.parse(withPlans.body);
    expect(data ?? null).toBeNull();
    expect(errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('takes a variable left out from its default value, as the executor does', async () => {
    const request = {
      query: 'query($limit: Int = 2, $since: DateTime = "2026-01-01T01:00:00Z") { bars(symbol: "BTC/USDT", timeframe: "1h", limit: $limit, since: $since) { close } }',
      variables: {},
    };
    const members = [0, 1, 2, 3].map((hour) => ({ score: T0 + hour * HOUR, member: bar(hour, 10 + hour) }));
    const [{ body }] = (await expectSameAsExecutor(
      (store) => store.upsertSeries({ key: keys.bars('BTC/USDT', '1h'), latestKey: keys.latestBar('BTC/USDT', '1h'), members, ttlMs: TTL_MS, maxMembers: 10 }),
      request,
    )).answers as [HttpAnswer];
    expect(body).toBe('{"data":{"bars":[{"close":13},{"close":12}]}}');
  });

  it.each([
    ['with read plans', planned],
    ['without read plans', unplanned],
  ])('serves stored dates not in toISOString’s form as toISOString writes them, %s', async (_path, gatewayOf) => {
    const store = createMemoryStore();
    await store.set(keys.ticker('BTC/USDT'), ticker('BTC/USDT', 1, { time: '2026-01-01T00:00:00Z', cachedAt: '2026-01-02T01:00:00+01:00' }), TTL_MS);
    const request = { query: '{ ticker(symbol: "BTC/USDT") { time cachedAt expiresAt } }', variables: {} };
    expect(isPlanned(request)).toBe(true);
    const { body } = await answer(gatewayOf(store), request);
    expect(body).toBe('{"data":{"ticker":{"time":"2026-01-01T00:00:00.000Z","cachedAt":"2026-01-02T00:00:00.000Z","expiresAt":"2026-01-01T01:00:00.000Z"}}}');
  });

  it.each([
    ['with read plans', planned],
    ['without read plans', unplanned],
  ])('reads a stored date that is no real day (February 30) as a miss, never as the day after, %s', async (_path, gatewayOf) => {
    const store = createMemoryStore();
    await store.set(keys.ticker('BTC/USDT'), ticker('BTC/USDT', 1, { time: '2026-02-30T00:00:00.000Z' }), TTL_MS);
    const { body } = await answer(gatewayOf(store), { query: '{ ticker(symbol: "BTC/USDT") { time } }', variables: {} });
    expect(body).toBe('{"data":{"ticker":null}}');
    expect(await store.getMany([keys.ticker('BTC/USDT')])).toEqual([null]);
  });
  it('serves a book at each depth asked for, one document and the same stored bytes read at depth 2, then 3, then 2 again', async () => {
    // The renderings memo keeps one rendering per plan and key: the depth must be part of it, or
    // depth 3 would be answered with the levels rendered for depth 2.
    const store = createMemoryStore();
    const bids = [level(100, 1), level(99, 2), level(98, 3), level(97, 4)];
    const asks = [level(101, 1), level(102, 2), level(103, 3), level(104, 4)];
    await store.set(keys.orderBook('BTC/USDT'), JSON.stringify({ symbol: 'BTC/USDT', bids, asks, time: isoAt(0), cachedAt: isoAt(0), expiresAt: isoAt(1) }), TTL_MS);
    const [withPlans, withoutPlans] = [planned(store), unplanned(store)];
    const query = 'query($d: Int) { orderBook(symbol: "BTC/USDT", depth: $d) { bids { price amount } asks { price } } }';
    const bodies: Record<number, string> = {
      2: '{"data":{"orderBook":{"bids":[{"price":100,"amount":1},{"price":99,"amount":2}],"asks":[{"price":101},{"price":102}]}}}',
      3: '{"data":{"orderBook":{"bids":[{"price":100,"amount":1},{"price":99,"amount":2},{"price":98,"amount":3}],"asks":[{"price":101},{"price":102},{"price":103}]}}}',
    };
    for (const d of [2, 3, 2, 3]) {
      const request = { query, variables: { d } };
      expect(isPlanned(request)).toBe(true);
      const answered = await answer(withPlans, request);
      expect(answered.body, `depth ${d}`).toBe(bodies[d]);
      expect(answered).toEqual(await answer(withoutPlans, request));
    }
  });

  it.each([
    ['newest first, at most `limit`', { l: 2 }, ['t4', 't3']],
    ['from `since` (inclusive), trades of one time in the order of their members', { s: isoAt(1) }, ['t4', 't3', 't2', 't1']],
    ['at most `limit` from `since`', { l: 3, s: isoAt(1) }, ['t4', 't3', 't2']],
    ['all of them, when `limit` is more than the log holds', { l: 1000 }, ['t4', 't3', 't2', 't1', 't0']],
  ])('serves trades %s, and never the log’s stamp', async (_case, variables, ids) => {
    const request = { query: 'query($l: Int, $s: DateTime) { trades(symbol: "BTC/USDT", limit: $l, since: $s) { id time price side stale } }', variables };
    expect(isPlanned(request)).toBe(true);
    const stores: CacheStore[] = [];
    const [{ body }] = (await expectSameAsExecutor(async (store) => {
      stores.push(store);
      await appendTrades(store);
    }, request)).answers as [HttpAnswer];
    const served = ids.map((id) => {
      const { time, price, side } = JSON.parse(TRADES[Number(id.slice(1))]!);
      return { id, time, price, side: side.toUpperCase(), stale: false };
    });
    expect(body).toBe(JSON.stringify({ data: { trades: served } }));
    // Read as a trade, the stamp would not decode, and would have been discarded.
    for (const store of stores) expect(await store.rangeMany([{ key: keys.trades('BTC/USDT'), limit: 10 }])).toEqual([[STAMP, ...[...TRADES].reverse()]]);
  });

  it('serves `limit` trades of a log that has no stamp, as the executor does', async () => {
    const request = { query: '{ trades(symbol: "BTC/USDT", limit: 2) { id } }', variables: {} };
    expect(isPlanned(request)).toBe(true);
    const [{ body }] = (await expectSameAsExecutor(async (store) => {
      await appendTrades(store);
      await store.discard(keys.trades('BTC/USDT'), STAMP);
    }, request)).answers as [HttpAnswer];
    expect(body).toBe('{"data":{"trades":[{"id":"t4"},{"id":"t3"}]}}');
  });

  it('keeps its plans and their renderings to its own gateway: two gateways in one process share neither', async () => {
    // The same stored bytes, read by the same kind of query, but selecting different fields: a
    // rendering one gateway remembered must never answer the other's plan.
    const [storeA, storeB] = [createMemoryStore(), createMemoryStore()];
    for (const store of [storeA, storeB]) await store.set(keys.ticker('BTC/USDT'), ticker('BTC/USDT', 7), TTL_MS);
    const [a, b] = [planned(storeA), planned(storeB)];
    const bySymbol = { query: '{ ticker(symbol: "BTC/USDT") { symbol } }', variables: {} };
    const byLast = { query: '{ ticker(symbol: "BTC/USDT") { last } }', variables: {} };
    for (let round = 0; round < 2; round++) {
      expect((await answer(a, bySymbol)).body).toBe('{"data":{"ticker":{"symbol":"BTC/USDT"}}}');
      expect((await answer(b, byLast)).body).toBe('{"data":{"ticker":{"last":7}}}');
    }
  });
});

describe('a planned query over Redis that meets a value that does not decode', () => {
  const harness = useRedisGateway();
  let redis: Redis;
  let gateway: TestGateway;
  const DISCARDED = 'discarded a cached value that does not decode';

  beforeAll(async () => {
    ({ probe: redis, gateway } = harness);
    // Loads the discard script, so that each discard below is one EVALSHA and not EVALSHA + EVAL.
    await harness.store.discard('warm-up', 'nothing');
  });

  it('answers it as null, logs and removes it, and reads Redis with one MGET in all', async () => {
    await redis.set(keys.ticker('BTC/USDT'), ticker('BTC/USDT', 1), 'PX', TTL_MS);
    await redis.set(keys.ticker('ETH/USDT'), '{"symbol":"ETH/USDT","last":"not a number"}', 'PX', TTL_MS);
    await redis.set(keys.ticker('SOL/USDT'), ticker('SOL/USDT', 3), 'PX', TTL_MS);

    const request = { query: '{ tickers(symbols: ["BTC/USDT", "ETH/USDT", "SOL/USDT"]) { symbol last } }', variables: {} };
    expect(isPlanned(request)).toBe(true);
    let body: string | undefined;
    const commands = await commandsDuring(redis, async () => void ({ body } = await answer(gateway, request)));
    expect(body).toBe('{"data":{"tickers":[{"symbol":"BTC/USDT","last":1},null,{"symbol":"SOL/USDT","last":3}]}}');
    // The discard is one script; Redis counts the TYPE, GET and DEL it runs inside as well.
    expect(commands).toEqual({ mget: 1, evalsha: 1, type: 1, get: 1, del: 1 });
    expect(await redis.exists(keys.ticker('ETH/USDT'))).toBe(0);
    expect(gateway.logs).toContainEqual(expect.objectContaining({ level: 40, msg: DISCARDED, key: keys.ticker('ETH/USDT') }));
  });

  it('in a bar range drops only that bar, removes it from the series, and reads the range once', async () => {
    await redis.zadd(keys.bars('BTC/USDT', '1h'), T0, bar(0, 10), T0 + HOUR, '{"openTime":"garbage"}', T0 + 2 * HOUR, bar(2, 12));

    const request = { query: '{ bars(symbol: "BTC/USDT", timeframe: "1h") { openTime close } }', variables: {} };
    expect(isPlanned(request)).toBe(true);
    let body: string | undefined;
    const commands = await commandsDuring(redis, async () => void ({ body } = await answer(gateway, request)));
    expect(body).toBe(`{"data":{"bars":[{"openTime":"${isoAt(2)}","close":12},{"openTime":"${isoAt(0)}","close":10}]}}`);
    // The discard is one script; Redis counts the TYPE and ZREM it runs inside as well.
    expect(commands).toEqual({ zrange: 1, evalsha: 1, type: 1, zrem: 1 });
    expect(await redis.zcard(keys.bars('BTC/USDT', '1h'))).toBe(2);
    expect(gateway.logs).toContainEqual(expect.objectContaining({ level: 40, msg: DISCARDED, key: keys.bars('BTC/USDT', '1h') }));
  });
});
