import type { Redis } from 'ioredis';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CacheStore } from '../src/cache/store.js';
import { schema } from '../src/schema/index.js';
import { ADMIN_TOKEN, testGateway, WRITER_TOKEN, type GraphQLResponse, type TestGateway } from './support/gateway.js';
import { useRedisGateway } from './support/harness.js';
import { commandsDuring } from './support/redis-server.js';

const BAR = '{ openTime: "2026-01-01T00:00:00Z", open: 100, high: 110, low: 90, close: 105, volume: 3.5 }';
const HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * A valid call of every mutation: only the token decides whether it runs. Those that need a
 * source (`fromSource`) are refused here by the token alone; what they do with the right token is
 * test/analyze.test.ts's and test/read-through.test.ts's business, against real upstreams.
 */
const MUTATIONS: Record<string, { role: 'writer' | 'admin'; document: string; fromSource?: true }> = {
  putBars: { role: 'writer', document: `mutation { putBars(symbol: "BTC/USDT", timeframe: "1h", bars: [${BAR}]) }` },
  putTicker: { role: 'writer', document: 'mutation { putTicker(ticker: { symbol: "BTC/USDT", last: 2 }) { last } }' },
  putFundingRate: {
    role: 'writer',
    document: 'mutation { putFundingRate(fundingRate: { symbol: "BTC/USDT:USDT", rate: 0.0002 }) { rate } }',
  },
  putFearGreed: {
    role: 'writer',
    document: 'mutation { putFearGreed(fearGreed: { value: 80, classification: "Extreme Greed" }) { value } }',
  },
  putLlmAnalysis: {
    role: 'writer',
    document: `mutation { putLlmAnalysis(analysisType: "sentiment", inputHash: "${HASH}", result: { score: -1 }) { inputHash } }`,
  },
  putTickers: { role: 'writer', document: 'mutation { putTickers(tickers: [{ symbol: "BTC/USDT", last: 2 }, { symbol: "ETH/USDT", last: 3 }]) }' },
  putOrderBook: {
    role: 'writer',
    document: 'mutation { putOrderBook(orderBook: { symbol: "BTC/USDT", bids: [{ price: 1, amount: 1 }], asks: [{ price: 2, amount: 1 }] }) { symbol } }',
  },
  putTrades: { role: 'writer', document: 'mutation { putTrades(symbol: "BTC/USDT", trades: [{ time: "2026-01-01T00:00:00Z", price: 1, amount: 1 }]) }' },
  invalidateOrderBook: { role: 'admin', document: 'mutation { invalidateOrderBook(symbol: "BTC/USDT") { deleted } }' },
  invalidateTrades: { role: 'admin', document: 'mutation { invalidateTrades(symbol: "BTC/USDT") { deleted } }' },
  invalidateKind: { role: 'admin', document: 'mutation { invalidateKind(kind: TICKER) { deleted } }' },
  invalidateBars: { role: 'admin', document: 'mutation { invalidateBars(symbol: "BTC/USDT") { deleted } }' },
  invalidateTicker: { role: 'admin', document: 'mutation { invalidateTicker(symbol: "BTC/USDT") { deleted } }' },
  invalidateFundingRate: { role: 'admin', document: 'mutation { invalidateFundingRate(symbol: "BTC/USDT:USDT") { deleted } }' },
  invalidateFearGreed: { role: 'admin', document: 'mutation { invalidateFearGreed { deleted } }' },
  invalidateLlmAnalysis: { role: 'admin', document: 'mutation { invalidateLlmAnalysis(analysisType: "sentiment") { deleted } }' },
  invalidateSymbol: { role: 'admin', document: 'mutation { invalidateSymbol(symbol: "BTC/USDT") { deleted } }' },
  invalidateAll: { role: 'admin', document: 'mutation { invalidateAll { deleted } }' },
  analyze: { role: 'writer', document: 'mutation { analyze(analysisType: "sentiment", input: "BTC") { result } }', fromSource: true },
  warmCache: { role: 'admin', document: 'mutation { warmCache(symbols: ["BTC/USDT"]) { warmed } }', fromSource: true },
};
const ALL_MUTATIONS = Object.keys(MUTATIONS);
const WRITER_MUTATIONS = ALL_MUTATIONS.filter((field) => MUTATIONS[field]!.role === 'writer' && !MUTATIONS[field]!.fromSource);
const ADMIN_MUTATIONS = ALL_MUTATIONS.filter((field) => MUTATIONS[field]!.role === 'admin');

