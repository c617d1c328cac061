import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { testGateway, WRITER_TOKEN, type GraphQLResponse, type TestGateway } from './support/gateway.js';
import { recordingStore } from './support/stores.js';
import { useRedisGateway } from './support/harness.js';
import { commandsDuring } from './support/redis-server.js';

/**
 * The property the gateway is built around: however many fields, aliases and list entries a
 * query has, its point reads cost one MGET and its bar ranges one pipeline. Counted at the real
 * Redis with INFO commandstats, and at the store boundary by recording calls, on both read paths:
 * read plans, and the executor with its per-request DataLoaders (READ_PLANS=false).
 */
const harness = useRedisGateway({ wrap: recordingStore, flushBeforeEach: false });
let redis: Redis;
let store: ReturnType<typeof recordingStore>;
const gateways: Record<string, TestGateway> = {};

const SYMBOLS = Array.from({ length: 50 }, (_, i) => `S${String(i).padStart(2, '0')}/USDT`);

beforeAll(async () => {
  redis = harness.probe;
  store = harness.store as ReturnType<typeof recordingStore>;
  gateways['plans'] = harness.gateway;
  gateways['executor'] = testGateway(store, { READ_PLANS: 'false' });
  const gateway = gateways['plans'];
  for (const [i, symbol] of SYMBOLS.entries()) {
    await gateway.gql(`mutation($s: MarketSymbol!, $l: Float!) { putTicker(ticker: { symbol: $s, last: $l }, ttlSeconds: 600) { symbol } putFundingRate(fundingRate: { symbol: $s, rate: 0.0001 }, ttlSeconds: 600) { rate } }`, { s: symbol, l: i }, WRITER_TOKEN);
  }
  await gateway.gql(`mutation { putFearGreed(fearGreed: { value: 40, classification: "Fear" }, ttlSeconds: 600) { value } }`, undefined, WRITER_TOKEN);
  for (const symbol of SYMBOLS.slice(0, 3)) {
    const bars = Array.from({ length: 20 }, (_, h) => ({ openTime: new Date(Date.UTC(2026, 0, 1, h)).toISOString(), open: 1, high: 2, low: 0.5, close: 1.5, volume: 1 }));
    await gateway.gql(`mutation($s: MarketSymbol!, $b: [BarInput!]!) { putBars(symbol: $s, timeframe: "1h", bars: $b) }`, { s: symbol, b: bars }, WRITER_TOKEN);
  }
});
beforeEach(() => void store.calls.splice(0));

const callsOf = (method: string) => store.calls.filter((call) => call.method === method);

