import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisStore } from '../src/cache/redis-store.js';
import { DEFAULTS } from '../src/defaults.js';
import { startBinanceServer, type BinanceServer, type TradeRow } from './support/binance-server.js';
import { ADMIN_TOKEN, testGateway, WRITER_TOKEN, type TestGateway } from './support/gateway.js';
import { useRedis } from './support/harness.js';
import { sleep } from './support/load.js';
import { commandsDuring } from './support/redis-server.js';
import { interruptible } from './support/stores.js';

/**
 * Read-through of order books and trades from an exchange (ccxt's `fetchOrderBook` and
 * `fetchTrades`, against a loopback server that speaks Binance's wire format), by the rules of
 * every other kind: a miss is filled in the request; concurrent misses cost one upstream call,
 * across gateways sharing a Redis too; a value past its TTL is served stale while one refresh
 * runs; a failing exchange serves what is within grace and UPSTREAM_UNAVAILABLE beyond it; a
 * symbol the exchange does not list is remembered as absent; an invalidation during a fill wins.
 */

const redis = useRedis();
let binance: BinanceServer;
let namespace = 0;

const BOOK = `query($s: MarketSymbol!, $d: Int) { orderBook(symbol: $s, depth: $d) { symbol bids { price amount } asks { price amount } stale } }`;
const TRADES = `query($s: MarketSymbol!, $l: Int, $since: DateTime) { trades(symbol: $s, limit: $l, since: $since) { id time price amount side stale } }`;

/** 30 spot trades of BTCUSDT, one a second up to now, alternating sides. */
function recentTrades(count = 30): TradeRow[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => ({ id: 1000 + i, price: 65_000 + i, qty: 0.5 + i / 100, time: now - (count - i) * 1000, isBuyerMaker: i % 2 === 0 }));
}

beforeAll(async () => {
  binance = await startBinanceServer();
});

/** Asks again (every 50 ms, for up to 5 s) until `done` says the answer is the one awaited; then returns it. */
async function eventually<T>(ask: () => Promise<T>, done: (answer: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const answer = await ask();
    if (done(answer) || Date.now() > deadline) return answer;
    await sleep(50);
  }
}

/** Resolves once the exchange has received a request to `path`: the fill is in flight. */
async function untilCalled(path: string) {
  const deadline = Date.now() + 5000;
  while (binance.calls(path) === 0 && Date.now() < deadline) await sleep(10);
}
afterAll(() => binance?.stop());

/** A gateway reading through to the exchange, in a namespace of its own, hearing fills announced. */
function exchangeGateway(env: Record<string, string> = {}, store = createRedisStore({ redis: redis.redis, subscriber: redis.server.client(), changeChannel: `b${namespace + 1}:v1:changes`, readTimeoutMs: 5000, writeTimeoutMs: 5000 })) {
  return testGateway(store, { EXCHANGE_ID: 'binance', EXCHANGE_API_URL: binance.url, UPSTREAM_TIMEOUT_MS: '2000', CACHE_NAMESPACE: `b${namespace}`, ...env });
}

