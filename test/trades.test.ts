import type { Redis } from 'ioredis';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../src/cache/memory-store.js';
import { ADMIN_TOKEN, testGateway, WRITER_TOKEN, type TestGateway } from './support/gateway.js';
import { eachStore, useRedisGateway } from './support/harness.js';
import { useTopologyGateway } from './support/topologies.js';
import { interruptible } from './support/stores.js';

/**
 * Recent trades (issue 11): a log per symbol, newest first, appended to and deduplicated by id
 * (or, without one, by time, price, amount and side), bounded by TRADES_MAX_PER_SYMBOL, its TTL
 * refreshed by each append. Behaviour is checked on both stores; keys and TTLs at the real Redis.
 */
const harness = useRedisGateway();
let probe: Redis;
beforeAll(() => void ({ probe } = harness));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (second: number) => new Date(T0 + second * 1000).toISOString();
interface TradeInput {
  id?: string | null;
  time: string;
  price: number;
  amount: number;
  side?: 'BUY' | 'SELL' | null;
}
/** Trade `n`: id `t<n>`, at second `n`, price 100 + n. */
const trade = (n: number, extra: Partial<TradeInput> = {}): TradeInput => ({ id: `t${n}`, time: at(n), price: 100 + n, amount: 1, side: 'BUY', ...extra });

const TRADE_FIELDS = 'id time price amount side stale';
const PUT_TRADES = `mutation($symbol: MarketSymbol!, $trades: [TradeInput!]!, $ttlSeconds: Int) {
  putTrades(symbol: $symbol, trades: $trades, ttlSeconds: $ttlSeconds) }`;
const TRADES = `query($symbol: MarketSymbol!, $limit: Int, $since: DateTime) {
  trades(symbol: $symbol, limit: $limit, since: $since) { ${TRADE_FIELDS} } }`;

// And on a Redis Cluster, where an index and its entries live in different slots.
const cluster = useTopologyGateway('cluster');
const STORES: Array<[string, (env?: Record<string, string>) => TestGateway]> = [...eachStore(harness), ['a Redis Cluster', (env) => testGateway(cluster.store, env)]];

