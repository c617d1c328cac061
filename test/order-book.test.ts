import type { Redis } from 'ioredis';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../src/cache/memory-store.js';
import { ADMIN_TOKEN, testGateway, WRITER_TOKEN, type GraphQLResponse, type TestGateway } from './support/gateway.js';
import { eachStore, useRedisGateway } from './support/harness.js';
import { useTopologyGateway } from './support/topologies.js';
import { commandsDuring } from './support/redis-server.js';
import { interruptible, recordingStore } from './support/stores.js';

/**
 * Order books (issue 11): a snapshot per symbol, replaced by each write, served best levels first
 * and trimmed to `depth` on the way out. Behaviour is checked on both stores; keys and command
 * counts at the real Redis.
 */
const harness = useRedisGateway({ wrap: recordingStore });
let probe: Redis;
let recorded: ReturnType<typeof recordingStore>;
beforeAll(() => void ({ probe } = harness));
beforeAll(() => void (recorded = harness.store as ReturnType<typeof recordingStore>));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const BOOK_FIELDS = 'symbol bids { price amount } asks { price amount } time cachedAt expiresAt stale';
const PUT_BOOK = `mutation($book: OrderBookInput!, $ttlSeconds: Int) { putOrderBook(orderBook: $book, ttlSeconds: $ttlSeconds) { ${BOOK_FIELDS} } }`;
const BOOK = `query($symbol: MarketSymbol!, $depth: Int) { orderBook(symbol: $symbol, depth: $depth) { ${BOOK_FIELDS} } }`;

const level = (price: number, amount = 1) => ({ price, amount });
/** `count` bids below 100 and `count` asks above it, each side given worst first. */
const deepBook = (symbol: string, count: number) => ({
  symbol,
  bids: Array.from({ length: count }, (_, i) => level(100 - count + i, i + 1)),
  asks: Array.from({ length: count }, (_, i) => level(101 + count - 1 - i, i + 1)),
});

// And on a Redis Cluster, where an index and its entries live in different slots.
const cluster = useTopologyGateway('cluster');
const STORES: Array<[string, (env?: Record<string, string>) => TestGateway]> = [...eachStore(harness), ['a Redis Cluster', (env) => testGateway(cluster.store, env)]];