describe.each([
  ['with read plans', {}],
  ['through the executor (READ_PLANS=false)', { READ_PLANS: 'false' }],
])('an order book %s', (_path, planEnv) => {
  let gateway: TestGateway;
  beforeEach(() => {
    binance.reset();
    namespace += 1;
    gateway = exchangeGateway(planEnv);
  });

  it('is filled on a miss, in the request, best levels first and trimmed to depth, then read from the cache', async () => {
    binance.setBook('BTCUSDT', { bids: [['64999', '1'], ['64998', '2'], ['64997', '3']], asks: [['65001', '4'], ['65002', '5']] });
    const first = await gateway.gql(BOOK, { s: 'BTC/USDT', d: 2 });
    expect(first.errors).toBeUndefined();
    expect(first.data).toEqual({
      orderBook: { symbol: 'BTC/USDT', bids: [{ price: 64_999, amount: 1 }, { price: 64_998, amount: 2 }], asks: [{ price: 65_001, amount: 4 }, { price: 65_002, amount: 5 }], stale: false },
    });
    expect(binance.calls('/api/v3/depth')).toBe(1);

    // Stored whole (depth trims what is served), fresh for TTL_ORDER_BOOK_SECONDS, kept for its grace too.
    const key = `b${namespace}:v1:book:{BTC/USDT}`;
    expect(JSON.parse((await redis.probe.get(key))!).bids).toHaveLength(3);
    const pttl = await redis.probe.pttl(key);
    expect(pttl).toBeGreaterThan((DEFAULTS.ttlSeconds.orderBook + DEFAULTS.graceSeconds.orderBook) * 1000 - 3000);
    expect((await gateway.gql(BOOK, { s: 'BTC/USDT', d: 3 })).data.orderBook.bids).toHaveLength(3);
    expect(binance.calls('/api/v3/depth')).toBe(1);
    expect((await gateway.gql('{ symbols(kind: ORDER_BOOK) { symbol kinds } }')).data).toEqual({ symbols: [{ symbol: 'BTC/USDT', kinds: ['ORDER_BOOK'] }] });
  });

  it('costs one upstream call for 100 concurrent readers', async () => {
    binance.mode({ delayMs: 300 }, '/api/v3/depth');
    const answers = await Promise.all(Array.from({ length: 100 }, () => gateway.gql(BOOK, { s: 'ETH/USDT', d: 1 })));
    expect(new Set(answers.map((answer) => JSON.stringify(answer)))).toEqual(new Set([JSON.stringify(answers[0])]));
    expect(answers[0]!.data.orderBook).toMatchObject({ symbol: 'ETH/USDT', stale: false });
    expect(binance.calls('/api/v3/depth')).toBe(1);
  });

  it('past its TTL is served stale at once while one refresh runs; the next read is fresh', async () => {
    gateway = exchangeGateway({ ...planEnv, TTL_ORDER_BOOK_SECONDS: '1' });
    await gateway.gql(BOOK, { s: 'BTC/USDT', d: 1 });
    await sleep(1100);
    binance.setBook('BTCUSDT', { bids: [['64000', '9']], asks: [['64001', '9']] });
    binance.mode({ delayMs: 800 }, '/api/v3/depth');
    const started = performance.now();
    const stale = await Promise.all(Array.from({ length: 10 }, () => gateway.gql(BOOK, { s: 'BTC/USDT', d: 1 })));
    const ms = performance.now() - started;
    for (const answer of stale) {
      expect(answer.data.orderBook.stale).toBe(true);
      expect(answer.data.orderBook.bids[0].price).not.toBe(64_000);
    }
    console.info(`[book-trade-fills] 10 reads of a stale book while its refresh takes 800 ms: answered in ${ms.toFixed(0)} ms`);
    const fresh = await eventually(() => gateway.gql(BOOK, { s: 'BTC/USDT', d: 1 }), (answer) => answer.data?.orderBook?.stale === false);
    expect(fresh.data.orderBook).toEqual({ symbol: 'BTC/USDT', bids: [{ price: 64_000, amount: 9 }], asks: [{ price: 64_001, amount: 9 }], stale: false });
    expect(binance.calls('/api/v3/depth')).toBe(2);
  }, 15_000);

  it('with the exchange failing: served stale within grace; with nothing to serve, null with UPSTREAM_UNAVAILABLE', async () => {
    binance.mode({ status500: true }, '/api/v3/depth');
    const missing = await gateway.gql(BOOK, { s: 'BTC/USDT', d: 1 });
    expect(missing.data).toEqual({ orderBook: null });
    expect(missing.errors?.map((error) => error.extensions?.code)).toEqual(['UPSTREAM_UNAVAILABLE']);

    gateway = exchangeGateway({ ...planEnv, TTL_ORDER_BOOK_SECONDS: '1' });
    binance.mode({}, '/api/v3/depth');
    await redis.probe.flushall();
    expect((await gateway.gql(BOOK, { s: 'BTC/USDT', d: 1 })).data.orderBook.stale).toBe(false);
    binance.mode({ status500: true }, '/api/v3/depth');
    await sleep(1100);
    const stale = await gateway.gql(BOOK, { s: 'BTC/USDT', d: 1 });
    expect(stale.errors).toBeUndefined();
    expect(stale.data.orderBook.stale).toBe(true);
  }, 15_000);

  it('of a symbol the exchange does not list is null, remembered as absent without asking again, until a write replaces it', async () => {
    expect((await gateway.gql(BOOK, { s: 'NOPE/USDT', d: 1 })).data).toEqual({ orderBook: null });
    expect(JSON.parse((await redis.probe.get(`b${namespace}:v1:book:{NOPE/USDT}`))!)).toMatchObject({ absent: true });
    const calls = binance.calls();
    expect((await gateway.gql(BOOK, { s: 'NOPE/USDT', d: 1 })).data).toEqual({ orderBook: null });
    expect(binance.calls()).toBe(calls);
    expect((await gateway.gql('{ symbols { symbol } }')).data).toEqual({ symbols: [] });

    const put = 'mutation { putOrderBook(orderBook: { symbol: "NOPE/USDT", bids: [{ price: 1, amount: 1 }], asks: [] }) { symbol } }';
    expect((await gateway.gql(put, undefined, WRITER_TOKEN)).errors).toBeUndefined();
    expect((await gateway.gql(BOOK, { s: 'NOPE/USDT', d: 1 })).data).toEqual({ orderBook: { symbol: 'NOPE/USDT', bids: [{ price: 1, amount: 1 }], asks: [], stale: false } });
  });

  it('lets an invalidation during a slow fill win: nothing is stored or served', async () => {
    binance.mode({ delayMs: 600 }, '/api/v3/depth');
    const reading = gateway.gql(BOOK, { s: 'BTC/USDT', d: 1 });
    await untilCalled('/api/v3/depth');
    expect((await gateway.gql('mutation { invalidateOrderBook(symbol: "BTC/USDT") { deleted } }', undefined, ADMIN_TOKEN)).errors).toBeUndefined();
    expect((await reading).data).toEqual({ orderBook: null });
    await sleep(100);
    expect(await redis.probe.exists(`b${namespace}:v1:book:{BTC/USDT}`)).toBe(0);
  });
});