describe.each(STORES)('trades on %s', (_name, makeGateway) => {
  let gateway: TestGateway;
  beforeEach(() => void (gateway = makeGateway()));
  const put = async (trades: TradeInput[], symbol = 'BTC/USDT', ttlSeconds?: number, target = gateway) => {
    const response = await target.gql(PUT_TRADES, { symbol, trades, ttlSeconds }, WRITER_TOKEN);
    expect(response.errors).toBeUndefined();
    return response.data.putTrades as number;
  };
  const read = async (variables: { symbol?: string; limit?: number; since?: string } = {}, target = gateway) => {
    const response = await target.gql(TRADES, { symbol: 'BTC/USDT', ...variables });
    expect(response.errors).toBeUndefined();
    return response.data.trades as Array<Record<string, unknown>>;
  };
  const idsOf = (trades: Array<Record<string, unknown>>) => trades.map((t) => t['id']);

  it('are served newest first, limited, and bounded inclusively by since', async () => {
    expect(await put([trade(2), trade(0), trade(4), trade(1), trade(3)])).toBe(5);
    expect(idsOf(await read())).toEqual(['t4', 't3', 't2', 't1', 't0']);
    expect(idsOf(await read({ limit: 2 }))).toEqual(['t4', 't3']);
    expect(idsOf(await read({ since: at(2) }))).toEqual(['t4', 't3', 't2']);
    expect(idsOf(await read({ since: at(2), limit: 1 }))).toEqual(['t4']);
    expect(await read({ since: at(5) })).toEqual([]);
  });

  it('are served as they were given, with no side where none was given, and not stale', async () => {
    await put([
      { id: 'a', time: '2026-01-01T00:00:00.250Z', price: 91000.5, amount: 0.125, side: 'SELL' },
      { time: '2026-01-01T00:00:01Z', price: 91001, amount: 0 },
    ]);
    expect(await read()).toEqual([
      { id: null, time: '2026-01-01T00:00:01.000Z', price: 91001, amount: 0, side: null, stale: false },
      { id: 'a', time: '2026-01-01T00:00:00.250Z', price: 91000.5, amount: 0.125, side: 'SELL', stale: false },
    ]);
  });

  it('are appended in time order, whatever order the calls came in', async () => {
    await put([trade(10), trade(12)]);
    await put([trade(11), trade(13), trade(9)]);
    expect(idsOf(await read())).toEqual(['t13', 't12', 't11', 't10', 't9']);
  });

  it('are stored once per id: putTrades returns how many were new, and the first one stays', async () => {
    expect(await put([trade(1), trade(2)])).toBe(2);
    expect(await put([trade(2, { price: 999, amount: 5 }), trade(3)])).toBe(1);
    expect(await put([trade(1), trade(2), trade(3)])).toBe(0);
    const trades = await read();
    expect(idsOf(trades)).toEqual(['t3', 't2', 't1']);
    expect(trades[1]).toMatchObject({ id: 't2', price: 102, amount: 1 });
  });

  it('without an id, are the same trade when time, price, amount and side all match', async () => {
    const base = { time: at(1), price: 100, amount: 1, side: 'BUY' as const };
    expect(await put([base])).toBe(1);
    expect(
      await put([
        base,
        { ...base, side: 'SELL' },
        { ...base, side: null },
        { ...base, amount: 2 },
        { ...base, price: 100.5 },
        { ...base, time: at(2) },
      ]),
    ).toBe(5);
    expect(await read()).toHaveLength(6);
  });

  it('at one time are all kept, each under its own id', async () => {
    expect(await put([trade(1, { id: 'x' }), trade(1, { id: 'y' }), trade(1, { id: 'z' })])).toBe(3);
    expect((idsOf(await read()) as string[]).sort()).toEqual(['x', 'y', 'z']);
  });

  it('are served 100 at a time by default', async () => {
    await put(Array.from({ length: 150 }, (_, i) => trade(i)));
    const trades = await read();
    expect(trades).toHaveLength(100);
    expect(trades[0]!['id']).toBe('t149');
    expect(await read({ limit: 1000 })).toHaveLength(150);
  });

  it('keep at most TRADES_MAX_PER_SYMBOL newest trades, and count only those kept as new', async () => {
    const small = makeGateway({ TRADES_MAX_PER_SYMBOL: '5' });
    expect(await put([0, 1, 2, 3, 4, 5, 6, 7].map((n) => trade(n)), 'BTC/USDT', undefined, small)).toBe(5);
    expect(idsOf(await read({ limit: 1000 }, small))).toEqual(['t7', 't6', 't5', 't4', 't3']);
    // Older than everything kept: not kept, not new.
    expect(await put([trade(1, { id: 'late' })], 'BTC/USDT', undefined, small)).toBe(0);
    // A dropped trade's id is forgotten: sent again, newer, it is stored again.
    expect(await put([trade(8, { id: 't0' })], 'BTC/USDT', undefined, small)).toBe(1);
    expect(idsOf(await read({ limit: 1000 }, small))).toEqual(['t0', 't7', 't6', 't5', 't4']);
  });

  it('keep 1000 per symbol by default', async () => {
    expect(await put(Array.from({ length: 1200 }, (_, i) => trade(i)))).toBe(1000);
    const trades = await read({ limit: 1000 });
    expect(trades).toHaveLength(1000);
    expect(trades.at(-1)!['id']).toBe('t200');
  });

  it('lose nothing when many writers append to one symbol at once', async () => {
    const writers = Array.from({ length: 20 }, (_, w) => put(Array.from({ length: 40 }, (_, i) => trade(w * 40 + i))));
    expect(await Promise.all(writers)).toEqual(Array(20).fill(40));
    expect(await read({ limit: 1000 })).toHaveLength(800);
  });

  it('are counted new once when writers send the same trades at once', async () => {
    const same = Array.from({ length: 50 }, (_, i) => trade(i));
    const counts = await Promise.all(Array.from({ length: 10 }, () => put(same)));
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(50);
    expect(await read({ limit: 1000 })).toHaveLength(50);
  });

  it('belong to their symbol, and an unknown symbol has none', async () => {
    await put([trade(1)], 'BTC/USDT');
    await put([trade(2), trade(3)], 'ETH/USDT');
    expect(idsOf(await read({ symbol: 'ETH/USDT' }))).toEqual(['t3', 't2']);
    expect(idsOf(await read({ symbol: 'BTC/USDT' }))).toEqual(['t1']);
    expect(await read({ symbol: 'NONE/USDT' })).toEqual([]);
  });

  it('expire after their TTL, which each append refreshes', async () => {
    await put([trade(1)], 'BTC/USDT', 2);
    await sleep(1200);
    await put([trade(2)], 'BTC/USDT', 2);
    await sleep(1200);
    // Past the first append's TTL: both are there because the second refreshed it.
    expect(idsOf(await read())).toEqual(['t2', 't1']);
    await sleep(2100);
    expect(await read()).toEqual([]);
  });

  it('invalidateTrades removes a symbol’s trades and their ids, counting 1, and 0 the second time', async () => {
    await put([trade(1), trade(2)], 'BTC/USDT');
    await put([trade(1)], 'ETH/USDT');
    const invalidate = () => gateway.gql(`mutation { invalidateTrades(symbol: "BTC/USDT") { deleted } }`, undefined, ADMIN_TOKEN);
    expect((await invalidate()).data).toEqual({ invalidateTrades: { deleted: 1 } });
    expect((await invalidate()).data).toEqual({ invalidateTrades: { deleted: 0 } });
    expect(await read()).toEqual([]);
    expect(idsOf(await read({ symbol: 'ETH/USDT' }))).toEqual(['t1']);
    // The ids went too: the same trades are new again.
    expect(await put([trade(1), trade(2)], 'BTC/USDT')).toBe(2);
  });

  it('are written only with a writer token and invalidated only with the admin token', async () => {
    const anonymous = await gateway.gql(PUT_TRADES, { symbol: 'BTC/USDT', trades: [trade(1)] });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await read()).toEqual([]);

    await put([trade(1)]);
    const byWriter = await gateway.gql(`mutation { invalidateTrades(symbol: "BTC/USDT") { deleted } }`, undefined, WRITER_TOKEN);
    expect(byWriter.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await read()).toHaveLength(1);
  });
});

