import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createMemoryStore } from '../src/cache/memory-store.js';
import { createRedisStore } from '../src/cache/redis-store.js';
import type { CacheStore } from '../src/cache/store.js';
import { startFearGreedServer, type FearGreedServer } from './support/fear-greed-server.js';
import { ADMIN_TOKEN, testGateway, WRITER_TOKEN, type TestGateway } from './support/gateway.js';
import { startLiveGateway } from './support/live-gateway.js';
import { sleep } from './support/load.js';
import { waitUntil } from './support/wait-until.js';
import { interruptible } from './support/stores.js';
import { subscribeSse, type SseSubscription } from './support/sse.js';
import { useTopology, type TopologyHarness } from './support/topologies.js';

/**
 * Live updates as a client sees them (issue 13): a subscription sends what is cached now, then
 * every change, from whichever instance made it. Two gateway instances share each Redis (one
 * server, and a 3-master cluster); the embedded store has one. Subscriptions are read over SSE,
 * through each gateway's own fetch; WebSocket and many processes are in live-fanout.test.ts.
 */

const URL = 'http://gateway.test/graphql';

const TICKERS = 'subscription($symbols: [MarketSymbol!]!) { tickers(symbols: $symbols) { symbol last stale } }';
const PUT_TICKER = 'mutation($symbol: MarketSymbol!, $last: Float!) { putTicker(ticker: { symbol: $symbol, last: $last }, ttlSeconds: 600) { last } }';
const BARS = 'subscription($symbol: MarketSymbol!) { bars(symbol: $symbol, timeframe: "1h") { openTime close stale } }';
const PUT_BARS = 'mutation($symbol: MarketSymbol!, $bars: [BarInput!]!) { putBars(symbol: $symbol, timeframe: "1h", bars: $bars) }';
const TRADES = 'subscription($symbol: MarketSymbol!) { trades(symbol: $symbol) { id price time } }';
const PUT_TRADES = 'mutation($symbol: MarketSymbol!, $trades: [TradeInput!]!) { putTrades(symbol: $symbol, trades: $trades, ttlSeconds: 600) }';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);
const bar = (hour: number, close: number) => ({ openTime: new Date(T0 + hour * HOUR).toISOString(), open: 100, high: 200, low: 50, close, volume: 1 });
const trade = (id: string, second: number, price: number) => ({ id, time: new Date(T0 + second * 1000).toISOString(), price, amount: 1, side: 'BUY' });

/** The `data` of each payload: what a client renders. */
const data = (subscription: SseSubscription) => subscription.received.map((payload) => payload.data);

async function written(gateway: TestGateway, query: string, variables: Record<string, unknown>, token = WRITER_TOKEN) {
  const result = await gateway.gql(query, variables, token);
  expect(result.errors).toBeUndefined();
}

/** Subscriptions made in a test, closed after it. */
const open: SseSubscription[] = [];
async function subscribe(gateway: TestGateway, query: string, variables?: Record<string, unknown>) {
  const subscription = await subscribeSse(gateway.fetch, URL, query, variables);
  open.push(subscription);
  return subscription;
}

/** Nothing more arrives within `ms`. */
async function quiet(subscription: SseSubscription, ms = 300) {
  const before = subscription.received.length;
  await sleep(ms);
  expect(subscription.received.slice(before)).toEqual([]);
}

interface Instances {
  /** Where writes go. */
  a: TestGateway;
  /** Where clients subscribe: another instance on a shared Redis. */
  b: TestGateway;
}

const topologies = (['standalone', 'cluster'] as const).map((topology) => [topology, useTopology(topology)] as const);