describe.each([
  ['with read plans', {}],
  ['through the executor (READ_PLANS=false)', { READ_PLANS: 'false' }],
])('trades %s', (_path, planEnv) => {
  let gateway: TestGateway;
  beforeEach(() => {
    binance.reset();
    namespace += 1;
    gateway = exchangeGateway(planEnv);
  });

  it('are filled on a miss, in the request, newest first, and read from the cache afterwards with limit and since', async () => {
    const rows = recentTrades();
    binance.setTrades('BTCUSDT', rows);
    const first = await gateway.gql(TRADES, { s: 'BTC/USDT', l: 3 });
    expect(first.errors).toBeUndefined();
    const newest = rows.slice(-3).reverse();
    expect(first.data.trades).toEqual(
      newest.map((row) => ({ id: String(row.id), time: new Date(row.time).toISOString(), price: Number(row.price), amount: Number(row.qty), side: row.isBuyerMaker ? 'SELL' : 'BUY', stale: false })),
    );
    expect(binance.calls('/api/v3/aggTrades')).toBe(1);

    const since = new Date(rows[25]!.time).toISOString();
    const later = await gateway.gql(TRADES, { s: 'BTC/USDT', l: 100, since });
    expect(later.data.trades.map((trade: { id: string }) => trade.id)).toEqual(rows.slice(25).reverse().map((row) => String(row.id)));
    expect(binance.calls('/api/v3/aggTrades')).toBe(1);
    // The whole log is kept: its stamp is never served as a trade.
    expect((await gateway.gql(TRADES, { s: 'BTC/USDT', l: 1000 })).data.trades).toHaveLength(30);
  });

  it('cost one upstream call for 100 concurrent readers, and one for a second gateway on the same Redis', async () => {
    binance.setTrades('ETHUSDT', recentTrades(5));
    binance.mode({ delayMs: 300 }, '/api/v3/aggTrades');
    const other = exchangeGateway(planEnv, createRedisStore({ redis: redis.server.client(), subscriber: redis.server.client(), changeChannel: `b${namespace}:v1:changes`, readTimeoutMs: 5000, writeTimeoutMs: 5000 }));
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? other : gateway).gql(TRADES, { s: 'ETH/USDT', l: 5 })));
    for (const answer of answers) {
      expect(answer.errors).toBeUndefined();
      expect(answer.data.trades).toHaveLength(5);
    }
    expect(binance.calls('/api/v3/aggTrades')).toBe(1);
  }, 15_000);

  it('past their TTL are served stale at once while one refresh runs, which appends what is new', async () => {
    gateway = exchangeGateway({ ...planEnv, TTL_TRADES_SECONDS: '1' });
    const rows = recentTrades(5);
    binance.setTrades('BTCUSDT', rows);
    expect((await gateway.gql(TRADES, { s: 'BTC/USDT', l: 10 })).data.trades).toHaveLength(5);
    await sleep(1100);
    binance.setTrades('BTCUSDT', [...rows, { id: 2000, price: 66_000, qty: 1, time: Date.now(), isBuyerMaker: false }]);
    binance.mode({ delayMs: 600 }, '/api/v3/aggTrades');
    const stale = await gateway.gql(TRADES, { s: 'BTC/USDT', l: 10 });
    expect(stale.data.trades).toHaveLength(5);
    expect(stale.data.trades.every((trade: { stale: boolean }) => trade.stale)).toBe(true);
    const fresh = await eventually(() => gateway.gql(TRADES, { s: 'BTC/USDT', l: 10 }), (answer) => answer.data?.trades?.[0]?.stale === false);
    expect(fresh.data.trades).toHaveLength(6);
    expect(fresh.data.trades[0]).toMatchObject({ id: '2000', price: 66_000, side: 'BUY', stale: false });
    expect(binance.calls('/api/v3/aggTrades')).toBe(2);
  }, 15_000);

  it('with the exchange failing and nothing to serve: an empty list with UPSTREAM_UNAVAILABLE', async () => {
    binance.mode({ status500: true }, '/api/v3/aggTrades');
    const answer = await gateway.gql(TRADES, { s: 'BTC/USDT' });
    expect(answer.data).toBeNull(); // trades is [Trade!]!: an error there nulls the whole data
    expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(['UPSTREAM_UNAVAILABLE']);
  });

  it('of a symbol the exchange does not list are empty, remembered as absent without asking again', async () => {
    expect((await gateway.gql(TRADES, { s: 'NOPE/USDT' })).data).toEqual({ trades: [] });
    const calls = binance.calls();
    expect((await gateway.gql(TRADES, { s: 'NOPE/USDT' })).data).toEqual({ trades: [] });
    expect(binance.calls()).toBe(calls);
    expect((await gateway.gql('{ symbols { symbol } }')).data).toEqual({ symbols: [] });
  });

  it('let an invalidation during a slow fill win: nothing is stored', async () => {
    binance.setTrades('BTCUSDT', recentTrades(5));
    binance.mode({ delayMs: 600 }, '/api/v3/aggTrades');
    const reading = gateway.gql(TRADES, { s: 'BTC/USDT' });
    await untilCalled('/api/v3/aggTrades');
    expect((await gateway.gql('mutation { invalidateTrades(symbol: "BTC/USDT") { deleted } }', undefined, ADMIN_TOKEN)).errors).toBeUndefined();
    expect((await reading).data).toEqual({ trades: [] });
    await sleep(100);
    expect(await redis.probe.exists(`b${namespace}:v1:trades:{BTC/USDT}`)).toBe(0);
  });

  it('read with a book and tickers cost one MGET and one pipeline when cached', async () => {
    binance.setTrades('BTCUSDT', recentTrades(5));
    const dashboard = `{ ticker(symbol: "BTC/USDT") { last } orderBook(symbol: "BTC/USDT") { bids { price } } trades(symbol: "BTC/USDT", limit: 5) { price } }`;
    await gateway.gql(dashboard);
    const commands = await commandsDuring(redis.probe, async () => {
      const answer = await gateway.gql(dashboard);
      expect(answer.errors).toBeUndefined();
      expect(answer.data.trades).toHaveLength(5);
    });
    expect(commands).toEqual({ mget: 1, zrange: 1 });
  });
});