describe.each(STORES)('order books on %s', (_name, makeGateway) => {
  let gateway: TestGateway;
  beforeEach(() => void (gateway = makeGateway()));
  const write = (book: unknown, ttlSeconds?: number) => gateway.gql(PUT_BOOK, { book, ttlSeconds }, WRITER_TOKEN);
  const read = (symbol: string, depth?: number) => gateway.gql(BOOK, { symbol, depth });

  it('are served bids highest first and asks lowest first, whatever order they were given in', async () => {
    const put = await write({
      symbol: 'BTC/USDT',
      bids: [level(99.5, 2), level(100, 0.25), level(98, 0)],
      asks: [level(102, 3), level(100.5, 1.5), level(101, 0.125)],
    });
    expect(put.errors).toBeUndefined();
    const { data } = await read('BTC/USDT');
    expect(data.orderBook.bids).toEqual([level(100, 0.25), level(99.5, 2), level(98, 0)]);
    expect(data.orderBook.asks).toEqual([level(100.5, 1.5), level(101, 0.125), level(102, 3)]);
    expect(put.data.putOrderBook.bids).toEqual(data.orderBook.bids);
    expect(put.data.putOrderBook.asks).toEqual(data.orderBook.asks);
  });

  it('putOrderBook returns exactly what a following read returns', async () => {
    const put = await write({ symbol: 'ETH/USDT', bids: [level(10)], asks: [level(11)], time: '2026-01-01T00:00:00Z' });
    const { data } = await read('ETH/USDT');
    expect(data.orderBook).toEqual(put.data.putOrderBook);
    expect(data.orderBook).toMatchObject({ symbol: 'ETH/USDT', time: '2026-01-01T00:00:00.000Z', stale: false });
  });

  it('are timed now when no time is given, and expire per TTL_ORDER_BOOK_SECONDS (5 s) or ttlSeconds', async () => {
    const before = Date.now();
    const { data } = await write({ symbol: 'BTC/USDT', bids: [level(1)], asks: [level(2)] });
    const after = Date.now();
    const book = data.putOrderBook;
    expect(Date.parse(book.time)).toBeGreaterThanOrEqual(before - 5);
    expect(Date.parse(book.time)).toBeLessThanOrEqual(after + 5);
    expect(Date.parse(book.expiresAt) - Date.parse(book.cachedAt)).toBe(5000);

    const custom = (await write({ symbol: 'ETH/USDT', bids: [level(1)], asks: [level(2)] }, 60)).data.putOrderBook;
    expect(Date.parse(custom.expiresAt) - Date.parse(custom.cachedAt)).toBe(60_000);

    const configured = makeGateway({ TTL_ORDER_BOOK_SECONDS: '7' });
    const put = await configured.gql(PUT_BOOK, { book: { symbol: 'SOL/USDT', bids: [level(1)], asks: [level(2)] } }, WRITER_TOKEN);
    expect(Date.parse(put.data.putOrderBook.expiresAt) - Date.parse(put.data.putOrderBook.cachedAt)).toBe(7000);
  });

  it('are trimmed to depth when served (20 by default), and stored whole', async () => {
    await write(deepBook('BTC/USDT', 30));
    const byDefault = (await read('BTC/USDT')).data.orderBook;
    expect(byDefault.bids).toHaveLength(20);
    expect(byDefault.asks).toHaveLength(20);
    expect(byDefault.bids[0]).toEqual(level(99, 30));
    expect(byDefault.asks[0]).toEqual(level(101, 30));

    const top = (await read('BTC/USDT', 3)).data.orderBook;
    expect(top.bids.map((l: { price: number }) => l.price)).toEqual([99, 98, 97]);
    expect(top.asks.map((l: { price: number }) => l.price)).toEqual([101, 102, 103]);

    const all = (await read('BTC/USDT', 1000)).data.orderBook;
    expect(all.bids).toHaveLength(30);
    expect(all.asks).toHaveLength(30);
    expect(all.bids.at(-1)).toEqual(level(70, 1));
    expect(all.asks.at(-1)).toEqual(level(130, 1));
  });

  it('are replaced whole by the next snapshot', async () => {
    await write(deepBook('BTC/USDT', 10));
    await write({ symbol: 'BTC/USDT', bids: [level(50)], asks: [] });
    const { data } = await read('BTC/USDT', 1000);
    expect(data.orderBook.bids).toEqual([level(50)]);
    expect(data.orderBook.asks).toEqual([]);
  });

  it('miss as null, not an error, and belong to their own symbol', async () => {
    await write({ symbol: 'BTC/USDT', bids: [level(1)], asks: [level(2)] });
    const response = await gateway.gql(`{ none: orderBook(symbol: "NONE/USDT") { symbol } perp: orderBook(symbol: "BTC/USDT:USDT") { symbol } }`);
    expect(response).toEqual({ status: 200, data: { none: null, perp: null } });
  });

  it('expire after their TTL', async () => {
    await write({ symbol: 'BTC/USDT', bids: [level(1)], asks: [level(2)] }, 1);
    expect((await read('BTC/USDT')).data.orderBook.symbol).toBe('BTC/USDT');
    await sleep(1100);
    expect((await read('BTC/USDT')).data.orderBook).toBeNull();
  });

  it('invalidateOrderBook removes one book, and reports 0 the second time', async () => {
    await write({ symbol: 'BTC/USDT', bids: [level(1)], asks: [level(2)] });
    await write({ symbol: 'ETH/USDT', bids: [level(1)], asks: [level(2)] });
    const invalidate = () => gateway.gql(`mutation { invalidateOrderBook(symbol: "BTC/USDT") { deleted } }`, undefined, ADMIN_TOKEN);
    expect((await invalidate()).data).toEqual({ invalidateOrderBook: { deleted: 1 } });
    expect((await invalidate()).data).toEqual({ invalidateOrderBook: { deleted: 0 } });
    const { data } = await gateway.gql(`{ btc: orderBook(symbol: "BTC/USDT") { symbol } eth: orderBook(symbol: "ETH/USDT") { symbol } }`);
    expect(data).toEqual({ btc: null, eth: { symbol: 'ETH/USDT' } });
  });

  it('are written only with a writer token and invalidated only with the admin token', async () => {
    const book = { symbol: 'BTC/USDT', bids: [level(1)], asks: [level(2)] };
    const anonymous = await gateway.gql(PUT_BOOK, { book });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await read('BTC/USDT')).data.orderBook).toBeNull();

    await write(book);
    const byWriter = await gateway.gql(`mutation { invalidateOrderBook(symbol: "BTC/USDT") { deleted } }`, undefined, WRITER_TOKEN);
    expect(byWriter.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await read('BTC/USDT')).data.orderBook).not.toBeNull();
  });
});