const QUERIES = [
  '{ bars(symbol: "BTC/USDT", timeframe: "1h") { close } }',
  '{ latestBar(symbol: "BTC/USDT", timeframe: "1h") { close } }',
  '{ ticker(symbol: "BTC/USDT") { last } }',
  '{ tickers(symbols: ["BTC/USDT", "ETH/USDT"]) { last } }',
  '{ fundingRate(symbol: "BTC/USDT:USDT") { rate } }',
  '{ fearGreed { value } }',
  `{ llmAnalysis(analysisType: "sentiment", inputHash: "${HASH}") { result } }`,
  '{ orderBook(symbol: "BTC/USDT") { bids { price } } }',
  '{ trades(symbol: "BTC/USDT") { price } }',
  '{ symbols { symbol kinds } }',
];

const MALFORMED = 'an Authorization header that is not "Bearer <token>"';
const UNKNOWN = 'a token that is not configured';

/** Ways to get a mutation wrong, given the token that would have been right. */
const REFUSALS: Array<{ what: string; header: (token: string) => string | undefined; received: string }> = [
  { what: 'no Authorization header', header: () => undefined, received: 'no Authorization header' },
  { what: 'an empty Authorization header', header: () => '', received: 'no Authorization header' },
  { what: 'a wrong token of the same length', header: (token) => `Bearer ${'x'.repeat(token.length)}`, received: UNKNOWN },
  { what: 'the token with one character more', header: (token) => `Bearer ${token}0`, received: UNKNOWN },
  { what: 'a much shorter token', header: () => 'Bearer abc', received: UNKNOWN },
  { what: 'a prefix of the token', header: (token) => `Bearer ${token.slice(0, -1)}`, received: UNKNOWN },
  { what: 'the token in upper case', header: (token) => `Bearer ${token.toUpperCase()}`, received: UNKNOWN },
  { what: 'a Basic header', header: () => 'Basic xyz', received: MALFORMED },
  { what: 'the bare token with no scheme', header: (token) => token, received: MALFORMED },
  { what: 'the scheme with no token', header: () => 'Bearer', received: MALFORMED },
  { what: 'the token twice', header: (token) => `Bearer ${token} ${token}`, received: MALFORMED },
  { what: 'the token under another scheme', header: (token) => `Token ${token}`, received: MALFORMED },
];

const harness = useRedisGateway();
let probe: Redis;
let store: CacheStore;
let gateway: TestGateway;
beforeAll(() => void ({ probe, store, gateway } = harness));

/** Every kind of value cached, and a key of someone else's, so that any write or delete shows. */
beforeEach(async () => {
  await probe.set('other-app:session', 'keep me');
  for (const field of WRITER_MUTATIONS) {
    const response = await post(gateway, MUTATIONS[field]!.document, `Bearer ${WRITER_TOKEN}`);
    expect(response.errors).toBeUndefined();
  }
  // Values that the refused writes above would overwrite, were they to run.
  await post(gateway, 'mutation { putTicker(ticker: { symbol: "BTC/USDT", last: 1 }) { last } }', `Bearer ${WRITER_TOKEN}`);
});

