import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { TIMEFRAMES } from '../src/cache/market-types.js';
import { ADMIN_TOKEN, WRITER_TOKEN, type TestGateway } from './support/gateway.js';
import { useRedisGateway } from './support/harness.js';

/**
 * Property: whatever a client puts in the arguments (symbols, timeframes, limits, dates, hashes,
 * JSON payloads), as variables or written into the document, the answer is a result or errors
 * that all say BAD_USER_INPUT: never another code, never a 5xx, never "Unexpected error.", and
 * always within ANSWER_WITHIN_MS. Fixed seeds, so that a failure reproduces; fast-check prints
 * the shrunk counterexample.
 */

const SEED = 20_260_101;
const RUNS = 40;
const ANSWER_WITHIN_MS = 2000;

const harness = useRedisGateway({ flushBeforeEach: false });
let redis: Redis;
let gateway: TestGateway;
beforeAll(() => void ({ probe: redis, gateway } = harness));

/** One field call: each argument with its GraphQL type, for the variables' declarations. */
interface Call {
  operation: 'query' | 'mutation';
  field: string;
  args: Record<string, { type: string; value: unknown }>;
  selection: string;
  token?: string;
}

// --- What a client might send -------------------------------------------------------------
// Mostly values a client could mean, so that calls get through to Redis often; the rest hostile.

/** `valid` five times out of six, `hostile` otherwise. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: hostile });

const HOSTILE_STRINGS = [
  '', ' ', '*', '?', '[', ']', '{BTC}', 'BTC\\USDT', 'BTC/USDT\n', '\u0000', '\ud800', '\udfff', 'A'.repeat(65), '𝔹TC/USDT',
  '__proto__', 'constructor', 'BTC/USDT{x}', '"', '\\', '$', '${x}', 'null', 'NaN', '1e999', '-0', '<script>', 'é'.repeat(40),
];
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(...HOSTILE_STRINGS),
);
/** Anything JSON can carry where a scalar is expected. */
const anyScalar = fc.oneof(anyString, fc.double(), fc.integer(), fc.boolean(), fc.constant(null));
const symbol = mostly(fc.stringMatching(/^[A-Za-z0-9._/:-]{1,64}$/), fc.oneof(anyString, anyScalar));
const timeframe = mostly(fc.constantFrom(...TIMEFRAMES), anyScalar);
const name = mostly(fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/), anyScalar);
const integerish = fc.oneof(
  fc.integer({ min: -5, max: 5005 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1e300, Number.MAX_VALUE),
  anyScalar,
);
const limit = mostly(fc.integer({ min: 1, max: 5000 }), integerish);
const price = fc.double({ min: 0.000_001, max: 1e9, noNaN: true });
const number = mostly(price, fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, 1e308, -1e308, 5e-324), anyScalar));
const validDate = fc.date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2100-01-01') }).map((d) => d.toISOString());
const date = mostly(
  validDate,
  fc.oneof(
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    validDate.map((d) => d.replace('Z', '+05:30')),
    fc.constantFrom('2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-01-01T00:00:00', '2026-01-01', 'yesterday', '+275760-09-13T00:00:00.000Z'),
    anyScalar,
  ),
);
const hex = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: length, maxLength: length });
const inputHash = mostly(hex(64), fc.oneof(hex(63), hex(65), anyScalar));
/** JSON whose object keys are GraphQL names, so that it can also be written as a literal. */
const { json } = fc.letrec((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.oneof(fc.double(), fc.integer()),
    anyString,
    fc.array(tie('json'), { maxLength: 4 }),
    fc.dictionary(fc.stringMatching(/^[_A-Za-z][_0-9A-Za-z]{0,8}$/), tie('json'), { maxKeys: 4 }),
  ),
}));
const payload = mostly(
  fc.dictionary(fc.stringMatching(/^[_A-Za-z][_0-9A-Za-z]{0,8}$/), json, { maxKeys: 6 }),
  fc.oneof(json, fc.jsonValue({ maxDepth: 4 })), // any keys at all: sent as variables (see literal())
);
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
const ttlSeconds = optional(mostly(fc.integer({ min: 1, max: 31_536_000 }), integerish));
/** A bar as an exchange sends it: low <= open, close <= high. */
const validBar = fc
  .tuple(validDate, price, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), price, price)
  .map(([openTime, low, openAt, closeAt, range, volume]) => ({
    openTime,
    open: low + openAt * range,
    high: low + range,
    low,
    close: low + closeAt * range,
    volume,
  }));
