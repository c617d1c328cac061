import { beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '../src/cache/redis-client.js';
import { createHash } from 'node:crypto';
import { createRedisStore } from '../src/cache/redis-store.js';
import { ADMIN_TOKEN, testGateway, WRITER_TOKEN, type TestGateway } from './support/gateway.js';
import { TOPOLOGIES, useTopologyGateway } from './support/topologies.js';
import { DEFAULTS } from '../src/defaults.js';

// Every behaviour here holds on each Redis topology: one server, a 3-master cluster with a replica
// each, and a master found through Sentinel.
describe.each(TOPOLOGIES)('on %s Redis', (topology) => {
  const harness = useTopologyGateway(topology);
  let redis: RedisClient;
  let gateway: TestGateway;
  beforeAll(() => void ({ redis, gateway } = harness));
  /**
   * The symbols indexes of these kinds; on a cluster each with its `:seen` hash, which orders the
   * index updates that reach it from other masters (see src/cache/redis-scripts.ts).
   */
  const indexKeys = (kinds: string[]) => kinds.flatMap((kind) => [`mdc:v1:index:{${kind}}`, ...(topology === 'cluster' ? [`mdc:v1:index:{${kind}}:seen`] : [])]);

  const write = (query: string, variables?: Record<string, unknown>) => gateway.gql(query, variables, WRITER_TOKEN);
  const admin = (query: string, variables?: Record<string, unknown>) => gateway.gql(query, variables, ADMIN_TOKEN);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const HOUR = 3_600_000;
  const T0 = Date.parse('2026-01-01T00:00:00Z');
  const bar = (hour: number, close = 100 + hour) => ({
    openTime: new Date(T0 + hour * HOUR).toISOString(),
    open: close - 1,
    high: close + 2,
    low: close - 2,
    close,
    volume: 10 + hour,
  });
  const PUT_BARS = `mutation($symbol: MarketSymbol!, $timeframe: Timeframe!, $bars: [BarInput!]!, $ttlSeconds: Int) {
    putBars(symbol: $symbol, timeframe: $timeframe, bars: $bars, ttlSeconds: $ttlSeconds) }`;
  const BARS = `query($symbol: MarketSymbol!, $timeframe: Timeframe!, $limit: Int, $since: DateTime, $until: DateTime) {
    bars(symbol: $symbol, timeframe: $timeframe, limit: $limit, since: $since, until: $until) { openTime close }
    latestBar(symbol: $symbol, timeframe: $timeframe) { symbol timeframe openTime open high low close volume } }`;
  const TICKER_FIELDS = 'symbol last bid ask high24h low24h volume24h changePercent24h time cachedAt expiresAt';
  const putTicker = (symbol: string, last: number, ttlSeconds?: number) =>
    write(`mutation($t: TickerInput!, $ttl: Int) { putTicker(ticker: $t, ttlSeconds: $ttl) { ${TICKER_FIELDS} } }`, {
      t: { symbol, last },
      ttl: ttlSeconds,
    });

  describe('bars', () => {
    it('are served newest first, limited, and bounded inclusively by since and until', async () => {
      expect((await write(PUT_BARS, { symbol: 'BTC/USDT', timeframe: '1h', bars: [0, 1, 2, 3, 4].map((h) => bar(h)) })).data).toEqual({ putBars: 5 });

      const all = await gateway.gql(BARS, { symbol: 'BTC/USDT', timeframe: '1h' });
      expect(all.data.bars.map((b: { close: number }) => b.close)).toEqual([104, 103, 102, 101, 100]);
      expect(all.data.latestBar).toEqual({ symbol: 'BTC/USDT', timeframe: '1h', ...bar(4) });

      const window = await gateway.gql(BARS, { symbol: 'BTC/USDT', timeframe: '1h', since: bar(1).openTime, until: bar(3).openTime, limit: 2 });
      expect(window.data.bars.map((b: { close: number }) => b.close)).toEqual([103, 102]);
    });

    it('miss as an empty list and a null latest bar, not an error', async () => {
      const response = await gateway.gql(BARS, { symbol: 'NOPE/USDT', timeframe: '1d' });
      expect(response).toEqual({ status: 200, data: { bars: [], latestBar: null } });
    });

    it('are upserted by open time: a bar written twice is stored once, the last write winning', async () => {
      await write(PUT_BARS, { symbol: 'BTC/USDT', timeframe: '1h', bars: [bar(0), bar(1)] });
      const second = await write(PUT_BARS, { symbol: 'BTC/USDT', timeframe: '1h', bars: [bar(1, 150), bar(1, 160), bar(2)] });
      expect(second.data).toEqual({ putBars: 2 });
      const { data } = await gateway.gql(BARS, { symbol: 'BTC/USDT', timeframe: '1h' });
      expect(data.bars.map((b: { close: number }) => b.close)).toEqual([102, 160, 100]);
      expect(await redis.zcard('mdc:v1:bars:{BTC/USDT}:1h')).toBe(3);
    });

    it('are stored all or none: one bad bar rejects the whole call', async () => {
      await write(PUT_BARS, { symbol: 'BTC/USDT', timeframe: '1h', bars: [bar(0)] });
      const bad = { ...bar(2), high: 1, low: 5 };
      const response = await write(PUT_BARS, { symbol: 'BTC/USDT', timeframe: '1h', bars: [bar(1), bad, bar(3)] });
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(await redis.zrange('mdc:v1:bars:{BTC/USDT}:1h', 0, -1)).toHaveLength(1);
    });

    it('are stored all or none when Redis refuses the write', async () => {
      // A foreign value of the wrong type under the series key makes the script fail on its first ZADD.
      await redis.set('mdc:v1:bars:{BTC/USDT}:1h', 'not a series');
      const response = await write(PUT_BARS, { symbol: 'BTC/USDT', timeframe: '1h', bars: [bar(0), bar(1)] });
      expect(response.errors).toHaveLength(1);
      expect(await redis.get('mdc:v1:bars:{BTC/USDT}:1h')).toBe('not a series');
      expect(await redis.exists('mdc:v1:bars:{BTC/USDT}:1h:latest')).toBe(0);
    });

    it('lose nothing when many writers write one series at once', async () => {
      const writers = Array.from({ length: 20 }, (_, w) =>
        write(PUT_BARS, { symbol: 'ETH/USDT', timeframe: '5m', bars: Array.from({ length: 50 }, (_, i) => bar(w * 50 + i)) }),
      );
      const results = await Promise.all(writers);
      expect(results.map((r) => r.data?.putBars)).toEqual(Array(20).fill(50));
      expect(await redis.zcard('mdc:v1:bars:{ETH/USDT}:5m')).toBe(1000);
      const { data } = await gateway.gql(BARS, { symbol: 'ETH/USDT', timeframe: '5m', limit: 1 });
      expect(data.latestBar.openTime).toBe(new Date(T0 + 999 * HOUR).toISOString());
    });

    it('keep at most BARS_MAX_PER_SERIES newest bars per series', async () => {
      const small = testGateway(createRedisStore({ redis }), { BARS_MAX_PER_SERIES: '10' });
      const response = await small.gql(PUT_BARS, { symbol: 'SOL/USDT', timeframe: '1m', bars: Array.from({ length: 15 }, (_, h) => bar(h)) }, WRITER_TOKEN);
      expect(response.data).toEqual({ putBars: 10 });
      const { data } = await small.gql(BARS, { symbol: 'SOL/USDT', timeframe: '1m', limit: 5000 });
      expect(data.bars).toHaveLength(10);
      expect(data.bars.at(-1).close).toBe(105);
    });
  });

  describe('point values', () => {
    it('put* return exactly what a following read returns', async () => {
      const input = { symbol: 'BTC/USDT', last: 91000.5, bid: 91000, ask: 91001, high24h: 92000, low24h: 89000, volume24h: 1234.5, changePercent24h: -1.25, time: '2026-01-01T00:00:00.000Z' };
      const put = await write(`mutation($t: TickerInput!) { putTicker(ticker: $t) { ${TICKER_FIELDS} } }`, { t: input });
      const read = await gateway.gql(`{ ticker(symbol: "BTC/USDT") { ${TICKER_FIELDS} } }`);
      expect(put.data.putTicker).toMatchObject(input);
      expect(read.data.ticker).toEqual(put.data.putTicker);

      const funding = await write(`mutation { putFundingRate(fundingRate: { symbol: "BTC/USDT:USDT", rate: 0.0001, nextFundingTime: "2026-01-01T08:00:00Z" }) { symbol rate nextFundingTime time cachedAt expiresAt } }`);
      const fundingRead = await gateway.gql(`{ fundingRate(symbol: "BTC/USDT:USDT") { symbol rate nextFundingTime time cachedAt expiresAt } }`);
      expect(fundingRead.data.fundingRate).toEqual(funding.data.putFundingRate);
      expect(funding.data.putFundingRate).toMatchObject({ rate: 0.0001, nextFundingTime: '2026-01-01T08:00:00.000Z' });

      const fear = await write(`mutation { putFearGreed(fearGreed: { value: 23, classification: "Extreme Fear" }) { value classification time cachedAt expiresAt } }`);
      const fearRead = await gateway.gql(`{ fearGreed { value classification time cachedAt expiresAt } }`);
      expect(fearRead.data.fearGreed).toEqual(fear.data.putFearGreed);
    });

    it('carry their write time and expiry, which follow the kind default TTL or ttlSeconds', async () => {
      const before = Date.now();
      const { data } = await putTicker('BTC/USDT', 1);
      const cachedAt = Date.parse(data.putTicker.cachedAt);
      expect(cachedAt).toBeGreaterThanOrEqual(before - 5);
      expect(Date.parse(data.putTicker.expiresAt) - cachedAt).toBe(DEFAULTS.ttlSeconds.ticker * 1000);
      expect(await redis.pttl('mdc:v1:ticker:{BTC/USDT}')).toBeGreaterThan(DEFAULTS.ttlSeconds.ticker * 1000 - 1000);

      const custom = await putTicker('ETH/USDT', 1, 3600);
      expect(Date.parse(custom.data.putTicker.expiresAt) - Date.parse(custom.data.putTicker.cachedAt)).toBe(3_600_000);
      expect(await redis.pttl('mdc:v1:ticker:{ETH/USDT}')).toBeGreaterThan(3_590_000);
    });

    it('expire after their TTL', async () => {
      await putTicker('BTC/USDT', 1, 1);
      expect((await gateway.gql(`{ ticker(symbol: "BTC/USDT") { last } }`)).data.ticker).toEqual({ last: 1 });
      await sleep(1_100);
      expect((await gateway.gql(`{ ticker(symbol: "BTC/USDT") { last } }`)).data.ticker).toBeNull();
    });

    it('tickers answer one entry per symbol, in order, null where nothing is cached', async () => {
      await putTicker('BTC/USDT', 1);
      await putTicker('SOL/USDT', 3);
      const { data } = await gateway.gql(`{ tickers(symbols: ["SOL/USDT", "NONE/USDT", "BTC/USDT", "SOL/USDT"]) { symbol last } }`);
      expect(data.tickers).toEqual([{ symbol: 'SOL/USDT', last: 3 }, null, { symbol: 'BTC/USDT', last: 1 }, { symbol: 'SOL/USDT', last: 3 }]);
    });

    it('LLM analyses are found by input or by its hash, and the raw input is never stored', async () => {
      const input = 'Summarise BTC/USDT 1h: secret prompt text';
      const hash = createHash('sha256').update(input).digest('hex');
      const put = await write(`mutation($input: String) { putLlmAnalysis(analysisType: "sentiment", input: $input, result: { score: 0.7, label: "bullish" }, model: "gpt-x") { analysisType inputHash result model cachedAt expiresAt } }`, { input });
      expect(put.data.putLlmAnalysis).toMatchObject({ analysisType: 'sentiment', inputHash: hash, result: { score: 0.7, label: 'bullish' }, model: 'gpt-x' });
      expect(Date.parse(put.data.putLlmAnalysis.expiresAt) - Date.parse(put.data.putLlmAnalysis.cachedAt)).toBe(DEFAULTS.ttlSeconds.llmAnalysis * 1000);

      const byInput = await gateway.gql(`query($input: String) { llmAnalysis(analysisType: "sentiment", input: $input) { inputHash result } }`, { input });
      const byHash = await gateway.gql(`query($hash: String) { llmAnalysis(analysisType: "sentiment", inputHash: $hash) { inputHash result } }`, { hash });
      expect(byInput.data.llmAnalysis).toEqual({ inputHash: hash, result: { score: 0.7, label: 'bullish' } });
      expect(byHash.data).toEqual(byInput.data);

      const keys = await harness.keys('*');
      expect(keys).toEqual([`mdc:v1:llm:{sentiment}:${hash}`]);
      expect(await redis.get(keys[0]!)).not.toContain('secret prompt');
    });

    it('every key the gateway writes has a TTL, the symbols index included', async () => {
      await putTicker('BTC/USDT', 1);
      await write(PUT_BARS, { symbol: 'BTC/USDT', timeframe: '1h', bars: [bar(0)] });
      await write(`mutation { putFundingRate(fundingRate: { symbol: "BTC/USDT:USDT", rate: 0.0001 }) { rate } }`);
      await write(`mutation { putFearGreed(fearGreed: { value: 50, classification: "Neutral" }) { value } }`);
      await write(`mutation { putLlmAnalysis(analysisType: "t", input: "x", result: {}) { inputHash } }`);
      await write(`mutation { putOrderBook(orderBook: { symbol: "BTC/USDT", bids: [{ price: 1, amount: 1 }], asks: [] }) { symbol } }`);
      await write(`mutation { putTrades(symbol: "BTC/USDT", trades: [{ id: "7", time: "2026-01-01T00:00:00Z", price: 1, amount: 1 }]) }`);
      const keys = await harness.keys('*');
      // 6 values and series, a latest-bar pointer, a book, a trades log and its ids, and an index per symbol kind.
      expect(keys).toHaveLength(14 + (topology === 'cluster' ? 5 : 0));
      expect(keys).toEqual(
        expect.arrayContaining([
          'mdc:v1:ticker:{BTC/USDT}',
          'mdc:v1:bars:{BTC/USDT}:1h',
          'mdc:v1:bars:{BTC/USDT}:1h:latest',
          'mdc:v1:funding:{BTC/USDT:USDT}',
          'mdc:v1:fear-greed',
          expect.stringMatching(/^mdc:v1:llm:\{t\}:[0-9a-f]{64}$/),
          'mdc:v1:book:{BTC/USDT}',
          'mdc:v1:trades:{BTC/USDT}',
          'mdc:v1:trades:{BTC/USDT}:ids',
          ...indexKeys(['ticker', 'bars', 'fundingRate', 'orderBook', 'trades']),
        ]),
      );
      for (const key of keys) expect({ key, ttl: (await redis.pttl(key)) > 0 }).toEqual({ key, ttl: true });
    });
  });

  describe('invalidation', () => {
    async function fillSymbol(symbol: string) {
      await putTicker(symbol, 1);
      await write(`mutation($s: MarketSymbol!) { putFundingRate(fundingRate: { symbol: $s, rate: 0.0001 }) { rate } }`, { s: symbol });
      for (const timeframe of ['1m', '1h', '1d']) await write(PUT_BARS, { symbol, timeframe, bars: [bar(0)] });
      await write(`mutation($s: MarketSymbol!) { putOrderBook(orderBook: { symbol: $s, bids: [{ price: 1, amount: 1 }], asks: [] }) { symbol } }`, { s: symbol });
      await write(`mutation($s: MarketSymbol!) { putTrades(symbol: $s, trades: [{ time: "2026-01-01T00:00:00Z", price: 1, amount: 1 }]) }`, { s: symbol });
    }
    const deleted = async (mutation: string, variables?: Record<string, unknown>) => {
      const response = await admin(mutation, variables);
      expect(response.errors).toBeUndefined();
      return Object.values(response.data as Record<string, { deleted: number }>)[0]!.deleted;
    };

    it('invalidateBars removes one timeframe, or every timeframe of the symbol', async () => {
      await fillSymbol('BTC/USDT');
      await fillSymbol('ETH/USDT');
      expect(await deleted(`mutation { invalidateBars(symbol: "BTC/USDT", timeframe: "1h") { deleted } }`)).toBe(1);
      expect((await gateway.gql(BARS, { symbol: 'BTC/USDT', timeframe: '1h' })).data).toEqual({ bars: [], latestBar: null });
      expect(await deleted(`mutation { invalidateBars(symbol: "BTC/USDT") { deleted } }`)).toBe(2);
      expect(await harness.keys('mdc:v1:bars:{BTC/USDT}*')).toEqual([]);
      expect(await harness.keys('mdc:v1:bars:{ETH/USDT}*')).toHaveLength(6);
      expect(await redis.exists('mdc:v1:ticker:{BTC/USDT}')).toBe(1);
    });

    it('invalidateTicker and invalidateFundingRate remove one entry and report 0 the second time', async () => {
      await fillSymbol('BTC/USDT');
      expect(await deleted(`mutation { invalidateTicker(symbol: "BTC/USDT") { deleted } }`)).toBe(1);
      expect(await deleted(`mutation { invalidateTicker(symbol: "BTC/USDT") { deleted } }`)).toBe(0);
      expect(await deleted(`mutation { invalidateFundingRate(symbol: "BTC/USDT") { deleted } }`)).toBe(1);
      expect((await gateway.gql(`{ ticker(symbol: "BTC/USDT") { last } fundingRate(symbol: "BTC/USDT") { rate } }`)).data).toEqual({ ticker: null, fundingRate: null });
    });

    it('invalidateSymbol removes its bars of every timeframe, its ticker, funding rate, order book and trades, and nothing of other symbols', async () => {
      await fillSymbol('BTC/USDT');
      await fillSymbol('BTC/USDT:USDT');
      expect(await deleted(`mutation { invalidateSymbol(symbol: "BTC/USDT") { deleted } }`)).toBe(7);
      const index = indexKeys(['ticker', 'fundingRate', 'bars', 'orderBook', 'trades']);
      expect(await harness.keys()).toEqual(
        [
          'mdc:v1:ticker:{BTC/USDT:USDT}',
          'mdc:v1:funding:{BTC/USDT:USDT}',
          'mdc:v1:book:{BTC/USDT:USDT}',
          'mdc:v1:trades:{BTC/USDT:USDT}',
          ...['1m', '1h', '1d'].flatMap((tf) => [`mdc:v1:bars:{BTC/USDT:USDT}:${tf}`, `mdc:v1:bars:{BTC/USDT:USDT}:${tf}:latest`]),
          ...index,
        ].sort(),
      );
      // The index no longer lists what went.
      expect((await gateway.gql('{ symbols { symbol kinds timeframes } }')).data.symbols).toEqual([
        { symbol: 'BTC/USDT:USDT', kinds: ['TICKER', 'FUNDING_RATE', 'BARS', 'ORDER_BOOK', 'TRADES'], timeframes: ['1m', '1h', '1d'] },
      ]);
    });

    it('invalidateFearGreed removes the index', async () => {
      await write(`mutation { putFearGreed(fearGreed: { value: 80, classification: "Extreme Greed" }) { value } }`);
      expect(await deleted(`mutation { invalidateFearGreed { deleted } }`)).toBe(1);
      expect((await gateway.gql(`{ fearGreed { value } }`)).data.fearGreed).toBeNull();
    });

    it('invalidateLlmAnalysis removes one analysis by hash, or every analysis of the type and no other type', async () => {
      for (const [type, input] of [['sentiment', 'a'], ['sentiment', 'b'], ['sentiment', 'c'], ['sentiment-long', 'a']]) {
        await write(`mutation($t: String!, $i: String) { putLlmAnalysis(analysisType: $t, input: $i, result: { ok: true }) { inputHash } }`, { t: type, i: input });
      }
      const hashOfA = createHash('sha256').update('a').digest('hex');
      expect(await deleted(`mutation($h: String) { invalidateLlmAnalysis(analysisType: "sentiment", inputHash: $h) { deleted } }`, { h: hashOfA })).toBe(1);
      expect(await deleted(`mutation { invalidateLlmAnalysis(analysisType: "sentiment") { deleted } }`)).toBe(2);
      expect(await harness.keys('*')).toEqual([`mdc:v1:llm:{sentiment-long}:${hashOfA}`]);
    });

    it("invalidateAll removes every key of this namespace and version, and leaves other applications' keys alone", async () => {
      await fillSymbol('BTC/USDT');
      await write(`mutation { putFearGreed(fearGreed: { value: 80, classification: "Extreme Greed" }) { value } }`);
      await redis.set('other-app:session:42', 'keep me');
      await redis.set('mdc:v2:ticker:{BTC/USDT}', 'another version: keep me');
      await redis.set('mdcx:v1:ticker', 'a look-alike namespace: keep me');

      // A ticker, a funding rate, three bar series, a book, a log of trades and Fear & Greed.
      expect(await deleted(`mutation { invalidateAll { deleted } }`)).toBe(8);
      expect(await harness.keys()).toEqual(['mdc:v2:ticker:{BTC/USDT}', 'mdcx:v1:ticker', 'other-app:session:42']);
      expect((await gateway.gql('{ symbols { symbol } }')).data.symbols).toEqual([]);
      expect(await redis.get('other-app:session:42')).toBe('keep me');
    });

    it('writes an audit line for each invalidation, without the token', async () => {
      await fillSymbol('BTC/USDT');
      await admin(`mutation { invalidateTicker(symbol: "BTC/USDT") { deleted } }`);
      const audit = gateway.logs.filter((line) => line['audit'] === 'invalidateTicker').at(-1);
      expect(audit).toMatchObject({ args: { symbol: 'BTC/USDT' }, deleted: 1 });
      expect(JSON.stringify(gateway.logs)).not.toContain(ADMIN_TOKEN);
    });
  });

  describe('a cached value that cannot be decoded', () => {
    it('is a miss, is deleted and logged, and the rest of the query still resolves', async () => {
      await putTicker('ETH/USDT', 2);
      await redis.set('mdc:v1:ticker:{BTC/USDT}', '{"symbol":"BTC/USDT","last":"not a number"', 'PX', 60_000);
      const response = await gateway.gql(`{ btc: ticker(symbol: "BTC/USDT") { last } eth: ticker(symbol: "ETH/USDT") { last } }`);
      expect(response).toEqual({ status: 200, data: { btc: null, eth: { last: 2 } } });
      expect(await redis.exists('mdc:v1:ticker:{BTC/USDT}')).toBe(0);
      expect(gateway.logs.some((line) => line['key'] === 'mdc:v1:ticker:{BTC/USDT}' && line['level'] === 40)).toBe(true);
    });

    it('in a bar series drops only that bar, which is removed from the series', async () => {
      await write(PUT_BARS, { symbol: 'BTC/USDT', timeframe: '1h', bars: [bar(0), bar(2)] });
      await redis.zadd('mdc:v1:bars:{BTC/USDT}:1h', T0 + HOUR, '{"openTime":"garbage"}');
      const { data } = await gateway.gql(BARS, { symbol: 'BTC/USDT', timeframe: '1h' });
      expect(data.bars.map((b: { close: number }) => b.close)).toEqual([102, 100]);
      expect(await redis.zcard('mdc:v1:bars:{BTC/USDT}:1h')).toBe(2);
    });
  });
});
