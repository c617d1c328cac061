import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, WRITER_TOKEN, type GraphQLResponse, type TestGateway } from './support/gateway.js';
import { useRedisGateway } from './support/harness.js';
import { commandsDuring } from './support/redis-server.js';
import { DEFAULTS } from '../src/defaults.js';

/**
 * One field call with the argument under test. Every case runs twice: with that argument written
 * inline in the document, and passed as a variable of the same name. The other arguments are
 * always inline, and always fine.
 */
interface Call {
  operation: 'query' | 'mutation';
  field: string;
  args: Record<string, unknown>;
  arg: string;
  /** The argument's GraphQL type, for the variable's declaration. */
  type: string;
  value: unknown;
  /** Mutations carry a token that may run them, so that auth is never what rejects them. */
  token?: string;
  /** The forms this call is sent in; both by default. A literal past MAX_TOKENS is sent as a variable only. */
  forms?: readonly Form[];
}

interface BadInput extends Call {
  what: string;
  /** How the message names the argument: `limit`, `bars[0].high`, `ticker.volume24h`. */
  argument: string;
  expected: string;
  received: string;
}

interface ValidEdge extends Call {
  what: string;
  check(data: Record<string, any>): void | Promise<void>;
}

const FORMS = ['as a literal', 'as a variable'] as const;
type Form = (typeof FORMS)[number];

const SELECTIONS: Record<string, string> = {
  bars: '{ openTime close }',
  latestBar: '{ close }',
  ticker: '{ symbol last }',
  tickers: '{ symbol }',
  fundingRate: '{ symbol rate }',
  llmAnalysis: '{ inputHash result }',
  putTicker: '{ symbol last volume24h }',
  putFundingRate: '{ symbol rate }',
  putFearGreed: '{ value classification }',
  putLlmAnalysis: '{ inputHash result }',
  invalidateBars: '{ deleted }',
  invalidateSymbol: '{ deleted }',
  invalidateLlmAnalysis: '{ deleted }',
};