describe.each([
  ['answered by a read plan', 'plans'],
  ['answered by the executor (READ_PLANS=false)', 'executor'],
])('a request %s', (_path, name) => {
  let gateway: TestGateway;
  beforeAll(() => void (gateway = gateways[name]!));

  it('serves 50 tickers, 50 funding rates and fearGreed with one MGET and no GET', async () => {
    const fundingFields = SYMBOLS.map((s, i) => `f${i}: fundingRate(symbol: "${s}") { rate }`).join('\n');
    let response: GraphQLResponse | undefined;
    const commands = await commandsDuring(redis, async () => {
      response = await gateway.gql(`query($symbols: [MarketSymbol!]!) { tickers(symbols: $symbols) { symbol last } ${fundingFields} fearGreed { value } }`, { symbols: SYMBOLS });
    });
    expect(response?.errors).toBeUndefined();
    expect(response?.data.tickers).toHaveLength(50);
    expect(response?.data.tickers.every((t: unknown) => t !== null)).toBe(true);
    expect(response?.data.f49).toEqual({ rate: 0.0001 });
    expect(response?.data.fearGreed).toEqual({ value: 40 });
    expect(commands).toEqual({ mget: 1 });
    expect(callsOf('getMany')).toHaveLength(1);
    expect(callsOf('getMany')[0]!.args[0]).toHaveLength(101);
  });

  it('serves 50 aliased ticker fields, 50 funding rates and fearGreed with one MGET and no GET', async () => {
    const fields = SYMBOLS.map((s, i) => `t${i}: ticker(symbol: "${s}") { last } f${i}: fundingRate(symbol: "${s}") { rate }`).join('\n');
    let response: GraphQLResponse | undefined;
    const commands = await commandsDuring(redis, async () => {
      response = await gateway.gql(`{ ${fields} fearGreed { value } }`);
    });
    expect(response?.data.t0).toEqual({ last: 0 });
    expect(response?.data.t49).toEqual({ last: 49 });
    expect(commands).toEqual({ mget: 1 });
  });

  it('reads a key asked for twice only once', async () => {
    await gateway.gql(`{ a: ticker(symbol: "S01/USDT") { last } b: ticker(symbol: "S01/USDT") { symbol } tickers(symbols: ["S01/USDT", "S02/USDT"]) { last } }`);
    expect(callsOf('getMany').map((call) => call.args[0])).toEqual([['mdc:v1:ticker:{S01/USDT}', 'mdc:v1:ticker:{S02/USDT}']]);
  });

  it('reads every bar range in one pipeline, and latest bars within the same MGET as other points', async () => {
    const query = `{
      a: bars(symbol: "S00/USDT", timeframe: "1h", limit: 5) { close }
      b: bars(symbol: "S01/USDT", timeframe: "1h", limit: 10) { close }
      c: bars(symbol: "S02/USDT", timeframe: "1h", since: "2026-01-01T05:00:00Z") { close }
      la: latestBar(symbol: "S00/USDT", timeframe: "1h") { openTime }
      lb: latestBar(symbol: "S01/USDT", timeframe: "1h") { openTime }
      t: ticker(symbol: "S00/USDT") { last }
    }`;
    let response: GraphQLResponse | undefined;
    const commands = await commandsDuring(redis, async () => void (response = await gateway.gql(query)));
    expect(response?.data.a).toHaveLength(5);
    expect(response?.data.b).toHaveLength(10);
    expect(response?.data.c).toHaveLength(15);
    expect(response?.data.la).toEqual({ openTime: '2026-01-01T19:00:00.000Z' });
    expect(commands).toEqual({ mget: 1, zrange: 3 });
    expect(callsOf('rangeMany')).toHaveLength(1);
    expect(callsOf('rangeMany')[0]!.args[0]).toHaveLength(3);
    expect(callsOf('getMany')).toHaveLength(1);
  });

  it('never reuses another request’s reads: each request has its own loaders', async () => {
    const query = `{ ticker(symbol: "S03/USDT") { last } }`;
    const put = (last: number) =>
      gateway.gql(`mutation($l: Float!) { putTicker(ticker: { symbol: "S03/USDT", last: $l }, ttlSeconds: 600) { last } }`, { l: last }, WRITER_TOKEN);
    await put(3);
    expect((await gateway.gql(query)).data.ticker).toEqual({ last: 3 });
    await put(333);
    expect((await gateway.gql(query)).data.ticker).toEqual({ last: 333 });
    expect(callsOf('getMany')).toHaveLength(2);
    await put(3);
  });

  it('batches each of two concurrent requests on its own: one MGET each, never one for both', async () => {
    const [a, b] = await Promise.all([
      gateway.gql(`{ ticker(symbol: "S04/USDT") { last } }`),
      gateway.gql(`{ ticker(symbol: "S05/USDT") { last } }`),
    ]);
    expect([a.data.ticker, b.data.ticker]).toEqual([{ last: 4 }, { last: 5 }]);
    expect(callsOf('getMany').map((call) => call.args[0]).sort()).toEqual([['mdc:v1:ticker:{S04/USDT}'], ['mdc:v1:ticker:{S05/USDT}']]);
  });
});
