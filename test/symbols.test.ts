import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisStore } from '../src/cache/redis-store.js';
import { ADMIN_TOKEN, testGateway, WRITER_TOKEN, type GraphQLResponse, type TestGateway } from './support/gateway.js';
import { eachStore, useRedisGateway } from './support/harness.js';
import { useTopologyGateway } from './support/topologies.js';
import { commandsDuring } from './support/redis-server.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

/**
 * What is cached now (issue 11): `symbols` lists each symbol with its kinds and bar timeframes,
 * from an index the writes and invalidations keep true, never from a walk of the keyspace.
 * `putTickers` writes many tickers in one round trip; `invalidateKind` removes a kind. Behaviour is
 * checked on both stores; command counts and round trips at the real Redis.
 */
const harness = useRedisGateway();
let probe: Redis;
beforeAll(() => void ({ probe } = harness));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SYMBOL_KINDS = ['TICKER', 'FUNDING_RATE', 'BARS', 'ORDER_BOOK', 'TRADES'] as const;
type SymbolKind = (typeof SYMBOL_KINDS)[number];
const TIMEFRAME_ORDER = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1M'];

const SYMBOLS = `query($kind: CacheKind) { symbols(kind: $kind) { symbol kinds timeframes } }`;
const PUT_TICKERS = `mutation($tickers: [TickerInput!]!, $ttlSeconds: Int) { putTickers(tickers: $tickers, ttlSeconds: $ttlSeconds) }`;
const BAR = { openTime: '2026-01-01T00:00:00Z', open: 100, high: 110, low: 90, close: 105, volume: 3.5 };

/** One write of each kind, for `symbol` (bars at `timeframe`), with `ttlSeconds`. */
const WRITES: Record<SymbolKind, (symbol: string, ttlSeconds: number, timeframe?: string) => [string, Record<string, unknown>]> = {
  TICKER: (symbol, ttlSeconds) => [
    `mutation($s: MarketSymbol!, $ttl: Int) { putTicker(ticker: { symbol: $s, last: 1 }, ttlSeconds: $ttl) { last } }`,
    { s: symbol, ttl: ttlSeconds },
  ],
  FUNDING_RATE: (symbol, ttlSeconds) => [
    `mutation($s: MarketSymbol!, $ttl: Int) { putFundingRate(fundingRate: { symbol: $s, rate: 0.0001 }, ttlSeconds: $ttl) { rate } }`,
    { s: symbol, ttl: ttlSeconds },
  ],
  BARS: (symbol, ttlSeconds, timeframe = '1h') => [
    `mutation($s: MarketSymbol!, $tf: Timeframe!, $b: [BarInput!]!, $ttl: Int) { putBars(symbol: $s, timeframe: $tf, bars: $b, ttlSeconds: $ttl) }`,
    { s: symbol, tf: timeframe, b: [BAR], ttl: ttlSeconds },
  ],
  ORDER_BOOK: (symbol, ttlSeconds) => [
    `mutation($s: MarketSymbol!, $ttl: Int) { putOrderBook(orderBook: { symbol: $s, bids: [{ price: 1, amount: 1 }], asks: [{ price: 2, amount: 1 }] }, ttlSeconds: $ttl) { symbol } }`,
    { s: symbol, ttl: ttlSeconds },
  ],
  TRADES: (symbol, ttlSeconds) => [
    `mutation($s: MarketSymbol!, $ttl: Int) { putTrades(symbol: $s, trades: [{ id: "1", time: "2026-01-01T00:00:00Z", price: 1, amount: 1 }], ttlSeconds: $ttl) }`,
    { s: symbol, ttl: ttlSeconds },
  ],
};

interface CachedSymbol {
  symbol: string;
  kinds: string[];
  timeframes: string[];
}

// And on a Redis Cluster, where an index and its entries live in different slots.
const cluster = useTopologyGateway('cluster');
const STORES: Array<[string, (env?: Record<string, string>) => TestGateway]> = [...eachStore(harness), ['a Redis Cluster', (env) => testGateway(cluster.store, env)]];

