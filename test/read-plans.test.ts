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
 * Fills a store for each gateway in the same way, sends `request` to both twice (the second time
 * finds the plan compiled and what the first discarded gone, or, in an outage, only what the
 * first read to serve stale), and expects the same status, content type and bytes each time, and
 * the same cache contents and logs after. Resolves to the answers.
 */
async function expectSameAsExecutor(
  fillStore: (store: CacheStore) => Promise<unknown>,
  request: Request,
  { env = {}, outage = 'none' }: { env?: Record<string, string>; outage?: Outage } = {},
) {
  const [withPlans, withoutPlans] = [createMemoryStore(), createMemoryStore()];
  await fillStore(withPlans);
  await fillStore(withoutPlans);
  const [plannedStore, unplannedStore] = [interruptible(withPlans), interruptible(withoutPlans)];
  const [plannedGateway, unplannedGateway] = [planned(plannedStore, env), unplanned(unplannedStore, env)];
  const answers: Answer[] = [];
  for (const attempt of ['first', 'second']) {
    if (outage === 'throughout' || (outage === 'from the second request' && attempt === 'second')) {
      plannedStore.takeDown();
      unplannedStore.takeDown();
    }
    const expected = await answer(unplannedGateway, request);
    expect(await answer(plannedGateway, request), `${attempt} answer to ${request.query}`).toEqual(expected);
    answers.push(expected);
    expect(await contentsOf(withPlans), `cache after the ${attempt} request`).toEqual(await contentsOf(withoutPlans));
    expect(logsOf(plannedGateway), `logs after the ${attempt} request`).toEqual(logsOf(unplannedGateway));
  }
  return answers;
}

const outage = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Outage>('none') },
  { weight: 1, arbitrary: fc.constantFrom<Outage>('from the second request', 'throughout') },
);

describe('a gateway with read plans', () => {
  it('answers any query over any cache contents exactly as the executor does: same status, same bytes, same cache and logs afterwards', async () => {
    let answeredWithoutErrors = 0;
    await fc.assert(
      fc.asyncProperty(cacheContents, clientRequest.map(render), fc.boolean(), outage, async (contents, request, production, outage) => {
        const env: Record<string, string> = production ? { NODE_ENV: 'production' } : {};
        const answers = await expectSameAsExecutor((store) => fill(store, contents), request, { env, outage });
        if (isPlanned(request) && answers.some(({ body }) => body.includes('"data":{') && !body.includes('"errors"'))) answeredWithoutErrors += 1;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The generators must keep producing queries that plans answer, not only ones they hand over.
    expect(answeredWithoutErrors).toBeGreaterThan(RUNS / 8);
  });

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
    const [{ body }] = (await expectSameAsExecutor((store) => write(store, encodeRecord(wellFormed)), request)) as [Answer];
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
    )) as [Answer];
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
    }, request)) as [Answer];
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
    }, request)) as [Answer];
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
