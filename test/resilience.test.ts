import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCircuitBreakerStore } from '../src/cache/circuit-breaker-store.js';
import { ADMIN_TOKEN, WRITER_TOKEN, type TestGateway } from './support/gateway.js';
import { useRedisGateway } from './support/harness.js';
import type { RedisServer } from './support/redis-server.js';

describe('during an outage, the gateway', () => {
  // A read during which the frozen Redis sends nothing for 250 ms fails; the circuit then stays open.
  const harness = useRedisGateway({
    store: { readTimeoutMs: 250, writeTimeoutMs: 250 },
    wrap: (store) => createCircuitBreakerStore(store, { openMs: 60_000 }),
  });
  let server: RedisServer;
  let gateway: TestGateway;
  beforeAll(() => void ({ server, gateway } = harness));
  afterAll(() => server?.resume()); // should the test have failed with the server frozen

  const TICKERS = `{ a: ticker(symbol: "A/USDT") { last stale } b: ticker(symbol: "B/USDT") { last stale } c: ticker(symbol: "C/USDT") { last stale } }`;
  const put = (symbol: string, last: number) =>
    gateway.gql(`mutation($s: MarketSymbol!, $l: Float!) { putTicker(ticker: { symbol: $s, last: $l }, ttlSeconds: 600) { last } }`, { s: symbol, l: last }, WRITER_TOKEN);

  it('serves what it last served or wrote, marked stale, and never what an invalidation removed', async () => {
    await put('A/USDT', 1);
    await put('B/USDT', 2);
    await put('C/USDT', 3);
    expect((await gateway.gql(TICKERS)).data).toEqual({ a: { last: 1, stale: false }, b: { last: 2, stale: false }, c: { last: 3, stale: false } });
    await put('A/USDT', 10);
    await gateway.gql(`mutation { invalidateTicker(symbol: "B/USDT") { deleted } }`, undefined, ADMIN_TOKEN);

    server.freeze();
    const during = await gateway.gql(TICKERS);
    expect(during.status).toBe(200);
    expect(during.data).toEqual({ a: { last: 10, stale: true }, b: null, c: { last: 3, stale: true } });
    expect(during.errors).toEqual([expect.objectContaining({ path: ['b'], extensions: { code: 'CACHE_UNAVAILABLE' } })]);

    const write = await put('C/USDT', 30);
    expect(write).toMatchObject({ data: null, errors: [{ extensions: { code: 'CACHE_UNAVAILABLE' } }] });
    // A write that failed is not served as if it had been stored.
    expect((await gateway.gql(`{ ticker(symbol: "C/USDT") { last stale } }`)).data).toEqual({ ticker: { last: 3, stale: true } });

    server.resume();
  });
});