/** Two gateways over two stores on one Redis, each with its own subscriber connection, as two processes have. */
function twoInstances(harness: TopologyHarness, env: Record<string, string> = {}, envA: Record<string, string> = {}): Instances {
  const store = () =>
    createRedisStore({ redis: harness.client(), subscriber: harness.client(), changeChannel: `${env.CACHE_NAMESPACE ?? 'mdc'}:v1:changes`, readTimeoutMs: 5000, writeTimeoutMs: 5000 });
  return { a: testGateway(store(), { ...env, ...envA }), b: testGateway(store(), env) };
}

const setups: Array<[string, () => Instances]> = [
  [
    'the embedded store',
    () => {
      const gateway = testGateway(createMemoryStore());
      return { a: gateway, b: gateway };
    },
  ],
  ...topologies.map(([topology, harness]): [string, () => Instances] => [`two instances on Redis (${topology})`, () => twoInstances(harness)]),
];

afterAll(async () => {
  await Promise.all(open.map((subscription) => subscription.close()));
});

describe.each(setups)('subscriptions on %s', (_name, make) => {
  let a: TestGateway;
  let b: TestGateway;
  let run = 0;
  // Each test its own symbol: no test hears another's writes.
  let symbol: string;
  beforeAll(() => void ({ a, b } = make()));
  const next = () => (symbol = `LIVE${++run}/USDT`);

  it('send the cached ticker first, then each write made through the other instance', async () => {
    next();
    await written(a, PUT_TICKER, { symbol, last: 1 });
    const tickers = await subscribe(b, TICKERS, { symbols: [symbol, 'NONE/USDT'] });
    await tickers.until(1);
    await written(a, PUT_TICKER, { symbol, last: 2 });
    await tickers.until(2);
    await written(a, PUT_TICKER, { symbol, last: 3 });
    await tickers.until(3);
    expect(data(tickers)).toEqual([1, 2, 3].map((last) => ({ tickers: { symbol, last, stale: false } })));
  });

  it('send nothing for an invalidation, and the next write', async () => {
    next();
    const tickers = await subscribe(b, TICKERS, { symbols: [symbol] });
    await quiet(tickers, 100);
    await written(a, PUT_TICKER, { symbol, last: 1 });
    await tickers.until(1);
    await written(a, 'mutation($symbol: MarketSymbol!) { invalidateTicker(symbol: $symbol) { deleted } }', { symbol }, ADMIN_TOKEN);
    await quiet(tickers);
    await written(a, PUT_TICKER, { symbol, last: 2 });
    await tickers.until(2);
    expect(data(tickers).map(({ tickers }) => tickers.last)).toEqual([1, 2]);
  });

  it('send the newest bar, then the open candle as it changes, then each new one, but no older bar written later', async () => {
    next();
    await written(a, PUT_BARS, { symbol, bars: [bar(0, 100), bar(1, 101)] });
    const bars = await subscribe(b, BARS, { symbol });
    await bars.until(1);
    await written(a, PUT_BARS, { symbol, bars: [bar(1, 102)] });
    await bars.until(2);
    await written(a, PUT_BARS, { symbol, bars: [bar(2, 103), bar(3, 104)] });
    await bars.until(4);
    // A backfill of history, then the open candle again.
    await written(a, PUT_BARS, { symbol, bars: [bar(-5, 60), bar(3, 105)] });
    await bars.until(5);
    await quiet(bars, 100);
    expect(data(bars).map(({ bars }) => [Date.parse(bars.openTime), bars.close])).toEqual([
      [T0 + 1 * HOUR, 101],
      [T0 + 1 * HOUR, 102],
      [T0 + 2 * HOUR, 103],
      [T0 + 3 * HOUR, 104],
      [T0 + 3 * HOUR, 105],
    ]);
  });

  it('send the newest trade, then each new trade oldest first, a late one too, and no repeat', async () => {
    next();
    await written(a, PUT_TRADES, { symbol, trades: [trade('1', 1, 10), trade('2', 2, 20)] });
    const trades = await subscribe(b, TRADES, { symbol });
    await trades.until(1);
    await written(a, PUT_TRADES, { symbol, trades: [trade('4', 4, 40), trade('3', 3, 30)] });
    await trades.until(3);
    // Trade 4 again (the same id), and a late trade, older than every one sent.
    await written(a, PUT_TRADES, { symbol, trades: [trade('4', 4, 40), trade('0', 0, 5)] });
    await trades.until(4);
    await quiet(trades, 100);
    expect(data(trades).map(({ trades }) => trades.id)).toEqual(['2', '3', '4', '0']);
  });

  it("send an order book trimmed to the subscription's depth, funding rates and Fear & Greed as they are written", async () => {
    next();
    const book = (best: number) => ({ symbol, bids: [1, 2, 3].map((i) => ({ price: best - i, amount: 1 })), asks: [1, 2, 3].map((i) => ({ price: best + i, amount: 1 })) });
    const PUT_BOOK = 'mutation($book: OrderBookInput!) { putOrderBook(orderBook: $book, ttlSeconds: 600) { symbol } }';
    await written(a, PUT_BOOK, { book: book(100) });
    const books = await subscribe(b, 'subscription($symbol: MarketSymbol!) { orderBook(symbol: $symbol, depth: 1) { bids { price } asks { price } } }', { symbol });
    const rates = await subscribe(b, 'subscription($symbols: [MarketSymbol!]!) { fundingRates(symbols: $symbols) { symbol rate } }', { symbols: [symbol] });
    await books.until(1);
    await written(a, PUT_BOOK, { book: book(200) });
    await written(a, 'mutation($symbol: MarketSymbol!) { putFundingRate(fundingRate: { symbol: $symbol, rate: 0.0002 }, ttlSeconds: 600) { rate } }', { symbol });
    await Promise.all([books.until(2), rates.until(1)]);
    expect(data(books)).toEqual([
      { orderBook: { bids: [{ price: 99 }], asks: [{ price: 101 }] } },
      { orderBook: { bids: [{ price: 199 }], asks: [{ price: 201 }] } },
    ]);
    expect(data(rates)).toEqual([{ fundingRates: { symbol, rate: 0.0002 } }]);
  });
});