const bar = mostly(validBar, fc.record({ openTime: date, open: number, high: number, low: number, close: number, volume: number }));

// --- Calls ---------------------------------------------------------------------------------

const arg = (type: string, value: unknown) => ({ type, value });
const call = (operation: Call['operation'], field: string, selection: string, token?: string) => (args: Call['args']): Call => ({
  operation,
  field,
  args,
  selection,
  token,
});

const CALLS: Record<string, fc.Arbitrary<Call>> = {
  ticker: symbol.map((s) => call('query', 'ticker', '{ symbol last cachedAt }')({ symbol: arg('MarketSymbol!', s) })),
  tickers: fc
    .array(symbol, { maxLength: 6 })
    .map((s) => call('query', 'tickers', '{ symbol last }')({ symbols: arg('[MarketSymbol!]!', s) })),
  fundingRate: symbol.map((s) => call('query', 'fundingRate', '{ rate }')({ symbol: arg('MarketSymbol!', s) })),
  bars: fc
    .tuple(symbol, timeframe, optional(limit), optional(date), optional(date))
    .map(([s, t, limit, since, until]) =>
      call('query', 'bars', '{ openTime close }')({
        symbol: arg('MarketSymbol!', s),
        timeframe: arg('Timeframe!', t),
        limit: arg('Int', limit),
        since: arg('DateTime', since),
        until: arg('DateTime', until),
      }),
    ),
  latestBar: fc
    .tuple(symbol, timeframe)
    .map(([s, t]) => call('query', 'latestBar', '{ close }')({ symbol: arg('MarketSymbol!', s), timeframe: arg('Timeframe!', t) })),
  llmAnalysis: fc
    .tuple(name, fc.oneof(fc.tuple(anyString, fc.constant(undefined)), fc.tuple(fc.constant(undefined), inputHash), fc.tuple(optional(anyString), optional(inputHash))))
    .map(([type, [input, hash]]) =>
      call('query', 'llmAnalysis', '{ inputHash result }')({
        analysisType: arg('String!', type),
        input: arg('String', input),
        inputHash: arg('String', hash),
      }),
    ),
  putTicker: fc
    .tuple(
      fc.record(
        { symbol, last: number, bid: number, ask: number, high24h: number, low24h: number, volume24h: number, changePercent24h: number, time: date },
        { requiredKeys: ['symbol', 'last'] },
      ),
      ttlSeconds,
    )
    .map(([ticker, ttl]) =>
      call('mutation', 'putTicker', '{ symbol last time }', WRITER_TOKEN)({ ticker: arg('TickerInput!', ticker), ttlSeconds: arg('Int', ttl) }),
    ),
  putBars: fc
    .tuple(
      symbol,
      timeframe,
      fc.array(bar, { maxLength: 4 }),
      ttlSeconds,
    )
    .map(([s, t, bars, ttl]) =>
      call('mutation', 'putBars', '', WRITER_TOKEN)({
        symbol: arg('MarketSymbol!', s),
        timeframe: arg('Timeframe!', t),
        bars: arg('[BarInput!]!', bars),
        ttlSeconds: arg('Int', ttl),
      }),
    ),
  putFundingRate: fc
    .tuple(fc.record({ symbol, rate: number, nextFundingTime: date, time: date }, { requiredKeys: ['symbol', 'rate'] }), ttlSeconds)
    .map(([fundingRate, ttl]) =>
      call('mutation', 'putFundingRate', '{ rate }', WRITER_TOKEN)({
        fundingRate: arg('FundingRateInput!', fundingRate),
        ttlSeconds: arg('Int', ttl),
      }),
    ),
  putFearGreed: fc
    .tuple(
      fc.record(
        { value: mostly(fc.integer({ min: 0, max: 100 }), integerish), classification: mostly(fc.constantFrom('Fear', 'Greed'), anyScalar), time: date },
        { requiredKeys: ['value', 'classification'] },
      ),
      ttlSeconds,
    )
    .map(([fearGreed, ttl]) =>
      call('mutation', 'putFearGreed', '{ value classification }', WRITER_TOKEN)({
        fearGreed: arg('FearGreedInput!', fearGreed),
        ttlSeconds: arg('Int', ttl),
      }),
    ),
  putLlmAnalysis: fc
    .tuple(
      name,
      fc.oneof(fc.tuple(anyString, fc.constant(undefined)), fc.tuple(fc.constant(undefined), inputHash), fc.tuple(optional(anyString), optional(inputHash))),
      payload,
      optional(mostly(fc.string({ minLength: 1, maxLength: 30 }), anyScalar)),
      ttlSeconds,
    )
    .map(([type, [input, hash], result, model, ttl]) =>
      call('mutation', 'putLlmAnalysis', '{ inputHash result model }', WRITER_TOKEN)({
        analysisType: arg('String!', type),
        input: arg('String', input),
        inputHash: arg('String', hash),
        result: arg('JSONObject!', result),
        model: arg('String', model),
        ttlSeconds: arg('Int', ttl),
      }),
    ),
  invalidateSymbol: symbol.map((s) => call('mutation', 'invalidateSymbol', '{ deleted }', ADMIN_TOKEN)({ symbol: arg('MarketSymbol!', s) })),
  invalidateLlmAnalysis: fc
    .tuple(name, optional(inputHash))
    .map(([type, hash]) =>
      call('mutation', 'invalidateLlmAnalysis', '{ deleted }', ADMIN_TOKEN)({
        analysisType: arg('String!', type),
        inputHash: arg('String', hash),
      }),
    ),
};

