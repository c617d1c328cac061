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
  /**
   * How the message names the argument: `limit`, `bars[0].high`, `ticker.volume24h`; a pattern
   * where either of two arguments may be named (a crossed book: its best bid or its best ask).
   */
  argument: string | RegExp;
  expected: string;
  /**
   * How the message shows the value received; a pattern where the two forms show it differently (an
   * enum value is bare in a literal, a string in a variable).
   */
  received: string | RegExp;
}

interface ValidEdge extends Call {
  what: string;
  check(data: Record<string, any>): void | Promise<void>;
  /** Answered without asking Redis (a kind that has no symbols has nothing to look up). */
  answeredWithoutRedis?: true;
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
  orderBook: '{ symbol bids { price amount } }',
  trades: '{ time price }',
  symbols: '{ symbol kinds }',
  putOrderBook: '{ symbol }',
  invalidateOrderBook: '{ deleted }',
  invalidateTrades: '{ deleted }',
  invalidateKind: '{ deleted }',
};

/** An enum value: bare in a literal (`kind: TICKER`), a string in variables. */
class EnumValue {
  constructor(readonly name: string) {}
  toJSON() {
    return this.name;
  }
}
const enumValue = (name: string) => new EnumValue(name);

/** A JS value as a GraphQL literal: strings quoted, object keys bare, enum values bare. */
function literal(value: unknown): string {
  if (value instanceof EnumValue) return value.name;
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
const says = (argument: string | RegExp, expected: string, received: string | RegExp) => ({
  argument,
  expected,
  received,
});

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

// Order books, trades, symbols and putTickers.
const MAX_DEPTH = 1000;
const MAX_TRADES_LIMIT = 1000;
const MAX_LEVELS = 5000;
const MAX_TRADES_PER_WRITE = 5000;
const MAX_TICKERS_PER_WRITE = 500;
const BOOK = { symbol: 'BTC/USDT', bids: [{ price: 99, amount: 1 }], asks: [{ price: 101, amount: 1 }] };
const TRADE = { id: 't1', time: '2026-01-01T00:00:00Z', price: 100, amount: 0.5, side: enumValue('SELL') };
const levels = (count: number, from: number, step: number) => Array.from({ length: count }, (_, i) => ({ price: from + i * step, amount: 1 }));
const tradesOf = (count: number) => Array.from({ length: count }, (_, i) => ({ ...TRADE, id: `t${i}` }));
const tickersOf = (count: number) => symbolsOf(count).map((symbol) => ({ symbol, last: 1 }));
const MARKET_TIME_RULE = 'a time from 1970-01-01T00:00:00.000Z to one day ahead of now';

const putOrderBook = (orderBook: unknown) => ({ ...writer('putOrderBook'), ...given('orderBook', 'OrderBookInput!', orderBook) });
const putTrades = (trades: unknown[]) => ({ ...writer('putTrades', { symbol: 'BTC/USDT' }), ...given('trades', '[TradeInput!]!', trades) });
const putTickers = (tickers: unknown[]) => ({ ...writer('putTickers'), ...given('tickers', '[TickerInput!]!', tickers) });

const badOrderBookReads: BadInput[] = [
  ...[0, -1, MAX_DEPTH + 1].map((depth) => ({
    what: `a depth of ${depth}`,
    ...query('orderBook', { symbol: 'BTC/USDT' }),
    ...given('depth', 'Int', depth),
    ...says('depth', `an integer from 1 to ${MAX_DEPTH}`, String(depth)),
  })),
  {
    what: 'a bad symbol to orderBook',
    ...query('orderBook'),
    ...given('symbol', 'MarketSymbol!', 'BTC USDT'),
    ...says('symbol', SYMBOL_RULE, '"BTC USDT"'),
  },
];

const badTradeReads: BadInput[] = [
  ...[0, -1, MAX_TRADES_LIMIT + 1].map((limit) => ({
    what: `a trades limit of ${limit}`,
    ...query('trades', { symbol: 'BTC/USDT' }),
    ...given('limit', 'Int', limit),
    ...says('limit', `an integer from 1 to ${MAX_TRADES_LIMIT}`, String(limit)),
  })),
  {
    what: 'a trades since that is not a date',
    ...query('trades', { symbol: 'BTC/USDT' }),
    ...given('since', 'DateTime', 'yesterday'),
    ...says('since', DATETIME_RULE, '"yesterday"'),
  },
  {
    what: 'a bad symbol to trades',
    ...query('trades'),
    ...given('symbol', 'MarketSymbol!', 'BTC*'),
    ...says('symbol', SYMBOL_RULE, '"BTC*"'),
  },
];

const badKinds: BadInput[] = [
  {
    what: 'a kind that is not a CacheKind to symbols',
    ...query('symbols'),
    ...given('kind', 'CacheKind', enumValue('TICKERS')),
    ...says('kind', 'a CacheKind: one of BARS FEAR_GREED FUNDING_RATE LLM_ANALYSIS ORDER_BOOK TICKER TRADES', /received "?TICKERS"?/),
  },
  {
    what: 'a kind that is not a CacheKind to invalidateKind',
    ...admin('invalidateKind'),
    ...given('kind', 'CacheKind!', enumValue('EVERYTHING')),
    ...says('kind', 'a CacheKind: one of BARS FEAR_GREED FUNDING_RATE LLM_ANALYSIS ORDER_BOOK TICKER TRADES', /received "?EVERYTHING"?/),
  },
];

const badOrderBooks: BadInput[] = [
  {
    what: "an order book's bad symbol",
    ...putOrderBook({ ...BOOK, symbol: 'BTC USDT' }),
    ...says('orderBook.symbol', SYMBOL_RULE, '"BTC USDT"'),
  },
  {
    what: `${MAX_LEVELS + 1} bids`,
    ...putOrderBook({ ...BOOK, bids: levels(MAX_LEVELS + 1, 1, 0.01).reverse() }),
    ...says('orderBook.bids', `at most ${MAX_LEVELS} levels`, String(MAX_LEVELS + 1)),
    forms: ['as a variable'],
  },
  {
    what: `${MAX_LEVELS + 1} asks`,
    ...putOrderBook({ ...BOOK, asks: levels(MAX_LEVELS + 1, 101, 0.01) }),
    ...says('orderBook.asks', `at most ${MAX_LEVELS} levels`, String(MAX_LEVELS + 1)),
    forms: ['as a variable'],
  },
  {
    what: 'a bid at a price of 0',
    ...putOrderBook({ ...BOOK, bids: [{ price: 99, amount: 1 }, { price: 0, amount: 1 }] }),
    ...says('orderBook.bids[1].price', 'a price > 0', '0'),
  },
  {
    what: 'a bid at a negative price',
    ...putOrderBook({ ...BOOK, bids: [{ price: 99, amount: 1 }, { price: -98, amount: 1 }] }),
    ...says('orderBook.bids[1].price', 'a price > 0', '-98'),
  },
  {
    what: 'an ask at a price of 0',
    ...putOrderBook({ ...BOOK, bids: [], asks: [{ price: 0, amount: 1 }] }),
    ...says('orderBook.asks[0].price', 'a price > 0', '0'),
  },
  {
    what: 'two bids at one price',
    ...putOrderBook({ ...BOOK, bids: [{ price: 99, amount: 1 }, { price: 99, amount: 2 }] }),
    ...says('orderBook.bids[1].price', 'a price not already on the bids side', '99'),
  },
  {
    what: 'two asks at one price, apart in the list',
    ...putOrderBook({ ...BOOK, asks: [{ price: 101, amount: 1 }, { price: 102, amount: 1 }, { price: 101, amount: 3 }] }),
    // Either of the two may be named, as the client sent them (not as the gateway sorts them).
    ...says(/^orderBook\.asks\[[02]\]\.price: expected /, 'a price not already on the asks side', '101'),
  },
  {
    what: 'an ask with a negative amount',
    ...putOrderBook({ ...BOOK, asks: [{ price: 101, amount: -1 }] }),
    ...says('orderBook.asks[0].amount', 'a finite number >= 0', '-1'),
  },
  {
    what: 'a crossed book (best bid above best ask)',
    ...putOrderBook({ ...BOOK, bids: [{ price: 99, amount: 1 }, { price: 102, amount: 1 }], asks: [{ price: 101, amount: 1 }] }),
    ...says(/^orderBook\.(bids|asks)\[\d+\]\.price: expected /, 'a best bid below the best ask (101): the book is crossed', '102'),
  },
  {
    what: 'a locked book (best bid equal to best ask)',
    ...putOrderBook({ ...BOOK, bids: [{ price: 101, amount: 1 }], asks: [{ price: 101, amount: 1 }, { price: 102, amount: 1 }] }),
    ...says(/^orderBook\.(bids|asks)\[\d+\]\.price: expected /, 'a best bid below the best ask (101): the book is crossed', '101'),
  },
  {
    what: 'a ttlSeconds of 0 to putOrderBook',
    ...writer('putOrderBook', { orderBook: BOOK }),
    ...given('ttlSeconds', 'Int', 0),
    ...says('ttlSeconds', TTL_RULE, '0'),
  },
];

const badTrades: BadInput[] = [
  {
    what: `${MAX_TRADES_PER_WRITE + 1} trades in one putTrades`,
    ...putTrades(tradesOf(MAX_TRADES_PER_WRITE + 1)),
    ...says('trades', `at most ${MAX_TRADES_PER_WRITE} trades per call`, String(MAX_TRADES_PER_WRITE + 1)),
    forms: ['as a variable'],
  },
  {
    what: 'a trade before 1970',
    ...putTrades([{ ...TRADE, time: '1969-12-31T23:59:59Z' }]),
    ...says('trades[0].time', MARKET_TIME_RULE, '1969-12-31T23:59:59.000Z'),
  },
  {
    what: 'a trade in 2100',
    ...putTrades([TRADE, { ...TRADE, id: 't2', time: '2100-01-01T00:00:00Z' }]),
    ...says('trades[1].time', MARKET_TIME_RULE, '2100-01-01T00:00:00.000Z'),
  },
  {
    what: 'a trade time that is not a date',
    ...putTrades([{ ...TRADE, time: 'now' }]),
    ...says('trades[0].time', DATETIME_RULE, '"now"'),
  },
  { what: 'a trade at a price of 0', ...putTrades([{ ...TRADE, price: 0 }]), ...says('trades[0].price', 'a price > 0', '0') },
  { what: 'a trade at a negative price', ...putTrades([TRADE, { ...TRADE, id: 't2', price: -1 }]), ...says('trades[1].price', 'a price > 0', '-1') },
  {
    what: 'a trade with a negative amount',
    ...putTrades([{ ...TRADE, amount: -0.5 }]),
    ...says('trades[0].amount', 'a finite number >= 0', '-0.5'),
  },
  { what: 'a trade with an empty id', ...putTrades([{ ...TRADE, id: '' }]), ...says('trades[0].id', '1-128 characters', '""') },
  {
    what: 'a trade with an id of 129 characters',
    ...putTrades([{ ...TRADE, id: 'a'.repeat(129) }]),
    // Long values are shown cut to 80 characters, as every message does.
    ...says('trades[0].id', '1-128 characters', `"${'a'.repeat(76)}...`),
  },
  {
    what: 'a trade side that is not a TradeSide',
    ...putTrades([{ ...TRADE, side: enumValue('HOLD') }]),
    ...says('trades[0].side', 'a TradeSide: one of BUY SELL', /received "?HOLD"?/),
  },
  {
    what: 'a bad symbol to putTrades',
    ...writer('putTrades', { trades: [TRADE] }),
    ...given('symbol', 'MarketSymbol!', 'BTC{USDT}'),
    ...says('symbol', SYMBOL_RULE, '"BTC{USDT}"'),
  },
  {
    what: 'a ttlSeconds of 31536001 to putTrades',
    ...writer('putTrades', { symbol: 'BTC/USDT', trades: [TRADE] }),
    ...given('ttlSeconds', 'Int', 31_536_001),
    ...says('ttlSeconds', TTL_RULE, '31536001'),
  },
];

const badTickerLists: BadInput[] = [
  {
    what: `${MAX_TICKERS_PER_WRITE + 1} tickers in one putTickers`,
    ...putTickers(tickersOf(MAX_TICKERS_PER_WRITE + 1)),
    ...says('tickers', `at most ${MAX_TICKERS_PER_WRITE} tickers per call`, String(MAX_TICKERS_PER_WRITE + 1)),
  },
  {
    what: 'a bad symbol in the middle of putTickers',
    ...putTickers([TICKER, { symbol: 'ETH USDT', last: 1 }, { symbol: 'SOL/USDT', last: 1 }]),
    ...says('tickers[1].symbol', SYMBOL_RULE, '"ETH USDT"'),
  },
  {
    what: 'a ticker in putTickers whose high24h is below its low24h',
    ...putTickers([{ ...TICKER, high24h: 1, low24h: 2 }]),
    ...says('tickers[0].high24h', 'at least tickers[0].low24h (2)', '1'),
  },
  {
    what: 'a ticker in putTickers with a negative volume24h',
    ...putTickers([TICKER, { ...TICKER, symbol: 'ETH/USDT', volume24h: -2 }]),
    ...says('tickers[1].volume24h', 'a finite number >= 0', '-2'),
  },
  {
    what: 'a ttlSeconds of 0 to putTickers',
    ...writer('putTickers', { tickers: [TICKER] }),
    ...given('ttlSeconds', 'Int', 0),
    ...says('ttlSeconds', TTL_RULE, '0'),
  },
];

const badNewInvalidations: BadInput[] = (['invalidateOrderBook', 'invalidateTrades'] as const).map((field) => ({
  what: `a bad symbol to ${field}`,
  ...admin(field),
  ...given('symbol', 'MarketSymbol!', 'BTC?'),
  ...says('symbol', SYMBOL_RULE, '"BTC?"'),
}));

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
  ...badOrderBookReads,
  ...badTradeReads,
  ...badKinds,
  ...badOrderBooks,
  ...badTrades,
  ...badTickerLists,
  ...badNewInvalidations,
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
  ...[1, MAX_DEPTH].map((depth) => ({
    what: `a depth of ${depth}`,
    ...query('orderBook', { symbol: 'BTC/USDT' }),
    ...given('depth', 'Int', depth),
    check: (data: Record<string, any>) => expect(data.orderBook).toBeNull(),
  })),
  ...[1, MAX_TRADES_LIMIT].map((limit) => ({
    what: `a trades limit of ${limit}`,
    ...query('trades', { symbol: 'BTC/USDT' }),
    ...given('limit', 'Int', limit),
    check: (data: Record<string, any>) => expect(data.trades).toEqual([]),
  })),
  ...['FEAR_GREED', 'LLM_ANALYSIS'].map((kind) => ({
    what: `the kind ${kind}, which has no symbols`,
    ...query('symbols'),
    ...given('kind', 'CacheKind', enumValue(kind)),
    check: (data: Record<string, any>) => expect(data.symbols).toEqual([]),
    answeredWithoutRedis: true as const,
  })),
  {
    what: `exactly ${MAX_LEVELS} levels a side`,
    ...putOrderBook({ symbol: 'BTC/USDT', bids: levels(MAX_LEVELS, 50.01, 0.01), asks: levels(MAX_LEVELS, 100.01, 0.01) }),
    check: (data) => expect(data.putOrderBook.symbol).toBe('BTC/USDT'),
    forms: ['as a variable'],
  },
  {
    what: 'an order book with levels of amount 0',
    ...putOrderBook({ ...BOOK, bids: [{ price: 99, amount: 0 }] }),
    check: (data) => expect(data.putOrderBook.symbol).toBe('BTC/USDT'),
  },
  {
    what: `exactly ${MAX_TRADES_PER_WRITE} trades in one putTrades`,
    ...putTrades(tradesOf(MAX_TRADES_PER_WRITE)),
    check: (data) => expect(data.putTrades).toBeGreaterThan(0),
    forms: ['as a variable'],
  },
  {
    what: 'a trade id of 128 characters, and a trade with neither id nor side',
    ...putTrades([{ ...TRADE, id: 'a'.repeat(128) }, { time: TRADE.time, price: 100, amount: 0 }]),
    check: (data) => expect(data.putTrades).toBe(2),
  },
  {
    what: `exactly ${MAX_TICKERS_PER_WRITE} tickers in one putTickers`,
    ...putTickers(tickersOf(MAX_TICKERS_PER_WRITE)),
    check: (data) => expect(data.putTickers).toBe(MAX_TICKERS_PER_WRITE),
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
        typeof argument !== 'string'
          ? argument.test(error!.message)
          : error!.message.startsWith(`${argument}: expected `) ||
            (form === 'as a variable' &&
              error!.message.startsWith(`Variable "$${call.arg}" got invalid value `) &&
              (argument === call.arg || error!.message.includes(`at "${argument}"`)));
      expect(namesIt, `"${error!.message}" should name ${argument}`).toBe(true);
      expect(error!.message).toContain(`expected ${expected}`);
      if (received instanceof RegExp) expect(error!.message).toMatch(received);
      else expect(error!.message).toContain(`received ${received}`);
    },
  );
});

describe('valid edges', () => {
  it.each(inBothForms(VALID_EDGES, (what, form) => `accepts ${what} ${form}`))('%s', async (_name, { form, check, answeredWithoutRedis, ...call }) => {
    const { response, commands } = await send(call, form);

    expect(response.errors).toBeUndefined();
    await check(response.data!);
    // The same measurement sees the commands of a request that gets through.
    if (!answeredWithoutRedis) expect(Object.keys(commands).length).toBeGreaterThan(0);
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