describe('subscriptions on Fear & Greed filled from its source', () => {
  const harness = topologies[0]![1];
  let fng: FearGreedServer;
  beforeAll(async () => void (fng = await startFearGreedServer()));
  afterAll(() => fng?.stop());

  it('receive the value a read on another instance filled from the source', async () => {
    // Only A reads from the source: B, subscribing to nothing cached, has nothing to fill from.
    const { a, b } = twoInstances(harness, { CACHE_NAMESPACE: 'filled' }, { FEAR_GREED_URL: fng.url });
    const fearGreed = await subscribe(b, 'subscription { fearGreed { value classification } }');
    await quiet(fearGreed, 200);
    const read = await a.gql('{ fearGreed { value } }');
    expect(read.data.fearGreed).not.toBeNull();
    await fearGreed.until(1);
    expect(data(fearGreed)).toEqual([{ fearGreed: { value: read.data.fearGreed.value, classification: expect.any(String) } }]);
  });
});

describe('subscriptions after the subscription to Redis was lost', () => {
  const harness = topologies[0]![1];

  it('send what is current once subscribed again, though the change itself was never announced', async () => {
    const { a, b } = twoInstances(harness, { CACHE_NAMESPACE: 'lost' });
    await written(a, PUT_TICKER, { symbol: 'LOST/USDT', last: 1 });
    const tickers = await subscribe(b, TICKERS, { symbols: ['LOST/USDT'] });
    await tickers.until(1);
    // A change nobody announces (as if its announcement were lost), then the connection goes.
    const key = 'lost:v1:ticker:{LOST/USDT}';
    const probe = harness.probe as Redis;
    await probe.set(key, (await probe.get(key))!.replace('"last":1', '"last":2'), 'KEEPTTL');
    await quiet(tickers, 100);
    await probe.client('KILL', 'TYPE', 'pubsub');
    await tickers.until(2);
    expect(data(tickers).map(({ tickers }) => tickers.last)).toEqual([1, 2]);
  });
});

