import { LLM_ANALYSIS_TYPE, LLM_INPUT_HASH, perpetualOf, SYMBOLS } from './data.js';

/**
 * The six operations of the issue, as every server receives them: a POST of JSON with `query`,
 * `operationName` and `variables`. Selections ask for every field a user sees, including
 * `cachedAt`, `expiresAt` and `stale`, so that each competitor produces them too.
 */

export const TICKER_FIELDS = 'symbol last bid ask high24h low24h volume24h changePercent24h time cachedAt expiresAt stale';
export const FUNDING_RATE_FIELDS = 'symbol rate nextFundingTime time cachedAt expiresAt stale';
export const FEAR_GREED_FIELDS = 'value classification time cachedAt expiresAt stale';
export const BAR_FIELDS = 'openTime open high low close volume stale';
export const LLM_ANALYSIS_FIELDS = 'analysisType inputHash result model cachedAt expiresAt stale';
export const ORDER_BOOK_FIELDS = 'symbol bids { price amount } asks { price amount } time cachedAt expiresAt stale';
export const TRADE_FIELDS = 'id time price amount side stale';

export const W1_SYMBOL = SYMBOLS[0]!;
export const W2_SYMBOLS = SYMBOLS.slice(0, 50);
export const W3_SYMBOLS = SYMBOLS.slice(50, 100);
export const W4_BARS = { symbol: SYMBOLS[0]!, timeframe: '1h', limit: 500 } as const;
export const DASHBOARD = {
  tickers: SYMBOLS.slice(0, 10),
  fundingRates: SYMBOLS.slice(0, 10).map(perpetualOf),
  bars: SYMBOLS.slice(0, 3).map((symbol) => ({ symbol, timeframe: '4h', limit: 100 })),
  llmAnalysis: { analysisType: LLM_ANALYSIS_TYPE, inputHash: LLM_INPUT_HASH },
  orderBook: { symbol: SYMBOLS[0]!, depth: 20 },
  trades: { symbol: SYMBOLS[0]!, limit: 50 },
} as const;
export const RANDOM_SYMBOL_COUNT = 50;

export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4' | 'W5' | 'W6';

export interface Workload {
  id: WorkloadId;
  title: string;
  operationName: string;
  /** A request body; a new draw on every call when the workload is random. */
  body(): string;
  random: boolean;
}

const TICKERS_QUERY = `query Tickers($symbols: [MarketSymbol!]!) { tickers(symbols: $symbols) { ${TICKER_FIELDS} } }`;

const request = (operationName: string, query: string, variables?: Record<string, unknown>) =>
  JSON.stringify({ operationName, query, ...(variables && { variables }) });

const fixed = (id: WorkloadId, title: string, operationName: string, query: string, variables?: Record<string, unknown>): Workload => {
  const body = request(operationName, query, variables);
  return { id, title, operationName, body: () => body, random: false };
};

export const WORKLOADS: readonly Workload[] = [
  fixed('W1', 'one ticker', 'Ticker', `query Ticker { ticker(symbol: "${W1_SYMBOL}") { ${TICKER_FIELDS} } }`),
  fixed('W2', 'tickers for 50 symbols', 'Tickers', TICKERS_QUERY, { symbols: W2_SYMBOLS }),
  fixed(
    'W3',
    '50 aliased ticker fields',
    'AliasedTickers',
    `query AliasedTickers { ${W3_SYMBOLS.map((symbol, i) => `t${i}: ticker(symbol: "${symbol}") { ${TICKER_FIELDS} }`).join(' ')} }`,
  ),
  fixed(
    'W4',
    'bars, limit 500',
    'Bars',
    `query Bars { bars(symbol: "${W4_BARS.symbol}", timeframe: "${W4_BARS.timeframe}", limit: ${W4_BARS.limit}) { ${BAR_FIELDS} } }`,
  ),
  fixed('W5', 'dashboard', 'Dashboard', dashboardQuery()),
  {
    id: 'W6',
    title: 'tickers for 50 random symbols of 200',
    operationName: 'Tickers',
    body: () => request('Tickers', TICKERS_QUERY, { symbols: randomSymbols(RANDOM_SYMBOL_COUNT) }),
    random: true,
  },
];

function dashboardQuery(): string {
  const { tickers, fundingRates, bars, llmAnalysis, orderBook, trades } = DASHBOARD;
  return [
    'query Dashboard {',
    `tickers(symbols: ${JSON.stringify(tickers)}) { ${TICKER_FIELDS} }`,
    ...fundingRates.map((symbol, i) => `f${i}: fundingRate(symbol: "${symbol}") { ${FUNDING_RATE_FIELDS} }`),
    `fearGreed { ${FEAR_GREED_FIELDS} }`,
    ...bars.map(({ symbol, timeframe, limit }, i) => `b${i}: bars(symbol: "${symbol}", timeframe: "${timeframe}", limit: ${limit}) { ${BAR_FIELDS} }`),
    `llmAnalysis(analysisType: "${llmAnalysis.analysisType}", inputHash: "${llmAnalysis.inputHash}") { ${LLM_ANALYSIS_FIELDS} }`,
    `orderBook(symbol: "${orderBook.symbol}", depth: ${orderBook.depth}) { ${ORDER_BOOK_FIELDS} }`,
    `trades(symbol: "${trades.symbol}", limit: ${trades.limit}) { ${TRADE_FIELDS} }`,
    '}',
  ].join(' ');
}

/** `count` distinct symbols drawn at random from all of them (a partial Fisher-Yates shuffle). */
function randomSymbols(count: number): string[] {
  const pool = [...SYMBOLS];
  for (let i = 0; i < count; i += 1) {
    const j = i + Math.floor(Math.random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}