async function post(target: TestGateway, query: string, authorization?: string): Promise<GraphQLResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== undefined) headers['authorization'] = authorization;
  const response = await target.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers,
    body: JSON.stringify({ query }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

/** Every key with its type and content (TTLs left out: they change by themselves). */
async function redisContents() {
  const keys = (await probe.keys('*')).sort();
  return Promise.all(
    keys.map(async (key) => {
      const type = await probe.type(key);
      const value = type === 'zset' ? await probe.zrange(key, 0, -1, 'WITHSCORES') : await probe.get(key);
      return { key, type, value };
    }),
  );
}

/** Sends `document` and checks that it was refused and left Redis as it found it, without a command. */
async function expectRefused(target: TestGateway, field: string, authorization: string | undefined) {
  const before = await redisContents();
  let response!: GraphQLResponse;
  const commands = await commandsDuring(probe, async () => {
    response = await post(target, MUTATIONS[field]!.document, authorization);
  });
  delete commands['config|resetstat']; // the measurement's own reset

  expect(response.errors).toHaveLength(1);
  expect(response.data?.[field] ?? null).toBeNull();
  expect(commands).toEqual({});
  expect(await redisContents()).toEqual(before);
  const body = JSON.stringify(response);
  expect(body).not.toContain(WRITER_TOKEN);
  expect(body).not.toContain(ADMIN_TOKEN);
  return response.errors![0]!;
}

it('has a case here for every mutation of the schema', () => {
  expect(Object.keys(schema.getMutationType()!.getFields()).sort()).toEqual([...ALL_MUTATIONS].sort());
});

describe.each(['putTicker', 'putBars'])('the writer mutation %s', (field) => {
  it.each(REFUSALS.map((refusal) => [refusal.what, refusal] as const))(
    'refuses %s with UNAUTHENTICATED and changes nothing',
    async (_what, { header, received }) => {
      const error = await expectRefused(gateway, field, header(WRITER_TOKEN));

      expect(error.extensions?.code).toBe('UNAUTHENTICATED');
      expect(error.message).toBe(
        `Mutation.${field}: expected "Authorization: Bearer <WRITER_TOKEN or ADMIN_TOKEN>", received ${received}`,
      );
    },
  );

  it('runs with the writer token', async () => {
    const response = await post(gateway, MUTATIONS[field]!.document, `Bearer ${WRITER_TOKEN}`);
    expect(response.errors).toBeUndefined();
    expect(response.data?.[field]).not.toBeNull();
  });

  it('runs with the admin token', async () => {
    const response = await post(gateway, MUTATIONS[field]!.document, `Bearer ${ADMIN_TOKEN}`);
    expect(response.errors).toBeUndefined();
    expect(response.data?.[field]).not.toBeNull();
  });

  it('takes the Bearer scheme in any case', async () => {
    const response = await post(gateway, MUTATIONS[field]!.document, `bearer ${WRITER_TOKEN}`);
    expect(response.errors).toBeUndefined();
  });
});

describe.each(['invalidateAll', 'invalidateTicker'])('the admin mutation %s', (field) => {
  it.each(REFUSALS.map((refusal) => [refusal.what, refusal] as const))(
    'refuses %s with UNAUTHENTICATED and changes nothing',
    async (_what, { header, received }) => {
      const error = await expectRefused(gateway, field, header(ADMIN_TOKEN));

      expect(error.extensions?.code).toBe('UNAUTHENTICATED');
      expect(error.message).toBe(`Mutation.${field}: expected "Authorization: Bearer <ADMIN_TOKEN>", received ${received}`);
    },
  );

  it('refuses the writer token with FORBIDDEN and changes nothing', async () => {
    const error = await expectRefused(gateway, field, `Bearer ${WRITER_TOKEN}`);

    expect(error.extensions?.code).toBe('FORBIDDEN');
    expect(error.message).toBe(`Mutation.${field}: expected the admin token, received the writer token`);
  });

  it('runs with the admin token', async () => {
    const response = await post(gateway, MUTATIONS[field]!.document, `Bearer ${ADMIN_TOKEN}`);
    expect(response.errors).toBeUndefined();
    expect(response.data?.[field].deleted).toBeGreaterThan(0);
    expect(await probe.get('other-app:session')).toBe('keep me');
  });
});

describe('with no token configured', () => {
  const unguarded = () => testGateway(store, { WRITER_TOKEN: undefined, ADMIN_TOKEN: undefined });

  it.each(ALL_MUTATIONS)('refuses %s, whatever the request sends, saying no token is configured', async (field) => {
    const target = unguarded();
    for (const authorization of [undefined, `Bearer ${WRITER_TOKEN}`, `Bearer ${ADMIN_TOKEN}`]) {
      const error = await expectRefused(target, field, authorization);

      expect(error.extensions?.code).toBe('UNAUTHENTICATED');
      expect(error.message).toContain(`Mutation.${field}: disabled because no token is configured`);
    }
  });

  it('answers every query', async () => {
    const target = unguarded();
    for (const query of QUERIES) {
      const response = await post(target, query);
      expect(response.errors, query).toBeUndefined();
    }
  });
});

describe('with only ADMIN_TOKEN configured', () => {
  const adminOnly = () => testGateway(store, { WRITER_TOKEN: undefined });

  it.each(WRITER_MUTATIONS)('lets the admin token run %s', async (field) => {
    await probe.flushall();
    const response = await post(adminOnly(), MUTATIONS[field]!.document, `Bearer ${ADMIN_TOKEN}`);

    expect(response.errors).toBeUndefined();
    expect(await probe.dbsize()).toBeGreaterThan(0);
  });

  it('refuses the unconfigured writer token with UNAUTHENTICATED', async () => {
    const error = await expectRefused(adminOnly(), 'putTicker', `Bearer ${WRITER_TOKEN}`);

    expect(error.extensions?.code).toBe('UNAUTHENTICATED');
    expect(error.message).toBe(`Mutation.putTicker: expected "Authorization: Bearer <WRITER_TOKEN or ADMIN_TOKEN>", received ${UNKNOWN}`);
  });
});

describe('with only WRITER_TOKEN configured', () => {
  const writerOnly = () => testGateway(store, { ADMIN_TOKEN: undefined });

  it.each(ADMIN_MUTATIONS)('refuses %s with no token, saying no admin token is configured', async (field) => {
    const error = await expectRefused(writerOnly(), field, undefined);

    expect(error.extensions?.code).toBe('UNAUTHENTICATED');
    expect(error.message).toBe(`Mutation.${field}: disabled because no token is configured (set ADMIN_TOKEN)`);
  });

  it('refuses the writer token on an admin mutation with FORBIDDEN', async () => {
    const error = await expectRefused(writerOnly(), 'invalidateAll', `Bearer ${WRITER_TOKEN}`);
    expect(error.extensions?.code).toBe('FORBIDDEN');
  });

  it('lets the writer token write', async () => {
    const response = await post(writerOnly(), MUTATIONS['putFearGreed']!.document, `Bearer ${WRITER_TOKEN}`);
    expect(response.errors).toBeUndefined();
  });
});

it('answers every query with no token', async () => {
  for (const query of QUERIES) {
    const response = await post(gateway, query);
    expect(response.errors, query).toBeUndefined();
    expect(Object.values(response.data ?? {})).not.toContain(undefined);
  }
});

it('never writes a token into a response or a log', async () => {
  const target = testGateway(store);
  const bodies: string[] = [];
  for (const field of ALL_MUTATIONS) {
    for (const token of [WRITER_TOKEN, ADMIN_TOKEN, `${ADMIN_TOKEN}0`, WRITER_TOKEN.slice(0, -1)]) {
      bodies.push(JSON.stringify(await post(target, MUTATIONS[field]!.document, `Bearer ${token}`)));
      bodies.push(JSON.stringify(await post(target, MUTATIONS[field]!.document, token)));
    }
  }
  const everything = [...bodies, ...target.logs.map((line) => JSON.stringify(line))].join('\n');

  expect(target.logs.length).toBeGreaterThan(0);
  expect(everything).not.toContain(WRITER_TOKEN.slice(0, -1));
  expect(everything).not.toContain(ADMIN_TOKEN);
});

describe('the admin query cacheStats', () => {
  const CACHE_STATS = '{ cacheStats { kinds { kind reads keys } } }';

  it.each(REFUSALS.map((refusal) => [refusal.what, refusal] as const))('refuses %s with UNAUTHENTICATED', async (_what, { header, received }) => {
    const response = await post(gateway, CACHE_STATS, header(ADMIN_TOKEN));
    expect(response.data).toEqual({ cacheStats: null });
    expect(response.errors).toEqual([
      expect.objectContaining({ message: `Query.cacheStats: expected "Authorization: Bearer <ADMIN_TOKEN>", received ${received}`, extensions: { code: 'UNAUTHENTICATED' } }),
    ]);
  });

  it('refuses the writer token with FORBIDDEN', async () => {
    const response = await post(gateway, CACHE_STATS, `Bearer ${WRITER_TOKEN}`);
    expect(response.errors).toEqual([
      expect.objectContaining({ message: 'Query.cacheStats: expected the admin token, received the writer token', extensions: { code: 'FORBIDDEN' } }),
    ]);
  });

  it('refuses every request when no admin token is configured', async () => {
    for (const target of [testGateway(store, { ADMIN_TOKEN: undefined }), testGateway(store, { WRITER_TOKEN: undefined, ADMIN_TOKEN: undefined })]) {
      for (const authorization of [undefined, `Bearer ${WRITER_TOKEN}`, `Bearer ${ADMIN_TOKEN}`]) {
        const response = await post(target, CACHE_STATS, authorization);
        expect(response.data).toEqual({ cacheStats: null });
        expect(response.errors?.[0]?.extensions?.code).toMatch(/^(UNAUTHENTICATED|FORBIDDEN)$/);
      }
    }
  });

  it('answers the admin token', async () => {
    const response = await post(gateway, CACHE_STATS, `Bearer ${ADMIN_TOKEN}`);
    expect(response.errors).toBeUndefined();
    expect(response.data?.cacheStats.kinds).toHaveLength(7);
  });
});