describe.each(STORES)('on %s', (_name, makeGateway) => {
  let gateway: TestGateway;
  beforeEach(() => void (gateway = makeGateway()));

  async function ok(response: Promise<GraphQLResponse>) {
    const answer = await response;
    expect(answer.errors).toBeUndefined();
    return answer.data;
  }
  const write = (query: string, variables?: Record<string, unknown>) => ok(gateway.gql(query, variables, WRITER_TOKEN));
  const admin = (query: string, variables?: Record<string, unknown>) => ok(gateway.gql(query, variables, ADMIN_TOKEN));
  const deleted = async (mutation: string) => Object.values((await admin(mutation)) as Record<string, { deleted: number }>)[0]!.deleted;
  const put = (kind: SymbolKind, symbol: string, { ttlSeconds = 600, timeframe }: { ttlSeconds?: number; timeframe?: string } = {}) =>
    write(...WRITES[kind](symbol, ttlSeconds, timeframe));
  const symbols = async (kind?: string) => (await ok(gateway.gql(SYMBOLS, { kind }))).symbols as CachedSymbol[];
  const listed = async (kind?: string) => (await symbols(kind)).map((entry) => entry.symbol);

  /** Every kind for `symbol`, bars at 1h and 1d: 6 entries. */
  async function fillSymbol(symbol: string) {
    for (const kind of SYMBOL_KINDS) await put(kind, symbol);
    await put('BARS', symbol, { timeframe: '1d' });
  }
  async function fillOthers() {
    await write(`mutation { putFearGreed(fearGreed: { value: 50, classification: "Neutral" }) { value } }`);
    await write(`mutation { putLlmAnalysis(analysisType: "sentiment", input: "BTC", result: { score: 1 }) { inputHash } }`);
  }
  /** Which kinds a read of `symbol` (and of the symbol-less kinds) finds. */
  async function readable(symbol: string) {
    const data = await ok(
      gateway.gql(
        `query($s: MarketSymbol!) {
          ticker(symbol: $s) { last } fundingRate(symbol: $s) { rate } h: bars(symbol: $s, timeframe: "1h") { close }
          d: bars(symbol: $s, timeframe: "1d") { close } orderBook(symbol: $s) { symbol } trades(symbol: $s) { price }
          fearGreed { value } llmAnalysis(analysisType: "sentiment", input: "BTC") { inputHash } }`,
        { s: symbol },
      ),
    );
    return {
      TICKER: data.ticker !== null,
      FUNDING_RATE: data.fundingRate !== null,
      BARS: [data.h.length > 0, data.d.length > 0],
      ORDER_BOOK: data.orderBook !== null,
      TRADES: data.trades.length > 0,
      FEAR_GREED: data.fearGreed !== null,
      LLM_ANALYSIS: data.llmAnalysis !== null,
    };
  }
  const ALL_READABLE = { TICKER: true, FUNDING_RATE: true, BARS: [true, true], ORDER_BOOK: true, TRADES: true, FEAR_GREED: true, LLM_ANALYSIS: true };

  describe('symbols', () => {
    it('lists nothing for an empty cache', async () => {
      expect(await symbols()).toEqual([]);
    });

    it('lists each cached symbol once, sorted, its kinds in the order of CacheKind and its timeframes in timeframe order', async () => {
      for (const timeframe of ['1d', '1m', '4h', '1M', '15m', '1w']) await put('BARS', 'ETH/USDT', { timeframe });
      await put('TRADES', 'ETH/USDT');
      await put('TICKER', 'ETH/USDT');
      await put('ORDER_BOOK', 'BTC/USDT');
      await put('FUNDING_RATE', 'BTC/USDT');
      await put('TICKER', 'BTC/USDT');
      await put('BARS', 'ADA/USDT', { timeframe: '1h' });
      await put('TICKER', 'BTC/USDT'); // written twice, listed once
      await fillOthers();

      expect(await symbols()).toEqual([
        { symbol: 'ADA/USDT', kinds: ['BARS'], timeframes: ['1h'] },
        { symbol: 'BTC/USDT', kinds: ['TICKER', 'FUNDING_RATE', 'ORDER_BOOK'], timeframes: [] },
        { symbol: 'ETH/USDT', kinds: ['TICKER', 'BARS', 'TRADES'], timeframes: ['1m', '15m', '4h', '1d', '1w', '1M'] },
      ]);
    });

    it('lists every timeframe in order once each has bars', async () => {
      for (const timeframe of [...TIMEFRAME_ORDER].reverse()) await put('BARS', 'BTC/USDT', { timeframe });
      expect(await symbols()).toEqual([{ symbol: 'BTC/USDT', kinds: ['BARS'], timeframes: TIMEFRAME_ORDER }]);
    });

    it('filters by kind to the symbols having it, and lists none for FEAR_GREED and LLM_ANALYSIS', async () => {
      await put('BARS', 'ETH/USDT');
      await put('TICKER', 'ETH/USDT');
      await put('ORDER_BOOK', 'BTC/USDT');
      await put('TICKER', 'BTC/USDT');
      await put('BARS', 'ADA/USDT');
      await put('TRADES', 'SOL/USDT');
      await put('FUNDING_RATE', 'SOL/USDT:USDT');
      await fillOthers();

      expect(await listed('TICKER')).toEqual(['BTC/USDT', 'ETH/USDT']);
      expect(await listed('BARS')).toEqual(['ADA/USDT', 'ETH/USDT']);
      expect(await listed('ORDER_BOOK')).toEqual(['BTC/USDT']);
      expect(await listed('TRADES')).toEqual(['SOL/USDT']);
      expect(await listed('FUNDING_RATE')).toEqual(['SOL/USDT:USDT']);
      expect(await symbols('FEAR_GREED')).toEqual([]);
      expect(await symbols('LLM_ANALYSIS')).toEqual([]);
      for (const kind of SYMBOL_KINDS) {
        for (const entry of await symbols(kind)) expect(entry.kinds).toContain(kind);
      }
    });

    it('does not list a symbol whose entries have all expired, nor a kind or a timeframe that expired', async () => {
      await put('TICKER', 'XRP/USDT', { ttlSeconds: 1 });
      await put('TRADES', 'XRP/USDT', { ttlSeconds: 1 });
      await put('TICKER', 'BTC/USDT', { ttlSeconds: 1 });
      await put('ORDER_BOOK', 'BTC/USDT', { ttlSeconds: 600 });
      await put('BARS', 'BTC/USDT', { timeframe: '1h', ttlSeconds: 1 });
      await put('BARS', 'BTC/USDT', { timeframe: '1d', ttlSeconds: 600 });
      expect(await listed()).toEqual(['BTC/USDT', 'XRP/USDT']);

      await sleep(1200);
      expect(await symbols()).toEqual([{ symbol: 'BTC/USDT', kinds: ['BARS', 'ORDER_BOOK'], timeframes: ['1d'] }]);
      expect(await symbols('TICKER')).toEqual([]);
    });

    it("follows each write's TTL, a shorter one as much as a longer one", async () => {
      await put('TICKER', 'BTC/USDT', { ttlSeconds: 600 });
      await put('TICKER', 'BTC/USDT', { ttlSeconds: 1 });
      await put('TICKER', 'ETH/USDT', { ttlSeconds: 1 });
      await put('TICKER', 'ETH/USDT', { ttlSeconds: 600 });
      await put('BARS', 'SOL/USDT', { ttlSeconds: 1 });
      await put('BARS', 'SOL/USDT', { ttlSeconds: 600 }); // a bar write refreshes its series' TTL
      await sleep(1200);
      expect(await listed()).toEqual(['ETH/USDT', 'SOL/USDT']);
    });

    it('lists what putTickers wrote', async () => {
      await write(PUT_TICKERS, { tickers: ['SOL/USDT', 'BTC/USDT'].map((symbol) => ({ symbol, last: 1 })) });
      expect(await symbols()).toEqual([
        { symbol: 'BTC/USDT', kinds: ['TICKER'], timeframes: [] },
        { symbol: 'SOL/USDT', kinds: ['TICKER'], timeframes: [] },
      ]);
    });
  });

  describe('putTickers', () => {
    const TICKERS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'].map((symbol, i) => ({ symbol, last: 100 + i, volume24h: i }));
    const read = async () =>
      (await ok(gateway.gql(`{ tickers(symbols: ["BTC/USDT", "ETH/USDT", "SOL/USDT"]) { symbol last volume24h cachedAt expiresAt } }`))).tickers;

    it('stores every ticker with the ticker TTL and returns how many it stored', async () => {
      expect(await write(PUT_TICKERS, { tickers: TICKERS })).toEqual({ putTickers: 3 });
      const tickers = await read();
      expect(tickers).toMatchObject(TICKERS);
      for (const ticker of tickers) expect(Date.parse(ticker.expiresAt) - Date.parse(ticker.cachedAt)).toBe(10_000);

      expect(await write(PUT_TICKERS, { tickers: TICKERS.map((t) => ({ ...t, last: t.last + 1 })), ttlSeconds: 3600 })).toEqual({ putTickers: 3 });
      const rewritten = await read();
      expect(rewritten.map((t: { last: number }) => t.last)).toEqual([101, 102, 103]);
      for (const ticker of rewritten) expect(Date.parse(ticker.expiresAt) - Date.parse(ticker.cachedAt)).toBe(3_600_000);
    });

    it('stores none of them when one is bad', async () => {
      const response = await gateway.gql(PUT_TICKERS, { tickers: [TICKERS[0], TICKERS[1], { ...TICKERS[2], high24h: 1, low24h: 2 }] }, WRITER_TOKEN);
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(await read()).toEqual([null, null, null]);
      expect(await symbols()).toEqual([]);
    });

    it('needs a writer token', async () => {
      const response = await gateway.gql(PUT_TICKERS, { tickers: TICKERS });
      expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(await read()).toEqual([null, null, null]);
    });
  });

  describe('invalidation keeps symbols true', () => {
    it('invalidateSymbol removes the symbol’s order book and trades with the rest, counting each entry once', async () => {
      await fillSymbol('BTC/USDT');
      await fillSymbol('ETH/USDT');
      // A ticker, a funding rate, two bar series, an order book and the trades.
      expect(await deleted(`mutation { invalidateSymbol(symbol: "BTC/USDT") { deleted } }`)).toBe(6);
      expect(await readable('BTC/USDT')).toMatchObject({ TICKER: false, FUNDING_RATE: false, BARS: [false, false], ORDER_BOOK: false, TRADES: false });
      expect(await readable('ETH/USDT')).toMatchObject({ TICKER: true, FUNDING_RATE: true, BARS: [true, true], ORDER_BOOK: true, TRADES: true });
      expect(await listed()).toEqual(['ETH/USDT']);
      // The trades' ids went too: the same trade is new again.
      expect(await write(...WRITES.TRADES('BTC/USDT', 600))).toEqual({ putTrades: 1 });
    });

    it('invalidateAll empties symbols, counting each entry once', async () => {
      await fillSymbol('BTC/USDT');
      await fillSymbol('ETH/USDT');
      await fillOthers();
      expect(await deleted(`mutation { invalidateAll { deleted } }`)).toBe(14);
      expect(await symbols()).toEqual([]);
      for (const kind of SYMBOL_KINDS) expect(await symbols(kind)).toEqual([]);
      expect(await readable('BTC/USDT')).toEqual({
        TICKER: false, FUNDING_RATE: false, BARS: [false, false], ORDER_BOOK: false, TRADES: false, FEAR_GREED: false, LLM_ANALYSIS: false,
      });
      // Written again after, a symbol is listed again.
      await put('TICKER', 'BTC/USDT');
      expect(await listed()).toEqual(['BTC/USDT']);
    });

    it.each([
      ['TICKER', 2],
      ['FUNDING_RATE', 2],
      ['BARS', 4],
      ['ORDER_BOOK', 2],
      ['TRADES', 2],
    ] as const)('invalidateKind(%s) removes that kind of every symbol (%i entries), and symbols no longer lists it', async (kind, count) => {
      await fillSymbol('BTC/USDT');
      await fillSymbol('ETH/USDT');
      await fillOthers();
      expect(await deleted(`mutation { invalidateKind(kind: ${kind}) { deleted } }`)).toBe(count);

      expect(await symbols(kind)).toEqual([]);
      const others = SYMBOL_KINDS.filter((k) => k !== kind);
      const timeframes = kind === 'BARS' ? [] : ['1h', '1d'];
      expect(await symbols()).toEqual(['BTC/USDT', 'ETH/USDT'].map((symbol) => ({ symbol, kinds: others, timeframes })));
      const gone = kind === 'BARS' ? [false, false] : false;
      for (const symbol of ['BTC/USDT', 'ETH/USDT']) expect(await readable(symbol)).toEqual({ ...ALL_READABLE, [kind]: gone });
      expect(await deleted(`mutation { invalidateKind(kind: ${kind}) { deleted } }`)).toBe(0);
    });

    it.each(['FEAR_GREED', 'LLM_ANALYSIS'] as const)('invalidateKind(%s) removes it and leaves every symbol listed', async (kind) => {
      await fillSymbol('BTC/USDT');
      await fillOthers();
      expect(await deleted(`mutation { invalidateKind(kind: ${kind}) { deleted } }`)).toBe(1);
      expect(await readable('BTC/USDT')).toEqual({ ...ALL_READABLE, [kind]: false });
      expect(await symbols()).toEqual([{ symbol: 'BTC/USDT', kinds: [...SYMBOL_KINDS], timeframes: ['1h', '1d'] }]);
    });

    it('invalidateKind(TRADES) forgets the ids of the trades it removed', async () => {
      await put('TRADES', 'BTC/USDT');
      await admin(`mutation { invalidateKind(kind: TRADES) { deleted } }`);
      expect(await write(...WRITES.TRADES('BTC/USDT', 600))).toEqual({ putTrades: 1 });
    });

    it('each invalidation of one kind of one symbol takes that kind (or timeframe) out of symbols', async () => {
      await fillSymbol('BTC/USDT');
      await put('TICKER', 'ETH/USDT');
      const steps: Array<[string, CachedSymbol | undefined]> = [
        [`invalidateTicker(symbol: "BTC/USDT")`, { symbol: 'BTC/USDT', kinds: ['FUNDING_RATE', 'BARS', 'ORDER_BOOK', 'TRADES'], timeframes: ['1h', '1d'] }],
        [`invalidateBars(symbol: "BTC/USDT", timeframe: "1h")`, { symbol: 'BTC/USDT', kinds: ['FUNDING_RATE', 'BARS', 'ORDER_BOOK', 'TRADES'], timeframes: ['1d'] }],
        [`invalidateFundingRate(symbol: "BTC/USDT")`, { symbol: 'BTC/USDT', kinds: ['BARS', 'ORDER_BOOK', 'TRADES'], timeframes: ['1d'] }],
        [`invalidateOrderBook(symbol: "BTC/USDT")`, { symbol: 'BTC/USDT', kinds: ['BARS', 'TRADES'], timeframes: ['1d'] }],
        [`invalidateBars(symbol: "BTC/USDT")`, { symbol: 'BTC/USDT', kinds: ['TRADES'], timeframes: [] }],
        [`invalidateTrades(symbol: "BTC/USDT")`, undefined],
      ];
      for (const [mutation, btc] of steps) {
        expect({ mutation, deleted: await deleted(`mutation { ${mutation} { deleted } }`) }).toEqual({ mutation, deleted: 1 });
        const expected = [...(btc ? [btc] : []), { symbol: 'ETH/USDT', kinds: ['TICKER'], timeframes: [] }];
        expect({ mutation, symbols: await symbols() }).toEqual({ mutation, symbols: expected });
      }
    });

    it('invalidateKind needs the admin token', async () => {
      await put('TICKER', 'BTC/USDT');
      const response = await gateway.gql(`mutation { invalidateKind(kind: TICKER) { deleted } }`, undefined, WRITER_TOKEN);
      expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(await listed()).toEqual(['BTC/USDT']);
    });
  });
});