/** A JS value as a GraphQL literal: strings quoted, object keys bare. */
function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{ ${Object.entries(value).map(([key, item]) => `${key}: ${literal(item)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

function operationOf(call: Call, form: Form) {
  const inline = Object.entries(call.args).map(([name, value]) => `${name}: ${literal(value)}`);
  const tested = form === 'as a literal' ? `${call.arg}: ${literal(call.value)}` : `${call.arg}: $${call.arg}`;
  const header = form === 'as a literal' ? call.operation : `${call.operation}($${call.arg}: ${call.type})`;
  const query = `${header} { ${call.field}(${[...inline, tested].join(', ')}) ${SELECTIONS[call.field] ?? ''} }`;
  return { query, variables: form === 'as a variable' ? { [call.arg]: call.value } : undefined };
}

// Builders for the tables: who calls which field with which fine arguments, the argument under
// test, and what the error must say about it.
const query = (field: string, args: Record<string, unknown> = {}) => ({ operation: 'query' as const, field, args });
const writer = (field: string, args: Record<string, unknown> = {}) => ({
  operation: 'mutation' as const, field, args, token: WRITER_TOKEN,
});
const admin = (field: string, args: Record<string, unknown> = {}) => ({
  operation: 'mutation' as const, field, args, token: ADMIN_TOKEN,
});
const given = (arg: string, type: string, value: unknown) => ({ arg, type, value });
const says = (argument: string, expected: string, received: string) => ({ argument, expected, received });

const HOUR_MS = 3_600_000;
const BAR = { openTime: '2026-01-01T00:00:00Z', open: 100, high: 110, low: 90, close: 105, volume: 3.5 };
const hourlyBars = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ ...BAR, openTime: new Date(Date.UTC(2026, 0, 1) + i * HOUR_MS).toISOString() }));
const symbolsOf = (count: number) => Array.from({ length: count }, (_, i) => `SYM${i}/USDT`);
const HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const SERIES = { symbol: 'BTC/USDT', timeframe: '1h' };
const TICKER = { symbol: 'BTC/USDT', last: 1 };
const ANALYSIS = { analysisType: 'sentiment' };
const RESULT = { result: { score: 1 } };

const SYMBOL_RULE = 'a MarketSymbol: 1-64 characters of A-Z a-z 0-9 . _ / : -';
const TIMEFRAME_RULE = 'a Timeframe: one of 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M';
const DATETIME_RULE = 'a DateTime: an RFC 3339 date-time with a time zone';
const NAME_RULE = '1-64 characters of A-Z a-z 0-9 . _ -';
const TTL_RULE = 'an integer from 1 to 31536000';
const HASH_RULE = 'a SHA-256 digest as 64 hex characters';
const ONE_OF_INPUTS = 'exactly one of input or inputHash';
const WITHIN_BAR = 'between low (90) and high (110)';

const badSymbols: BadInput[] = [
  { what: 'an empty symbol', ...query('ticker'), ...given('symbol', 'MarketSymbol!', ''), ...says('symbol', SYMBOL_RULE, '""') },
  {
    what: 'a symbol of 65 characters',
    ...query('ticker'),
    ...given('symbol', 'MarketSymbol!', 'A'.repeat(65)),
    ...says('symbol', SYMBOL_RULE, `"${'A'.repeat(65)}"`),
  },
  {
    what: 'a symbol with a space',
    ...query('fundingRate'),
    ...given('symbol', 'MarketSymbol!', 'BTC USDT'),
    ...says('symbol', SYMBOL_RULE, '"BTC USDT"'),
  },
  {
    what: 'a symbol with a backslash',
    ...query('bars', { timeframe: '1h' }),
    ...given('symbol', 'MarketSymbol!', 'BTC\\USDT'),
    ...says('symbol', SYMBOL_RULE, '"BTC\\\\USDT"'),
  },
  {
    what: 'a bad symbol in the middle of a list',
    ...query('tickers'),
    ...given('symbols', '[MarketSymbol!]!', ['BTC/USDT', 'ETH USDT', 'SOL/USDT']),
    ...says('symbols[1]', SYMBOL_RULE, '"ETH USDT"'),
  },
  {
    what: "a ticker's bad symbol",
    ...writer('putTicker'),
    ...given('ticker', 'TickerInput!', { symbol: 'BTC USDT', last: 1 }),
    ...says('ticker.symbol', SYMBOL_RULE, '"BTC USDT"'),
  },
  {
    what: 'a bad symbol to putBars',
    ...writer('putBars', { timeframe: '1h', bars: [BAR] }),
    ...given('symbol', 'MarketSymbol!', 'ETH/USDT!'),
    ...says('symbol', SYMBOL_RULE, '"ETH/USDT!"'),
  },
];

// A symbol goes verbatim into a key's hash tag and, for invalidations, next to a SCAN pattern.
const globAndHashTagSymbols: BadInput[] = ['*', '?', '[', ']', '{', '}'].flatMap((char): BadInput[] => [
  {
    what: `a symbol containing ${char} to a query`,
    ...query('ticker'),
    ...given('symbol', 'MarketSymbol!', `BTC${char}USDT`),
    ...says('symbol', SYMBOL_RULE, `"BTC${char}USDT"`),
  },
  {
    what: `a symbol containing ${char} to invalidateSymbol`,
    ...admin('invalidateSymbol'),
    ...given('symbol', 'MarketSymbol!', `BTC${char}`),
    ...says('symbol', SYMBOL_RULE, `"BTC${char}"`),
  },
  {
    what: `a funding rate whose symbol contains ${char}`,
    ...writer('putFundingRate'),
    ...given('fundingRate', 'FundingRateInput!', { symbol: `${char}BTC`, rate: 0.0001 }),
    ...says('fundingRate.symbol', SYMBOL_RULE, `"${char}BTC"`),
  },
]);

const badAnalysisTypes: BadInput[] = [
  {
    what: 'an analysisType containing *',
    ...query('llmAnalysis', { inputHash: HASH }),
    ...given('analysisType', 'String!', 'sentiment*'),
    ...says('analysisType', NAME_RULE, '"sentiment*"'),
  },
  {
    what: 'an analysisType containing { and } to invalidateLlmAnalysis',
    ...admin('invalidateLlmAnalysis'),
    ...given('analysisType', 'String!', 'senti{ment}'),
    ...says('analysisType', NAME_RULE, '"senti{ment}"'),
  },
];

const badTimeframes: BadInput[] = [
  {
    what: 'a timeframe of 2m',
    ...query('bars', { symbol: 'BTC/USDT' }),
    ...given('timeframe', 'Timeframe!', '2m'),
    ...says('timeframe', TIMEFRAME_RULE, '"2m"'),
  },
  {
    what: 'a timeframe of 1H (hours are lower case)',
    ...query('bars', { symbol: 'BTC/USDT' }),
    ...given('timeframe', 'Timeframe!', '1H'),
    ...says('timeframe', TIMEFRAME_RULE, '"1H"'),
  },
  {
    what: 'an empty timeframe',
    ...query('latestBar', { symbol: 'BTC/USDT' }),
    ...given('timeframe', 'Timeframe!', ''),
    ...says('timeframe', TIMEFRAME_RULE, '""'),
  },
  {
    what: 'a timeframe of hourly to invalidateBars',
    ...admin('invalidateBars', { symbol: 'BTC/USDT' }),
    ...given('timeframe', 'Timeframe', 'hourly'),
    ...says('timeframe', TIMEFRAME_RULE, '"hourly"'),
  },
  {
    what: 'a timeframe of 60m to putBars',
    ...writer('putBars', { symbol: 'BTC/USDT', bars: [BAR] }),
    ...given('timeframe', 'Timeframe!', '60m'),
    ...says('timeframe', TIMEFRAME_RULE, '"60m"'),
  },
];

const { maxBarsLimit, maxSymbols, maxBarsPerWrite } = DEFAULTS.fields;

const badLimits: BadInput[] = [0, -1, maxBarsLimit + 1].map((limit) => ({
  what: `a limit of ${limit}`,
  ...query('bars', SERIES),
  ...given('limit', 'Int', limit),
  ...says('limit', `an integer from 1 to ${maxBarsLimit}`, String(limit)),
}));

const badInputChoices: BadInput[] = [
  {
    what: 'both input and inputHash to llmAnalysis',
    ...query('llmAnalysis', { ...ANALYSIS, input: 'BTC news' }),
    ...given('inputHash', 'String', HASH),
    ...says('input', ONE_OF_INPUTS, '"both"'),
  },
  {
    what: 'neither input nor inputHash to llmAnalysis',
    ...query('llmAnalysis', ANALYSIS),
    ...given('inputHash', 'String', null),
    ...says('input', ONE_OF_INPUTS, '"neither"'),
  },
  {
    what: 'both input and inputHash to putLlmAnalysis',
    ...writer('putLlmAnalysis', { ...ANALYSIS, inputHash: HASH, ...RESULT }),
    ...given('input', 'String', 'BTC news'),
    ...says('input', ONE_OF_INPUTS, '"both"'),
  },
  {
    what: 'neither input nor inputHash to putLlmAnalysis',
    ...writer('putLlmAnalysis', { ...ANALYSIS, ...RESULT }),
    ...given('input', 'String', null),
    ...says('input', ONE_OF_INPUTS, '"neither"'),
  },
];

const badInputHashes: BadInput[] = [
  {
    what: 'an inputHash of 63 hex characters',
    ...query('llmAnalysis', ANALYSIS),
    ...given('inputHash', 'String', HASH.slice(1)),
    ...says('inputHash', HASH_RULE, `"${HASH.slice(1)}"`),
  },
  {
    what: 'an inputHash of 65 hex characters',
    ...query('llmAnalysis', ANALYSIS),
    ...given('inputHash', 'String', `${HASH}0`),
    ...says('inputHash', HASH_RULE, `"${HASH}0"`),
  },
  {
    what: 'an inputHash of 64 characters that are not all hex',
    ...writer('putLlmAnalysis', { ...ANALYSIS, ...RESULT }),
    ...given('inputHash', 'String', `g${HASH.slice(1)}`),
    ...says('inputHash', HASH_RULE, `"g${HASH.slice(1)}"`),
  },
  {
    what: 'an empty inputHash to invalidateLlmAnalysis',
    ...admin('invalidateLlmAnalysis', ANALYSIS),
    ...given('inputHash', 'String', ''),
    ...says('inputHash', HASH_RULE, '""'),
  },
];

const putBars = (bars: unknown[]) => ({ ...writer('putBars', SERIES), ...given('bars', '[BarInput!]!', bars) });

const badPrices: BadInput[] = [
  {
    what: 'a bar whose high is below its low',
    ...putBars([BAR, { ...BAR, high: 80, low: 90, open: 85, close: 85 }]),
    ...says('bars[1].high', 'at least low (90)', '80'),
  },
  { what: 'a bar that opens above its high', ...putBars([{ ...BAR, open: 111 }]), ...says('bars[0].open', WITHIN_BAR, '111') },
  { what: 'a bar that opens below its low', ...putBars([{ ...BAR, open: 89.5 }]), ...says('bars[0].open', WITHIN_BAR, '89.5') },
  { what: 'a bar that closes above its high', ...putBars([{ ...BAR, close: 120 }]), ...says('bars[0].close', WITHIN_BAR, '120') },
  { what: 'a bar that closes below its low', ...putBars([{ ...BAR, close: 1 }]), ...says('bars[0].close', WITHIN_BAR, '1') },
  {
    what: 'a ticker whose high24h is below its low24h',
    ...writer('putTicker'),
    ...given('ticker', 'TickerInput!', { ...TICKER, high24h: 1, low24h: 2 }),
    ...says('ticker.high24h', 'at least ticker.low24h (2)', '1'),
  },
];

const badVolumes: BadInput[] = [
  {
    what: 'a bar with a negative volume',
    ...putBars([{ ...BAR, volume: -1 }]),
    ...says('bars[0].volume', 'a finite number >= 0', '-1'),
  },
  {
    what: 'a ticker with a negative volume24h',
    ...writer('putTicker'),
    ...given('ticker', 'TickerInput!', { ...TICKER, volume24h: -0.5 }),
    ...says('ticker.volume24h', 'a finite number >= 0', '-0.5'),
  },
];

const badCounts: BadInput[] = [
  {
    what: `${maxSymbols + 1} symbols to tickers`,
    ...query('tickers'),
    ...given('symbols', '[MarketSymbol!]!', symbolsOf(maxSymbols + 1)),
    ...says('symbols', `at most ${maxSymbols} symbols`, String(maxSymbols + 1)),
  },
  {
    what: `${maxBarsPerWrite + 1} bars in one putBars`,
    ...putBars(hourlyBars(maxBarsPerWrite + 1)),
    ...says('bars', `at most ${maxBarsPerWrite} bars per call`, String(maxBarsPerWrite + 1)),
    forms: ['as a variable'],
  },
];

const badFearGreed: BadInput[] = [-1, 101].map((value) => ({
  what: `a Fear & Greed value of ${value}`,
  ...writer('putFearGreed'),
  ...given('fearGreed', 'FearGreedInput!', { value, classification: 'Fear' }),
  ...says('fearGreed.value', 'an integer from 0 to 100', String(value)),
}));

const badTtls: BadInput[] = [
  { what: 'a ttlSeconds of 0 to putTicker', ...writer('putTicker', { ticker: TICKER }), value: 0 },
  { what: 'a ttlSeconds of 31536001 to putBars', ...writer('putBars', { ...SERIES, bars: [BAR] }), value: 31_536_001 },
  {
    what: 'a negative ttlSeconds to putFundingRate',
    ...writer('putFundingRate', { fundingRate: { symbol: 'BTC/USDT:USDT', rate: 0.0001 } }),
    value: -60,
  },
  {
    what: 'a ttlSeconds of 0 to putFearGreed',
    ...writer('putFearGreed', { fearGreed: { value: 50, classification: 'Neutral' } }),
    value: 0,
  },
  {
    what: 'a ttlSeconds of 31536001 to putLlmAnalysis',
    ...writer('putLlmAnalysis', { ...ANALYSIS, inputHash: HASH, ...RESULT }),
    value: 31_536_001,
  },
].map(({ value, ...call }) => ({ ...call, ...given('ttlSeconds', 'Int', value), ...says('ttlSeconds', TTL_RULE, String(value)) }));

const badTimes: BadInput[] = [
  {
    what: 'a since after until',
    ...query('bars', { ...SERIES, until: '2026-01-01T00:00:00Z' }),
    ...given('since', 'DateTime', '2026-01-01T00:00:01Z'),
    ...says('since', 'a time at or before until (2026-01-01T00:00:00.000Z)', '2026-01-01T00:00:01.000Z'),
  },
  {
    what: 'a since that is not a date',
    ...query('bars', SERIES),
    ...given('since', 'DateTime', 'yesterday'),
    ...says('since', DATETIME_RULE, '"yesterday"'),
  },
  {
    what: 'an until with no time zone',
    ...query('bars', SERIES),
    ...given('until', 'DateTime', '2026-01-01T00:00:00'),
    ...says('until', DATETIME_RULE, '"2026-01-01T00:00:00"'),
  },
  {
    what: 'a bar opening in month 13',
    ...putBars([{ ...BAR, openTime: '2026-13-01T00:00:00Z' }]),
    ...says('bars[0].openTime', DATETIME_RULE, '"2026-13-01T00:00:00Z"'),
  },
  {
    what: 'a ticker time of now',
    ...writer('putTicker'),
    ...given('ticker', 'TickerInput!', { ...TICKER, time: 'now' }),
    ...says('ticker.time', DATETIME_RULE, '"now"'),
  },
];

const badObjects: BadInput[] = [
  { what: 'a list as an analysis result', value: [1, 2], received: '[1,2]' },
  { what: 'a string as an analysis result', value: 'bullish', received: '"bullish"' },
  { what: 'a number as an analysis result', value: 42, received: '42' },
].map(({ what, value, received }) => ({
  what,
  ...writer('putLlmAnalysis', { ...ANALYSIS, inputHash: HASH }),
  ...given('result', 'JSONObject!', value),
  ...says('result', 'a JSON object', received),
}));

const badText: BadInput[] = [
  {
    what: 'a blank Fear & Greed classification',
    ...writer('putFearGreed'),
    ...given('fearGreed', 'FearGreedInput!', { value: 50, classification: '   ' }),
    ...says('fearGreed.classification', '1-64 characters, not all white space', '"   "'),
  },
];

const BAD_INPUTS: BadInput[] = [
  ...badSymbols,
  ...globAndHashTagSymbols,
  ...badAnalysisTypes,
  ...badTimeframes,
  ...badLimits,
  ...badInputChoices,
  ...badInputHashes,
  ...badPrices,
  ...badVolumes,
  ...badCounts,
  ...badFearGreed,
  ...badTtls,
  ...badTimes,
  ...badObjects,
  ...badText,
];

const VALID_EDGES: ValidEdge[] = [
  ...[1, maxBarsLimit].map((limit) => ({
    what: `a limit of ${limit}`,
    ...query('bars', SERIES),
    ...given('limit', 'Int', limit),
    check: (data: Record<string, any>) => expect(data.bars).toEqual([]),
  })),
  {
    what: 'a since equal to until',
    ...query('bars', { ...SERIES, until: '2026-01-01T00:00:00Z' }),
    ...given('since', 'DateTime', '2026-01-01T00:00:00Z'),
    check: (data) => expect(data.bars).toEqual([]),
  },
  {
    what: `exactly ${maxSymbols} symbols`,
    ...query('tickers'),
    ...given('symbols', '[MarketSymbol!]!', symbolsOf(maxSymbols)),
    check: (data) => expect(data.tickers).toEqual(Array(maxSymbols).fill(null)),
  },
  ...[0, 100].map((value) => ({
    what: `a Fear & Greed value of ${value}`,
    ...writer('putFearGreed'),
    ...given('fearGreed', 'FearGreedInput!', { value, classification: value === 0 ? 'Extreme Fear' : 'Extreme Greed' }),
    check: (data: Record<string, any>) => expect(data.putFearGreed.value).toBe(value),
  })),
  ...['A'.repeat(64), 'BTC/USDT:USDT', '7203', 'BRK.B', 'btc_usdt-perp'].map((symbol) => ({
    what: symbol.length === 64 ? 'a symbol of 64 characters' : `the symbol ${symbol}`,
    ...writer('putTicker'),
    ...given('ticker', 'TickerInput!', { symbol, last: 1 }),
    check: (data: Record<string, any>) => expect(data.putTicker.symbol).toBe(symbol),
  })),
  ...['1m', '1M'].map((timeframe) => ({
    what: `the timeframe ${timeframe}`,
    ...writer('putBars', { symbol: 'BTC/USDT', bars: [BAR] }),
    ...given('timeframe', 'Timeframe!', timeframe),
    check: (data: Record<string, any>) => expect(data.putBars).toBe(1),
  })),
  ...[1, 31_536_000].map((ttlSeconds) => ({
    what: `a ttlSeconds of ${ttlSeconds}`,
    ...writer('putTicker', { ticker: TICKER }),
    ...given('ttlSeconds', 'Int', ttlSeconds),
    async check() {
      const ttlMs = await probe.pttl('mdc:v1:ticker:{BTC/USDT}');
      expect(ttlMs).toBeGreaterThan(ttlSeconds * 1000 - 5000);
      expect(ttlMs).toBeLessThanOrEqual(ttlSeconds * 1000);
    },
  })),
  {
    what: 'a bar opening at its low and closing at its high with no volume',
    ...putBars([{ ...BAR, open: 90, close: 110, volume: 0 }]),
    check: (data) => expect(data.putBars).toBe(1),
  },
  {
    what: `exactly ${maxBarsPerWrite} bars in one putBars`,
    ...putBars(hourlyBars(maxBarsPerWrite)),
    check: (data) => expect(data.putBars).toBe(maxBarsPerWrite),
    forms: ['as a variable'],
  },
  {
    what: 'an upper-case hex inputHash, stored lower-cased',
    ...writer('putLlmAnalysis', { ...ANALYSIS, result: { score: 0.7 } }),
    ...given('inputHash', 'String', HASH.toUpperCase()),
    async check(data) {
      expect(data.putLlmAnalysis.inputHash).toBe(HASH);
      expect(await probe.exists(`mdc:v1:llm:{sentiment}:${HASH}`)).toBe(1);
    },
  },
];

const harness = useRedisGateway();
let probe: Redis;
let gateway: TestGateway;
beforeAll(() => void ({ probe, gateway } = harness));

async function send(call: Call, form: Form) {
  const { query, variables } = operationOf(call, form);
  let response!: GraphQLResponse;
  const commands = await commandsDuring(probe, async () => {
    response = await gateway.gql(query, variables, call.token);
  });
  return { response, commands };
}

/** Each case in both forms, as `[test name, case]` rows: `%s` prints the name as written. */
function inBothForms<T extends Call & { what: string }>(cases: T[], sentence: (what: string, form: Form) => string) {
  return cases.flatMap((c) => (c.forms ?? FORMS).map((form) => [sentence(c.what, form), { ...c, form }] as const));
}

describe('bad input', () => {
  it.each(inBothForms(BAD_INPUTS, (what, form) => `rejects ${what} ${form} before any command reaches Redis`))(
    '%s',
    async (_name, { form, argument, expected, received, ...call }) => {
      const { response, commands } = await send(call, form);

      expect(response.errors).toHaveLength(1);
      const [error] = response.errors!;
      expect(error!.extensions?.code).toBe('BAD_USER_INPUT');
      expect(response.data?.[call.field] ?? null).toBeNull();
      expect(commands).toEqual({});
      expect(await probe.dbsize()).toBe(0);

      // Inline, graphql-js knows only the type; the message must say which argument it was.
      // As a variable, it names the variable, and the path inside it for a nested value.
      const namesIt =
        error!.message.startsWith(`${argument}: expected `) ||
        (form === 'as a variable' &&
          error!.message.startsWith(`Variable "$${call.arg}" got invalid value `) &&
          (argument === call.arg || error!.message.includes(`at "${argument}"`)));
      expect(namesIt, `"${error!.message}" should name ${argument}`).toBe(true);
      expect(error!.message).toContain(`expected ${expected}`);
      expect(error!.message).toContain(`received ${received}`);
    },
  );
});

describe('valid edges', () => {
  it.each(inBothForms(VALID_EDGES, (what, form) => `accepts ${what} ${form}`))('%s', async (_name, { form, check, ...call }) => {
    const { response, commands } = await send(call, form);

    expect(response.errors).toBeUndefined();
    await check(response.data!);
    // The same measurement sees the commands of a request that gets through.
    expect(Object.keys(commands).length).toBeGreaterThan(0);
  });
});

describe('a literal symbol that is not a quoted string', () => {
  it.each(['7203', 'BTC'])('rejects symbol: %s before any command reaches Redis', async (text) => {
    let response!: GraphQLResponse;
    const commands = await commandsDuring(probe, async () => {
      response = await gateway.gql(`{ ticker(symbol: ${text}) { last } }`);
    });
    expect(response.errors).toEqual([
      expect.objectContaining({
        message: `symbol: expected ${SYMBOL_RULE} (e.g. "BTC/USDT") as a quoted string, received ${text}`,
        extensions: { code: 'BAD_USER_INPUT' },
      }),
    ]);
    expect(commands).toEqual({});
  });
});