describe('order books in Redis', () => {
  let gateway: TestGateway;
  beforeAll(() => void (gateway = harness.gateway));
  const write = (book: unknown) => gateway.gql(PUT_BOOK, { book }, WRITER_TOKEN);

  it('are kept under a key in the symbol’s hash tag, with their TTL', async () => {
    await write({ symbol: 'BTC/USDT', bids: [level(1)], asks: [level(2)] });
    const keys = (await probe.keys('*')).filter((key) => key.includes('BTC/USDT'));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(/\{([^}]*)\}/.exec(key)?.[1], key).toBe('BTC/USDT');
      const ttlMs = await probe.pttl(key);
      expect({ key, ttlMs: ttlMs > 4000 && ttlMs <= 5000 }).toEqual({ key, ttlMs: true });
    }
  });

  it('are served stale, as last read, while Redis is unavailable, and never once invalidated', async () => {
    const store = interruptible(harness.store);
    const flaky = testGateway(store);
    const query = `{ a: orderBook(symbol: "A/USDT") { bids { price } stale } b: orderBook(symbol: "B/USDT") { bids { price } stale } }`;
    for (const symbol of ['A/USDT', 'B/USDT']) {
      await flaky.gql(PUT_BOOK, { book: { symbol, bids: [level(1)], asks: [level(2)] }, ttlSeconds: 600 }, WRITER_TOKEN);
    }
    expect((await flaky.gql(query)).data).toEqual({ a: { bids: [{ price: 1 }], stale: false }, b: { bids: [{ price: 1 }], stale: false } });
    await flaky.gql(`mutation { invalidateOrderBook(symbol: "B/USDT") { deleted } }`, undefined, ADMIN_TOKEN);

    store.takeDown();
    try {
      const during = await flaky.gql(query);
      expect(during.data).toEqual({ a: { bids: [{ price: 1 }], stale: true }, b: null });
      expect(during.errors).toEqual([expect.objectContaining({ path: ['b'], extensions: { code: 'CACHE_UNAVAILABLE' } })]);
    } finally {
      store.bringBack();
    }
  });

  describe.each([
    ['a read plan', {}],
    ['the executor (READ_PLANS=false)', { READ_PLANS: 'false' }],
  ])('read through %s', (_path, env) => {
    let reader: TestGateway;
    beforeAll(() => void (reader = testGateway(harness.store, env)));

    it('order books join the one MGET of the request, and trades its one pipeline', async () => {
      for (const symbol of ['BTC/USDT', 'ETH/USDT']) {
        await write({ symbol, bids: [level(1)], asks: [level(2)] });
        await gateway.gql(
          `mutation($s: MarketSymbol!) { putTrades(symbol: $s, trades: [{ id: "1", time: "2026-01-01T00:00:00Z", price: 1.5, amount: 1 }]) }`,
          { s: symbol },
          WRITER_TOKEN,
        );
      }
      await gateway.gql(`mutation { putTicker(ticker: { symbol: "BTC/USDT", last: 1.5 }) { last } }`, undefined, WRITER_TOKEN);
      recorded.calls.splice(0);

      let response!: GraphQLResponse;
      const commands = await commandsDuring(probe, async () => {
        response = await reader.gql(`{
          a: orderBook(symbol: "BTC/USDT") { bids { price } }
          b: orderBook(symbol: "ETH/USDT", depth: 1) { asks { price } }
          c: orderBook(symbol: "NONE/USDT") { symbol }
          t: ticker(symbol: "BTC/USDT") { last }
          x: trades(symbol: "BTC/USDT") { price }
          y: trades(symbol: "ETH/USDT", limit: 1) { price }
        }`);
      });
      expect(response.errors).toBeUndefined();
      expect(response.data).toEqual({
        a: { bids: [{ price: 1 }] },
        b: { asks: [{ price: 2 }] },
        c: null,
        t: { last: 1.5 },
        x: [{ price: 1.5 }],
        y: [{ price: 1.5 }],
      });
      expect(commands).toEqual({ mget: 1, zrange: 2 });
      expect(recorded.calls.filter((call) => call.method === 'getMany')).toHaveLength(1);
      expect(recorded.calls.filter((call) => call.method === 'rangeMany')).toHaveLength(1);
    });
  });
});

describe('a query of many full books', () => {
  it('is bounded by MAX_RESPONSE_BYTES: the books that do not fit are null with RESPONSE_TOO_LARGE', async () => {
    const gateway = testGateway(createMemoryStore());
    const book = {
      symbol: 'BTC/USDT',
      bids: Array.from({ length: 5000 }, (_, i) => level(50_000 - i / 100, 1.5)),
      asks: Array.from({ length: 5000 }, (_, i) => level(50_001 + i / 100, 1.5)),
    };
    expect((await gateway.gql(PUT_BOOK, { book }, WRITER_TOKEN)).errors).toBeUndefined();
    const aliases = Array.from({ length: 200 }, (_, i) => `b${i}: orderBook(symbol: "BTC/USDT", depth: 1) { bids { price } }`).join(' ');
    const started = performance.now();
    const answer = await gateway.gql(`{ ${aliases} }`);
    const ms = performance.now() - started;
    const served = Object.values(answer.data as Record<string, unknown>).filter((book) => book !== null).length;
    console.info(`[order-book] 200 aliases of a 5000-level book: ${served} served, the rest refused, in ${ms.toFixed(0)} ms`);
    // A 5000-level book is about 400 KB stored: some 20 fit in 8 MiB.
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThan(40);
    expect(answer.errors!.length).toBe(200 - served);
    expect(new Set(answer.errors!.map((error) => error.extensions?.code))).toEqual(new Set(['RESPONSE_TOO_LARGE']));
  });
});
