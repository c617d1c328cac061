import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../src/cache/memory-store.js';
import { parseRedisInfo } from '../src/cache/redis-info.js';
import { ADMIN_TOKEN, testGateway, WRITER_TOKEN } from './support/gateway.js';
import { startLiveGateway, type LiveGateway } from './support/live-gateway.js';
import { commandsDuring, startRedisServer, type RedisServer } from './support/redis-server.js';

const STATS = '{ cacheStats { kinds { kind reads hits hitRate keys } } }';
const REDIS_STATS =
  '{ cacheStats { redis { version topology usedMemoryBytes maxMemoryBytes evictionPolicy evictedKeys keyspaceHits keyspaceMisses connectedClients uptimeSeconds } } }';
const TICKER = 'query($s: MarketSymbol!) { ticker(symbol: $s) { last } }';
const BAR = '{ openTime: "2026-01-01T00:00:00Z", open: 100, high: 110, low: 90, close: 105, volume: 3.5 }';
const HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

let server: RedisServer;
let probe: Redis;
let gateway: LiveGateway;
beforeAll(async () => {
  // A cache as it should be configured: bounded, evicting the least recently used keys.
  server = await startRedisServer({ args: ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'] });
  probe = server.client();
});
afterAll(() => server?.stop());
// Each test its own gateway, as npm start wires it: its counts start at zero.
beforeEach(async () => {
  await probe.flushall();
  gateway = await startLiveGateway(server.url, { REDIS_READ_MAX_MS: '300' });
});
afterEach(() => gateway?.shutdown());

/** `cacheStats.kinds` by kind, as the admin sees it. */
async function kinds(): Promise<Record<string, { reads: number; hits: number; hitRate: number | null; keys: number | null }>> {
  const response = await gateway.gql(STATS, undefined, ADMIN_TOKEN);
  expect(response.errors).toBeUndefined();
  return Object.fromEntries(response.data!.cacheStats.kinds.map(({ kind, ...rest }: { kind: string }) => [kind, rest]));
}

async function write(mutation: string) {
  const response = await gateway.gql(`mutation { ${mutation} }`, undefined, ADMIN_TOKEN);
  expect(response.errors).toBeUndefined();
}

it('is refused without the admin token, as the admin mutations are', async () => {
  const anonymous = await gateway.gql(STATS);
  expect(anonymous.data).toEqual({ cacheStats: null });
  expect(anonymous.errors?.[0]).toMatchObject({
    message: 'Query.cacheStats: expected "Authorization: Bearer <ADMIN_TOKEN>", received no Authorization header',
    extensions: { code: 'UNAUTHENTICATED' },
  });
  const writer = await gateway.gql(STATS, undefined, WRITER_TOKEN);
  expect(writer.errors?.[0]).toMatchObject({ message: 'Query.cacheStats: expected the admin token, received the writer token', extensions: { code: 'FORBIDDEN' } });
  // Refused, it is null alone: the rest of the query resolves.
  expect((await gateway.gql('{ cacheStats { kinds { kind } } ticker(symbol: "BTC/USDT") { last } }')).data).toEqual({ cacheStats: null, ticker: null });
});

it("reports this gateway's reads and hit rate per kind since it started", async () => {
  await write('putTicker(ticker: { symbol: "BTC/USDT", last: 2 }) { last }');
  await gateway.gql(TICKER, { s: 'BTC/USDT' }); // hit
  await gateway.gql(TICKER, { s: 'ETH/USDT' }); // miss
  await gateway.gql('{ a: ticker(symbol: "BTC/USDT") { last } b: ticker(symbol: "SOL/USDT") { last } c: ticker(symbol: "BTC/USDT") { last } }'); // hit, miss (BTC once)
  await gateway.gql('{ bars(symbol: "BTC/USDT", timeframe: "1h") { close } }'); // miss

  const stats = await kinds();
  expect(stats['TICKER']).toMatchObject({ reads: 4, hits: 2, hitRate: 0.5 });
  expect(stats['BARS']).toMatchObject({ reads: 1, hits: 0, hitRate: 0 });
  expect(stats['FEAR_GREED']).toMatchObject({ reads: 0, hits: 0, hitRate: null });
  expect(Object.keys(stats)).toEqual(['TICKER', 'FUNDING_RATE', 'FEAR_GREED', 'BARS', 'LLM_ANALYSIS', 'ORDER_BOOK', 'TRADES']);
});

it('counts the keys of each kind from the symbols index, following writes and invalidations, without a scan', async () => {
  const keysOf = async () => Object.fromEntries(Object.entries(await kinds()).map(([kind, { keys }]) => [kind, keys]));
  const empty = { TICKER: 0, FUNDING_RATE: 0, FEAR_GREED: 0, BARS: 0, LLM_ANALYSIS: null, ORDER_BOOK: 0, TRADES: 0 };
  expect(await keysOf()).toEqual(empty);

  await write('putTickers(tickers: [{ symbol: "BTC/USDT", last: 2 }, { symbol: "ETH/USDT", last: 3 }])');
  await write('putFundingRate(fundingRate: { symbol: "BTC/USDT:USDT", rate: 0.0002 }) { rate }');
  await write('putFearGreed(fearGreed: { value: 80, classification: "Extreme Greed" }) { value }');
  await write(`putBars(symbol: "BTC/USDT", timeframe: "1h", bars: [${BAR}])`);
  await write(`putBars(symbol: "BTC/USDT", timeframe: "4h", bars: [${BAR}])`);
  await write(`putLlmAnalysis(analysisType: "sentiment", inputHash: "${HASH}", result: { score: 1 }) { inputHash }`);
  await write('putOrderBook(orderBook: { symbol: "BTC/USDT", bids: [{ price: 1, amount: 1 }], asks: [] }) { symbol }');
  await write('putTrades(symbol: "BTC/USDT", trades: [{ time: "2026-01-01T00:00:00Z", price: 1, amount: 1 }])');
  let commands: Record<string, number> = {};
  let counted: Record<string, unknown> = {};
  commands = await commandsDuring(probe, async () => void (counted = await keysOf()));
  expect(counted).toEqual({ TICKER: 2, FUNDING_RATE: 1, FEAR_GREED: 1, BARS: 2, LLM_ANALYSIS: null, ORDER_BOOK: 1, TRADES: 1 });
  expect(Object.keys(commands).filter((command) => /scan|keys|dbsize/.test(command))).toEqual([]);

  await write('invalidateTicker(symbol: "ETH/USDT") { deleted }');
  await write('invalidateBars(symbol: "BTC/USDT", timeframe: "4h") { deleted }');
  await write('invalidateFearGreed { deleted }');
  expect(await keysOf()).toMatchObject({ TICKER: 1, BARS: 1, FEAR_GREED: 0 });

  await write('invalidateAll { deleted }');
  expect(await keysOf()).toEqual(empty);
});

it("reports Redis's own figures as INFO gives them", async () => {
  const before = parseRedisInfo(await probe.info());
  const response = await gateway.gql(REDIS_STATS, undefined, ADMIN_TOKEN);
  const after = parseRedisInfo(await probe.info());
  expect(response.errors).toBeUndefined();
  const redis = response.data!.cacheStats.redis;

  expect(redis).toMatchObject({
    version: after.version,
    topology: 'standalone',
    maxMemoryBytes: 64 * 1024 * 1024,
    evictionPolicy: 'allkeys-lru',
    evictedKeys: 0,
  });
  expect(redis.version).toMatch(/^\d+\.\d+\.\d+$/);
  // The figures that move are read between the two INFOs of the test.
  for (const field of ['keyspaceHits', 'keyspaceMisses', 'uptimeSeconds'] as const) {
    expect(redis[field], field).toBeGreaterThanOrEqual(before[field]);
    expect(redis[field], field).toBeLessThanOrEqual(after[field]);
  }
  expect(redis.usedMemoryBytes).toBeGreaterThan(100_000);
  expect(redis.usedMemoryBytes).toBeLessThan(64 * 1024 * 1024);
  // This test's client, and the gateway's: its commands, bar ranges and change notices.
  expect(redis.connectedClients).toBeGreaterThanOrEqual(3);
  expect(redis.connectedClients).toBe(after.connectedClients);
});

it('answers redis null with CACHE_UNAVAILABLE when Redis does not answer, within REDIS_READ_MAX_MS', async () => {
  server.freeze();
  try {
    const response = await gateway.gql(`{ cacheStats { redis { version } kinds { kind reads } } }`, undefined, ADMIN_TOKEN);
    expect(response.status).toBe(200);
    expect(response.ms).toBeLessThan(1500);
    expect(response.data!.cacheStats.redis).toBeNull();
    expect(response.data!.cacheStats.kinds).toHaveLength(7);
    expect(response.errors).toEqual([expect.objectContaining({ path: ['cacheStats', 'redis'], extensions: { code: 'CACHE_UNAVAILABLE' } })]);
  } finally {
    server.resume();
  }
});

describe('on the in-memory store', () => {
  it('reports reads and keys, and redis null', async () => {
    const memory = testGateway(createMemoryStore());
    await memory.gql('mutation { putTicker(ticker: { symbol: "BTC/USDT", last: 2 }) { last } }', undefined, WRITER_TOKEN);
    await memory.gql(TICKER, { s: 'BTC/USDT' });
    const response = await memory.gql('{ cacheStats { kinds { kind reads hits keys } redis { version } } }', undefined, ADMIN_TOKEN);
    expect(response.errors).toBeUndefined();
    expect(response.data.cacheStats.redis).toBeNull();
    expect(response.data.cacheStats.kinds[0]).toEqual({ kind: 'TICKER', reads: 1, hits: 1, keys: 1 });
  });
});