describe('on Redis', () => {
  let gateway: TestGateway;
  beforeAll(() => void (gateway = harness.gateway));
  const write = async (query: string, variables?: Record<string, unknown>) => {
    const response = await gateway.gql(query, variables, WRITER_TOKEN);
    expect(response.errors).toBeUndefined();
  };

  /** `count` symbols from `from` on, each with a ticker and 1h bars, 50 aliased writes a request. */
  async function fillMany(from: number, count: number) {
    const names = Array.from({ length: count }, (_, i) => `S${String(from + i).padStart(3, '0')}/USDT`);
    for (let i = 0; i < names.length; i += 50) {
      const batch = names.slice(i, i + 50);
      await write(`mutation { ${batch.map((s, j) => `t${j}: putTicker(ticker: { symbol: "${s}", last: 1 }, ttlSeconds: 600) { last }`).join(' ')} }`);
      await write(
        `mutation($b: [BarInput!]!) { ${batch.map((s, j) => `b${j}: putBars(symbol: "${s}", timeframe: "1h", bars: $b, ttlSeconds: 600)`).join(' ')} }`,
        { b: [BAR] },
      );
    }
  }

  /** The commands one `symbols` read costs, once its scripts (if any) are loaded. */
  async function symbolsCommands() {
    await gateway.gql(SYMBOLS, {});
    let response!: GraphQLResponse;
    const commands = await commandsDuring(probe, async () => void (response = await gateway.gql(SYMBOLS, {})));
    return { commands, listed: (response.data?.symbols as CachedSymbol[] | undefined)?.length };
  }

  it('symbols costs the same few commands with 1 or 200 symbols cached, and never KEYS or SCAN', async () => {
    await fillMany(0, 1);
    for (const kind of ['ORDER_BOOK', 'TRADES', 'FUNDING_RATE'] as const) await write(...WRITES[kind]('S000/USDT', 600));
    const one = await symbolsCommands();
    expect(one.listed).toBe(1);

    await fillMany(1, 199);
    const many = await symbolsCommands();
    expect(many.listed).toBe(200);

    expect(many.commands).toEqual(one.commands);
    for (const command of ['keys', 'scan', 'type', 'exists', 'get', 'pttl', 'ttl']) expect(many.commands).not.toHaveProperty(command);
    const total = Object.values(many.commands).reduce((sum, n) => sum + n, 0);
    expect(total).toBeLessThanOrEqual(20);
  });

  it("invalidateKind removes only this gateway's keys of that kind", async () => {
    await write(...WRITES.TICKER('BTC/USDT', 600));
    await write(...WRITES.BARS('BTC/USDT', 600));
    await probe.set('other-app:ticker:{BTC/USDT}', 'keep me');
    await probe.set('mdc:v2:ticker:{BTC/USDT}', 'another version: keep me');
    await probe.set('mdcx:v1:ticker:{BTC/USDT}', 'a look-alike namespace: keep me');
    const response = await gateway.gql(`mutation { invalidateKind(kind: TICKER) { deleted } }`, undefined, ADMIN_TOKEN);
    expect(response.data).toEqual({ invalidateKind: { deleted: 1 } });
    expect(await probe.mget('other-app:ticker:{BTC/USDT}', 'mdc:v2:ticker:{BTC/USDT}', 'mdcx:v1:ticker:{BTC/USDT}')).toEqual([
      'keep me',
      'another version: keep me',
      'a look-alike namespace: keep me',
    ]);
    expect((await gateway.gql(`{ bars(symbol: "BTC/USDT", timeframe: "1h") { close } }`)).data.bars).toHaveLength(1);
  });

  describe('through a proxy that counts round trips', () => {
    let proxy: TcpProxy;
    let client: Redis;
    let counted: TestGateway;
    beforeAll(async () => {
      proxy = await startTcpProxy(harness.server.port);
      client = new Redis(proxy.url, { maxRetriesPerRequest: 1 });
      await client.ping();
      counted = testGateway(createRedisStore({ redis: client, readTimeoutMs: 10_000, readMaxMs: 20_000, writeTimeoutMs: 10_000 }));
    });
    afterAll(async () => {
      client?.disconnect();
      await proxy?.close();
    });

    const tickers = (count: number, last: number) => Array.from({ length: count }, (_, i) => ({ symbol: `S${i}/USDT`, last, volume24h: i }));
    /** The round trips to Redis one putTickers of `count` tickers made. */
    async function roundTripsOfPut(count: number, last: number) {
      const before = proxy.roundTrips();
      const response = await counted.gql(PUT_TICKERS, { tickers: tickers(count, last) }, WRITER_TOKEN);
      expect(response.data).toEqual({ putTickers: count });
      return proxy.roundTrips() - before;
    }

    it('putTickers costs one round trip to Redis, for 1 ticker or 500', async () => {
      await roundTripsOfPut(500, 1); // loads any script the write uses, so that loading it is not counted
      const roundTrips = { one: await roundTripsOfPut(1, 2), many: await roundTripsOfPut(500, 5) };
      expect(roundTrips).toEqual({ one: 1, many: 1 });
      expect(await probe.mget('mdc:v1:ticker:{S0/USDT}', 'mdc:v1:ticker:{S499/USDT}')).toEqual([
        expect.stringContaining('"last":5'),
        expect.stringContaining('"last":5'),
      ]);
    });
  });
});