describe('a Redis outage, for books and trades with an exchange', () => {
  it('serves the last book and trades from the tier: fresh within their TTL, stale within grace, not at all past it', async () => {
    binance.reset();
    binance.setTrades('BTCUSDT', recentTrades(5));
    namespace += 1;
    const down = interruptible(createRedisStore({ redis: redis.redis, readTimeoutMs: 5000, writeTimeoutMs: 5000 }));
    // Fresh for 2 s, then stale for 2 s more: each check waits for its own window, from the fill.
    const gateway = exchangeGateway({ TTL_ORDER_BOOK_SECONDS: '2', GRACE_ORDER_BOOK_SECONDS: '2', TTL_TRADES_SECONDS: '2', GRACE_TRADES_SECONDS: '2' }, down);
    const query = `{ orderBook(symbol: "BTC/USDT", depth: 1) { stale } trades(symbol: "BTC/USDT", limit: 2) { stale } }`;
    expect((await gateway.gql(query)).data).toEqual({ orderBook: { stale: false }, trades: [{ stale: false }, { stale: false }] });
    const filledAt = Date.now(); // the fills were stamped before this

    down.takeDown();
    expect((await gateway.gql(query)).data).toEqual({ orderBook: { stale: false }, trades: [{ stale: false }, { stale: false }] });
    await sleep(filledAt + 2300 - Date.now());
    expect((await gateway.gql(query)).data).toEqual({ orderBook: { stale: true }, trades: [{ stale: true }, { stale: true }] });
    await sleep(filledAt + 4500 - Date.now());
    const gone = await gateway.gql(`{ orderBook(symbol: "BTC/USDT", depth: 1) { stale } }`);
    expect(gone.data).toEqual({ orderBook: null });
    expect(gone.errors?.map((error) => error.extensions?.code)).toEqual(['CACHE_UNAVAILABLE']);
    const noTrades = await gateway.gql(`{ trades(symbol: "BTC/USDT", limit: 2) { stale } }`);
    expect(noTrades.errors?.map((error) => error.extensions?.code)).toEqual(['CACHE_UNAVAILABLE']);
  }, 15_000);
});