describe('a slow subscriber', () => {
  it('skips to the newest book, never an older one after a newer one, and the drops are counted', async () => {
    // A client that does not read: once the stream's own buffer is full (16 KiB in-process; a
    // socket's, over the network), what the gateway has not sent waits in the subscription's
    // queue, one book at most, each newer one replacing the last.
    const gateway = testGateway(createMemoryStore());
    const LEVELS = 200;
    const book = (version: number) => ({
      symbol: 'SLOW/USDT',
      bids: Array.from({ length: LEVELS }, (_, i) => ({ price: 50_000 - i - version / 1000, amount: 1.5 })),
      asks: Array.from({ length: LEVELS }, (_, i) => ({ price: 50_001 + i + version / 1000, amount: 2.5 })),
    });
    const PUT_BOOK = 'mutation($book: OrderBookInput!) { putOrderBook(orderBook: $book, ttlSeconds: 600) { symbol } }';
    const books = await subscribe(gateway, `subscription { orderBook(symbol: "SLOW/USDT", depth: ${LEVELS}) { bids { price } } }`);
    books.pause();
    const WRITES = 100;
    for (let version = 1; version <= WRITES; version++) {
      await written(gateway, PUT_BOOK, { book: book(version) });
      // In-process, a write is all promise jobs: let the hub read between writes, as it would between requests.
      await new Promise(setImmediate);
    }
    books.resume();
    const versionOf = (payload: any) => Math.round((50_000 - payload.data.orderBook.bids[0].price) * 1000);
    await waitUntil('the newest book arrived', async () => expect(books.received.map(versionOf).at(-1)).toBe(WRITES), 5000);
    const versions = books.received.map(versionOf);
    expect(versions.at(-1)).toBe(WRITES);
    expect(versions.every((version, i) => i === 0 || version > versions[i - 1]!)).toBe(true);
    expect(versions.length).toBeLessThan(WRITES / 4);
    const metrics = await (await gateway.fetch('http://gateway.test/metrics')).text();
    const count = (outcome: string) => Number(new RegExp(`mdc_live_messages_total\\{field="orderBook",outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1]);
    expect(count('sent')).toBe(versions.length);
    expect(count('dropped')).toBe(WRITES - versions.length);
  });
});

describe('a subscription whose first read fails', () => {
  it('sends what is cached once Redis answers again, with no change needed', async () => {
    const memory = createMemoryStore();
    const store = interruptible(memory);
    // Written through another gateway: nothing of it in this one's stale tier.
    await written(testGateway(memory), PUT_TICKER, { symbol: 'DOWN/USDT', last: 7 });
    const gateway = testGateway(store);
    store.takeDown();
    const tickers = await subscribe(gateway, TICKERS, { symbols: ['DOWN/USDT'] });
    await quiet(tickers, 300);
    store.bringBack();
    await tickers.until(1, 3000);
    expect(data(tickers)).toEqual([{ tickers: { symbol: 'DOWN/USDT', last: 7, stale: false } }]);
  });
});

describe('writes faster than the gateway reads them', () => {
  it('reach subscribers as the newest value, and are counted as coalesced changes', async () => {
    const gateway = testGateway(createMemoryStore());
    const tickers = await subscribe(gateway, TICKERS, { symbols: ['FAST/USDT'] });
    // In-process, these writes are all promise jobs: the hub reads once they are done.
    await Promise.all(Array.from({ length: 50 }, (_, i) => written(gateway, PUT_TICKER, { symbol: 'FAST/USDT', last: i + 1 })));
    await tickers.until(1);
    await quiet(tickers, 100);
    expect(data(tickers)).toEqual([{ tickers: { symbol: 'FAST/USDT', last: 50, stale: false } }]);
    const metrics = await (await gateway.fetch('http://gateway.test/metrics')).text();
    const changes = (outcome: string) => Number(new RegExp(`mdc_live_changes_total\\{outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1]);
    expect({ read: changes('read'), coalesced: changes('coalesced') }).toEqual({ read: 1, coalesced: 49 });
  });
});

describe('limits', () => {
  const store = (): CacheStore => createMemoryStore();

  it('refuse a subscription to no symbols or to more than 500, naming the argument', async () => {
    const gateway = testGateway(store());
    const none = await subscribe(gateway, TICKERS, { symbols: [] });
    const many = await subscribe(gateway, TICKERS, { symbols: Array.from({ length: 501 }, (_, i) => `S${i}/USDT`) });
    await Promise.all([none.until(1), many.until(1)]);
    expect(none.received[0].errors).toEqual([expect.objectContaining({ message: 'symbols: expected 1 to 500 symbols, received 0', extensions: { code: 'BAD_USER_INPUT' } })]);
    expect(many.received[0].errors).toEqual([expect.objectContaining({ message: 'symbols: expected at most 500 symbols, received 501', extensions: { code: 'BAD_USER_INPUT' } })]);
  });

  it('refuse a subscription past MAX_SUBSCRIPTIONS or MAX_SUBSCRIBED_SYMBOLS, and take one again once another ends', async () => {
    const gateway = testGateway(store(), { MAX_SUBSCRIPTIONS: '2', MAX_SUBSCRIBED_SYMBOLS: '3' });
    const first = await subscribe(gateway, TICKERS, { symbols: ['A/USDT', 'B/USDT'] });
    const refusedSymbols = await subscribe(gateway, TICKERS, { symbols: ['C/USDT', 'D/USDT'] });
    const second = await subscribe(gateway, TICKERS, { symbols: ['C/USDT'] });
    const refused = await subscribe(gateway, 'subscription { fearGreed { value } }');
    await Promise.all([refusedSymbols.until(1), refused.until(1)]);
    expect(refusedSymbols.received[0].errors).toEqual([
      expect.objectContaining({ message: 'subscribed symbols: expected at most 3 on this gateway (MAX_SUBSCRIBED_SYMBOLS), received 4', extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } }),
    ]);
    expect(refused.received[0].errors).toEqual([
      expect.objectContaining({ message: 'subscriptions: expected at most 2 on this gateway (MAX_SUBSCRIPTIONS), received one more', extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } }),
    ]);
    await first.close();
    await second.close();
    const subscribers = async () => {
      const metrics = await (await gateway.fetch('http://gateway.test/metrics')).text();
      return [...metrics.matchAll(/^mdc_live_subscribers\{field="\w+"\} (\d+)$/gm)].reduce((sum, [, count]) => sum + Number(count), 0);
    };
    await waitUntil('no subscriber left', async () => expect(await subscribers()).toBe(0), 2000);
    const again = await subscribe(gateway, 'subscription { fearGreed { value } }');
    await written(gateway, 'mutation { putFearGreed(fearGreed: { value: 40, classification: "Fear" }) { value } }', {});
    await again.until(1);
    expect(data(again)).toEqual([{ fearGreed: { value: 40 } }]);
  });
});

describe('shutdown', () => {
  it('completes every open stream, instead of holding its connection until the grace period ends', async () => {
    const gateway = await startLiveGateway({}, { HTTP_KEEP_ALIVE_TIMEOUT_MS: '100' });
    const tickers = await subscribeSse((url, init) => fetch(url, init), gateway.url, TICKERS, { symbols: ['BTC/USDT'] });
    open.push(tickers);
    const [, byServer] = await Promise.all([gateway.shutdown(), tickers.completed]);
    // Completed by the server (its `complete` event), not cut when the grace period (5 s) ended.
    expect(byServer).toBe(true);
  });
});