// --- Sending a call ------------------------------------------------------------------------

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A JS value as a GraphQL literal, escaped as JSON escapes it (GraphQL reads the same escapes), or
 * undefined where GraphQL has no way to write it: an object key that is not a name, or a lone
 * surrogate, which JSON escapes but a GraphQL string may not hold.
 */
function literal(value: unknown): string | undefined {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? undefined : JSON.stringify(value);
  const parts: Array<string | undefined> = Array.isArray(value)
    ? value.map(literal)
    : Object.entries(value as object).map(([key, item]) => (GRAPHQL_NAME.test(key) ? `${key}: ${literal(item)}` : undefined));
  if (parts.some((part) => part === undefined || part.endsWith('undefined'))) return undefined;
  return Array.isArray(value) ? `[${parts.join(', ')}]` : `{ ${parts.join(', ')} }`;
}

type Form = 'as variables' | 'as literals';

/** The document and variables of `call`, arguments left undefined being omitted. */
function request({ operation, field, args, selection }: Call, form: Form) {
  const given = Object.entries(args).filter(([, { value }]) => value !== undefined);
  const literals = form === 'as literals' ? given.map(([key, { value }]) => [key, literal(value)] as const) : [];
  if (form === 'as literals' && literals.every(([, text]) => text !== undefined)) {
    return { query: `${operation} { ${field}(${literals.map(([key, text]) => `${key}: ${text}`).join(', ')}) ${selection} }` };
  }
  const declarations = given.map(([key, { type }]) => `$${key}: ${type}`).join(', ');
  const uses = given.map(([key]) => `${key}: $${key}`).join(', ');
  return {
    query: `${operation}${declarations ? `(${declarations})` : ''} { ${field}${uses ? `(${uses})` : ''} ${selection} }`,
    variables: Object.fromEntries(given.map(([key, { value }]) => [key, value])),
  };
}

async function answerOf(call: Call, form: Form) {
  const { query, variables } = request(call, form);
  const started = performance.now();
  const response = await gateway.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(call.token ? { authorization: `Bearer ${call.token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
  });
  const body = (await response.json()) as { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  return { status: response.status, body, elapsedMs: performance.now() - started, query };
}

describe.each(Object.keys(CALLS))('%s', (field) => {
  it.each<Form>(['as variables', 'as literals'])(
    'answers any arguments %s with a result or BAD_USER_INPUT, never a 5xx or an unexpected error, within 2 s',
    async (form) => {
      const logsBefore = gateway.logs.length;
      await fc.assert(
        fc.asyncProperty(CALLS[field]!, async (call) => {
          const { status, body, elapsedMs, query } = await answerOf(call, form);
          const context = `${query} -> ${status} ${JSON.stringify(body).slice(0, 500)}`;
          expect(status, context).toBeLessThan(500);
          expect(elapsedMs, context).toBeLessThan(ANSWER_WITHIN_MS);
          if (body.errors === undefined) {
            expect(body.data?.[field], context).toBeDefined();
          } else {
            expect(body.errors.length, context).toBeGreaterThan(0);
            for (const error of body.errors) {
              expect(error.extensions?.code, context).toBe('BAD_USER_INPUT');
              expect(error.message, context).not.toBe('Unexpected error.');
            }
          }
        }),
        { seed: SEED, numRuns: RUNS },
      );
      // An unexpected error is logged when masked: none may have been.
      expect(gateway.logs.slice(logsBefore).filter((entry) => Number(entry.level) >= 50)).toEqual([]);
    },
  );
});