describe('trades in Redis', () => {
  const putTo = (gateway: TestGateway, trades: TradeInput[], ttlSeconds?: number) =>
    gateway.gql(PUT_TRADES, { symbol: 'BTC/USDT', trades, ttlSeconds }, WRITER_TOKEN);

  /** Every key of BTC/USDT's trades, with its TTL. */
  async function tradeKeys() {
    const keys = (await probe.keys('*')).filter((key) => key.includes('BTC/USDT'));
    return Promise.all(keys.map(async (key) => ({ key, ttlMs: await probe.pttl(key) })));
  }

  it('are kept under keys in the symbol’s hash tag, each with the TTL of TTL_TRADES_SECONDS (10 s)', async () => {
    expect((await putTo(harness.gateway, [trade(1), trade(2, { id: null })])).data).toEqual({ putTrades: 2 });
    const keys = await tradeKeys();
    expect(keys.length).toBeGreaterThan(0);
    for (const { key, ttlMs } of keys) {
      expect(/\{([^}]*)\}/.exec(key)?.[1], key).toBe('BTC/USDT');
      expect({ key, ttl: ttlMs > 9000 && ttlMs <= 10_000 }).toEqual({ key, ttl: true });
    }
  });

  it('are served stale, as last read, while Redis is unavailable, and never once invalidated', async () => {
    const store = interruptible(harness.store);
    const flaky = testGateway(store);
    // `trades` is non-null: a failed read nulls the whole answer, so each symbol is asked alone.
    const query = (symbol: string) => flaky.gql(`query($s: MarketSymbol!) { trades(symbol: $s) { id stale } }`, { s: symbol });
    for (const symbol of ['A/USDT', 'B/USDT']) {
      await flaky.gql(PUT_TRADES, { symbol, trades: [trade(1), trade(2)], ttlSeconds: 600 }, WRITER_TOKEN);
    }
    expect((await query('A/USDT')).data.trades).toEqual([{ id: 't2', stale: false }, { id: 't1', stale: false }]);
    expect((await query('B/USDT')).data.trades).toHaveLength(2);
    await flaky.gql(`mutation { invalidateTrades(symbol: "B/USDT") { deleted } }`, undefined, ADMIN_TOKEN);

    store.takeDown();
    try {
      expect(await query('A/USDT')).toEqual({ status: 200, data: { trades: [{ id: 't2', stale: true }, { id: 't1', stale: true }] } });
      const invalidated = await query('B/USDT');
      expect(invalidated.data ?? null).toBeNull();
      expect(invalidated.errors).toEqual([expect.objectContaining({ path: ['trades'], extensions: { code: 'CACHE_UNAVAILABLE' } })]);
    } finally {
      store.bringBack();
    }
  });

  // The README's rule for values that cannot be decoded, applied to a log: a corrupt member costs
  // its own trade at most. Planted at the key the layout documents (src/cache/keys.ts).
  const LOG_KEY = 'mdc:v1:trades:{BTC/USDT}';

  it('skip a trade that cannot be decoded, and serve the others', async () => {
    await putTo(harness.gateway, [trade(1), trade(3)]);
    await probe.zadd(LOG_KEY, T0 + 2000, '{"price":"garbage"');
    const response = await harness.gateway.gql(TRADES, { symbol: 'BTC/USDT' });
    expect(response.errors).toBeUndefined();
    expect(response.data.trades.map((t: { id: string }) => t.id)).toEqual(['t3', 't1']);
  });

  it('skip a stored trade at a price of 0, which no write could store, and remove it', async () => {
    await putTo(harness.gateway, [trade(1)]);
    const free = JSON.stringify({ id: 't2', time: new Date(T0 + 2000).toISOString(), price: 0, amount: 1, side: 'buy' });
    await probe.zadd(LOG_KEY, T0 + 2000, free);
    const response = await harness.gateway.gql(TRADES, { symbol: 'BTC/USDT' });
    expect(response.errors).toBeUndefined();
    expect(response.data.trades.map((t: { id: string }) => t.id)).toEqual(['t1']);
    expect(await probe.zscore(LOG_KEY, free)).toBeNull();
  });

  it('still take appends when the oldest trade, dropped past TRADES_MAX_PER_SYMBOL, cannot be decoded', async () => {
    const small = testGateway(harness.store, { TRADES_MAX_PER_SYMBOL: '3' });
    expect((await putTo(small, [trade(1), trade(2), trade(3)])).data).toEqual({ putTrades: 3 });
    await probe.zadd(LOG_KEY, T0, 'not a trade');
    const response = await putTo(small, [trade(4)]);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ putTrades: 1 });
    const read = await small.gql(TRADES, { symbol: 'BTC/USDT' });
    expect(read.data.trades.map((t: { id: string }) => t.id)).toEqual(['t4', 't3', 't2']);
  });

  it('take their TTL from TTL_TRADES_SECONDS, or ttlSeconds, on every key', async () => {
    await putTo(testGateway(harness.store, { TTL_TRADES_SECONDS: '30' }), [trade(1)]);
    for (const { key, ttlMs } of await tradeKeys()) expect({ key, ttl: ttlMs > 29_000 && ttlMs <= 30_000 }).toEqual({ key, ttl: true });
    await putTo(harness.gateway, [trade(2)], 600);
    for (const { key, ttlMs } of await tradeKeys()) expect({ key, ttl: ttlMs > 599_000 && ttlMs <= 600_000 }).toEqual({ key, ttl: true });
  });
});

describe('the read cost of trades', () => {
  it('counts each trades field by its limit: 11 aliases of limit 1000 are refused before any read, 10 are served', async () => {
    const gateway = testGateway(createMemoryStore());
    const aliases = (n: number) => Array.from({ length: n }, (_, i) => `t${i}: trades(symbol: "BTC/USDT", limit: 1000) { price }`).join(' ');
    const refused = await gateway.gql(`{ ${aliases(11)} }`);
    expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['OPERATION_TOO_COMPLEX']);
    expect(refused.errors![0]!.message).toBe('read cost: expected at most 10000 (MAX_READ_COST), received 11000');
    const served = await gateway.gql(`{ ${aliases(10)} }`);
    expect(served.errors).toBeUndefined();
  });
});
