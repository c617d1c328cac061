import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../src/cache/memory-store.js';
import { createRedisStore } from '../src/cache/redis-store.js';
import { startBinanceServer, type BinanceServer } from './support/binance-server.js';
import { startFearGreedServer, type FearGreedServer } from './support/fear-greed-server.js';
import { ADMIN_TOKEN, testGateway, WRITER_TOKEN, type TestGateway } from './support/gateway.js';
import { startLiveGateway, type LiveGateway } from './support/live-gateway.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

/** One sample of the exposition: `name{labels} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus's text format, as a scraper reads it (comments skipped). */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (match === null) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, name, value] of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[name!] = value!;
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

/** The value of the sample `name` with exactly these labels (among others); undefined if none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function scrape(get: (path: string) => Promise<{ status: number; text: string }>): Promise<Sample[]> {
  const { status, text } = await get('/metrics');
  expect(status).toBe(200);
  return parse(text);
}

const TICKER = 'query($s: MarketSymbol!) { ticker(symbol: $s) { last stale } }';
const PUT_TICKER = 'mutation { putTicker(ticker: { symbol: "BTC/USDT", last: 2 }, ttlSeconds: 600) { last } }';

describe('GET /metrics of the gateway as npm start wires it, after a known sequence of requests', () => {
  let server: RedisServer;
  let gateway: LiveGateway;
  const get = async (path: string) => {
    const response = await fetch(new URL(path, gateway.url), { signal: AbortSignal.timeout(5000) });
    return { status: response.status, text: await response.text(), type: response.headers.get('content-type') };
  };
  let before: Sample[];
  let after: Sample[];

  beforeAll(async () => {
    server = await startRedisServer();
    // A long open period: the circuit is still open when the test looks, not half-open.
    gateway = await startLiveGateway(server.url, { REDIS_READ_TIMEOUT_MS: '200', CIRCUIT_OPEN_MS: '60000' });
    before = await scrape(get);

    expect((await gateway.gql(PUT_TICKER, undefined, WRITER_TOKEN)).errors).toBeUndefined();
    expect((await gateway.gql(TICKER, { s: 'BTC/USDT' })).data).toEqual({ ticker: { last: 2, stale: false } }); // hit
    expect((await gateway.gql(TICKER, { s: 'ETH/USDT' })).data).toEqual({ ticker: null }); // miss
    expect((await gateway.gql('{ bars(symbol: "BTC/USDT", timeframe: "1h") { close } }')).data).toEqual({ bars: [] }); // miss
    expect((await gateway.gql('{ ticker(symbol: ')).errors).toHaveLength(1); // refused before an operation

    // Redis frozen: each read times out; the third failure opens the circuit.
    server.freeze();
    try {
      expect((await gateway.gql(TICKER, { s: 'BTC/USDT' })).data).toEqual({ ticker: { last: 2, stale: true } }); // stale
      const failed = await gateway.gql(TICKER, { s: 'ETH/USDT' }); // error
      expect(failed.errors?.[0]?.extensions?.code).toBe('CACHE_UNAVAILABLE');
      expect((await gateway.gql(TICKER, { s: 'BTC/USDT' })).data).toEqual({ ticker: { last: 2, stale: true } }); // stale, opens the circuit
      expect((await gateway.gql(TICKER, { s: 'BTC/USDT' })).data).toEqual({ ticker: { last: 2, stale: true } }); // stale, circuit open
      after = await scrape(get);
    } finally {
      server.resume();
    }
  }, 30_000);
  afterAll(async () => {
    await gateway?.shutdown();
    await server?.stop();
  });

  it('answers in the Prometheus text format, with no CSRF header and no token configured', async () => {
    const response = await get('/metrics');
    expect(response.status).toBe(200);
    expect(response.type).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('counts each key read by kind and by what the cache answered', () => {
    const reads = (kind: string, result: string) => valueOf(after, 'mdc_cache_reads_total', { kind, result });
    expect({ hit: reads('ticker', 'hit'), miss: reads('ticker', 'miss'), stale: reads('ticker', 'stale'), error: reads('ticker', 'error'), negative: reads('ticker', 'negative') }).toEqual({
      hit: 1,
      miss: 1,
      stale: 3,
      error: 1,
      negative: 0,
    });
    expect(reads('bars', 'miss')).toBe(1);
    expect(after.filter((s) => s.name === 'mdc_cache_reads_total' && s.labels['kind'] !== 'ticker' && s.labels['kind'] !== 'bars').every((s) => s.value === 0)).toBe(true);
    expect(valueOf(before, 'mdc_cache_reads_total', { kind: 'ticker', result: 'hit' })).toBe(0);
  });

  it('counts and times each request by operation type and outcome', () => {
    const requests = (operation: string, outcome: string) => valueOf(after, 'mdc_graphql_requests_total', { operation, outcome });
    expect(requests('mutation', 'ok')).toBe(1);
    expect(requests('query', 'ok')).toBe(6);
    expect(requests('query', 'error')).toBe(1);
    expect(requests('none', 'error')).toBe(1);
    expect(valueOf(after, 'mdc_graphql_request_duration_seconds_count', { operation: 'query', outcome: 'ok' })).toBe(6);
    expect(valueOf(after, 'mdc_graphql_request_duration_seconds_bucket', { operation: 'query', outcome: 'ok', le: '+Inf' })).toBe(6);
    expect(valueOf(after, 'mdc_graphql_request_duration_seconds_sum', { operation: 'query', outcome: 'ok' })).toBeGreaterThan(0);
  });

  it('times each call of the Redis store by operation, and counts only those that reached Redis and failed', () => {
    expect(valueOf(after, 'mdc_redis_command_duration_seconds_count', { operation: 'set' })).toBe(1);
    expect(valueOf(after, 'mdc_redis_command_duration_seconds_count', { operation: 'rangeMany' })).toBe(1);
    // Two reads before the freeze, three failed ones; the fourth the open circuit refused.
    expect(valueOf(after, 'mdc_redis_command_duration_seconds_count', { operation: 'getMany' })).toBe(5);
    expect(valueOf(after, 'mdc_redis_command_errors_total', { operation: 'getMany' })).toBe(3);
    expect(valueOf(after, 'mdc_redis_command_errors_total', { operation: 'set' })).toBeUndefined();
    // The failed ones waited out the read timeout.
    expect(valueOf(after, 'mdc_redis_command_duration_seconds_sum', { operation: 'getMany' })).toBeGreaterThan(0.55);
  });

  it('reports the circuit state: closed before the outage, open after it', () => {
    expect(valueOf(before, 'mdc_cache_circuit_state', { state: 'closed' })).toBe(1);
    expect(valueOf(before, 'mdc_cache_circuit_state', { state: 'open' })).toBe(0);
    expect(valueOf(after, 'mdc_cache_circuit_state', { state: 'open' })).toBe(1);
    expect(valueOf(after, 'mdc_cache_circuit_state', { state: 'closed' })).toBe(0);
  });

  it('reports what the stale tier holds', () => {
    expect(valueOf(before, 'mdc_stale_tier_entries')).toBe(0);
    expect(valueOf(before, 'mdc_stale_tier_bytes')).toBe(0);
    expect(valueOf(after, 'mdc_stale_tier_entries')).toBe(1);
    expect(valueOf(after, 'mdc_stale_tier_bytes')).toBeGreaterThan(100);
  });

  it("includes Node's default process metrics", () => {
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect(valueOf(after, name), name).toBeGreaterThanOrEqual(0);
    }
  });

  it('puts no symbol, key or other unbounded value in a label', () => {
    const values = after.flatMap((s) => Object.values(s.labels));
    expect(values.length).toBeGreaterThan(100);
    for (const value of values) expect(value).not.toMatch(/BTC|ETH|USDT|\{|:/);
  });
});

describe('upstream calls and negative answers', () => {
  let fng: FearGreedServer;
  let binance: BinanceServer;
  beforeAll(async () => void ([fng, binance] = await Promise.all([startFearGreedServer(), startBinanceServer()])));
  afterAll(async () => void (await Promise.all([fng?.stop(), binance?.stop()])));
  const metrics = async (gateway: TestGateway) =>
    scrape(async (path) => {
      const response = await gateway.fetch(`http://gateway.test${path}`);
      return { status: response.status, text: await response.text() };
    });

  it('counts and times each call to Fear & Greed, answered or timed out', async () => {
    const gateway = testGateway(createMemoryStore(), { FEAR_GREED_URL: fng.url, UPSTREAM_TIMEOUT_MS: '300' });
    expect((await gateway.gql('{ fearGreed { value } }')).data).toEqual({ fearGreed: { value: 54 } });
    await gateway.gql('mutation { invalidateFearGreed { deleted } }', undefined, ADMIN_TOKEN);
    fng.setModes({ delayMs: 1000 });
    try {
      expect((await gateway.gql('{ fearGreed { value } }')).errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    } finally {
      fng.setModes({});
    }
    const samples = await metrics(gateway);
    const calls = (outcome: string) => valueOf(samples, 'mdc_upstream_calls_total', { source: 'fear-greed', outcome });
    expect([calls('ok'), calls('timeout'), calls('error'), calls('rejected')]).toEqual([1, 1, undefined, undefined]);
    expect(valueOf(samples, 'mdc_upstream_call_duration_seconds_count', { source: 'fear-greed', outcome: 'ok' })).toBe(1);
    expect(valueOf(samples, 'mdc_upstream_call_duration_seconds_sum', { source: 'fear-greed', outcome: 'ok' })).toBeGreaterThan(0);
    expect(valueOf(samples, 'mdc_upstream_call_duration_seconds_sum', { source: 'fear-greed', outcome: 'timeout' })).toBeGreaterThanOrEqual(0.29);
    expect(valueOf(samples, 'mdc_cache_reads_total', { kind: 'fearGreed', result: 'miss' })).toBe(2);
  });

  it('counts failed calls to the exchange, those its back-off refuses, and the absent marker of a symbol it does not list', async () => {
    const gateway = testGateway(createMemoryStore(), { EXCHANGE_ID: 'binance', EXCHANGE_API_URL: binance.url, UPSTREAM_TIMEOUT_MS: '5000' });
    const book = '{ orderBook(symbol: "NOPE/USDT") { symbol } }';
    expect((await gateway.gql(book)).data).toEqual({ orderBook: null }); // miss, filled with the absent marker
    expect((await gateway.gql(book)).data).toEqual({ orderBook: null }); // negative

    // Three failures in a row leave the exchange alone for a second: the fourth call is refused.
    binance.mode({ status500: true }, '/api/v3/ticker/24hr');
    try {
      for (const symbol of ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT']) {
        expect((await gateway.gql(TICKER, { s: symbol })).errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
      }
    } finally {
      binance.mode({}, '/api/v3/ticker/24hr');
    }
    const samples = await metrics(gateway);
    const calls = (outcome: string) => valueOf(samples, 'mdc_upstream_calls_total', { source: 'exchange', outcome });
    expect([calls('ok'), calls('error'), calls('rejected'), calls('timeout')]).toEqual([1, 3, 1, undefined]);
    expect(valueOf(samples, 'mdc_cache_reads_total', { kind: 'orderBook', result: 'miss' })).toBe(1);
    expect(valueOf(samples, 'mdc_cache_reads_total', { kind: 'orderBook', result: 'negative' })).toBe(1);
    expect(valueOf(samples, 'mdc_cache_reads_total', { kind: 'ticker', result: 'miss' })).toBe(4);
  }, 20_000);
});

describe('METRICS_TOKEN', () => {
  const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
  let gateway: TestGateway;
  beforeAll(() => void (gateway = testGateway(createMemoryStore(), { METRICS_TOKEN })));
  const scrapeWith = (authorization?: string) =>
    gateway.fetch('http://gateway.test/metrics', authorization === undefined ? {} : { headers: { authorization } });

  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', `Bearer ${'x'.repeat(METRICS_TOKEN.length)}`],
    ['the admin token', `Bearer ${ADMIN_TOKEN}`],
    ['the token without its scheme', METRICS_TOKEN],
  ])('answers 401 and nothing else to %s', async (_what, authorization) => {
    const response = await scrapeWith(authorization);
    expect(response.status).toBe(401);
    const body = await response.text();
    expect(body).not.toContain('mdc_');
    expect(body).not.toContain(METRICS_TOKEN);
  });

  it('answers 200 with the metrics to the token, and GraphQL as before', async () => {
    expect(await gateway.gql(TICKER, { s: 'BTC/USDT' })).toEqual({ status: 200, data: { ticker: null } });
    expect((await gateway.fetch('http://gateway.test/health')).status).toBe(200);
    const response = await scrapeWith(`Bearer ${METRICS_TOKEN}`);
    expect(response.status).toBe(200);
    expect(valueOf(parse(await response.text()), 'mdc_cache_reads_total', { kind: 'ticker', result: 'miss' })).toBe(1);
  });

  it('is refused when it is the admin or the writer token', () => {
    expect(() => testGateway(createMemoryStore(), { METRICS_TOKEN: ADMIN_TOKEN })).toThrow('METRICS_TOKEN: expected a token different from WRITER_TOKEN and ADMIN_TOKEN');
    expect(() => testGateway(createMemoryStore(), { METRICS_TOKEN: 'short' })).toThrow('METRICS_TOKEN: expected at least 16 characters');
  });
});

describe('the metrics of two gateways in one process', () => {
  it('are their own', async () => {
    const server = await startRedisServer();
    try {
      const store = createRedisStore({ redis: server.client(), readTimeoutMs: 5000, writeTimeoutMs: 5000 });
      const [one, two] = [testGateway(store), testGateway(store)];
      await one.gql(TICKER, { s: 'BTC/USDT' });
      const count = async (gateway: TestGateway) =>
        valueOf(parse(await (await gateway.fetch('http://gateway.test/metrics')).text()), 'mdc_cache_reads_total', { kind: 'ticker', result: 'miss' });
      expect([await count(one), await count(two)]).toEqual([1, 0]);
    } finally {
      await server.stop();
    }
  });
});
