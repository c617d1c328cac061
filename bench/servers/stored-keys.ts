import type { Redis } from 'ioredis';
import { createKeyLayout } from '../../src/cache/keys.js';
import type { Timeframe } from '../../src/cache/market-types.js';
import { DASHBOARD, W1_SYMBOL, W3_SYMBOLS, W4_BARS } from '../workloads.js';

/**
 * What the servers without GraphQL (limit, splice) read for each workload: the gateway's keys,
 * computed once, and the dashboard's one `MGET` and one pipeline of ranges. They differ only in
 * what they write from it.
 */
export const keys = createKeyLayout({ namespace: 'mdc', version: 'v1' });

export const W1_KEY = keys.ticker(W1_SYMBOL);
export const W3_KEYS = W3_SYMBOLS.map(keys.ticker);
export const W4_KEY = keys.bars(W4_BARS.symbol, W4_BARS.timeframe);

/** A range read's arguments to `ZRANGE`: the newest `limit` members first. */
export const newestFirst = (limit: number) => ['+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, limit] as const;

/** The dashboard's point values, in this order: its tickers, its funding rates, Fear & Greed, the analysis, the book. */
const DASHBOARD_KEYS = [
  ...DASHBOARD.tickers.map(keys.ticker),
  ...DASHBOARD.fundingRates.map(keys.fundingRate),
  keys.fearGreed(),
  keys.llmAnalysis(DASHBOARD.llmAnalysis.analysisType, DASHBOARD.llmAnalysis.inputHash),
  keys.orderBook(DASHBOARD.orderBook.symbol),
];
/** Its ranges: each bar series, then the trades log with one member more (its stamp). */
const DASHBOARD_RANGES = [
  ...DASHBOARD.bars.map(({ symbol, timeframe, limit }) => ({ key: keys.bars(symbol, timeframe as Timeframe), limit })),
  { key: keys.trades(DASHBOARD.trades.symbol), limit: DASHBOARD.trades.limit + 1 },
];

/** The dashboard read: its point values (in `DASHBOARD_KEYS`' order) and each range's members. */
export async function readDashboard(redis: Redis): Promise<{ values: Array<string | null>; members: string[][] }> {
  const pipeline = redis.pipeline();
  for (const { key, limit } of DASHBOARD_RANGES) pipeline.zrange(key, ...newestFirst(limit));
  const [values, ranges] = await Promise.all([redis.mget(...DASHBOARD_KEYS), pipeline.exec()]);
  const members = ranges!.map(([error, list]) => {
    if (error) throw error;
    return list as string[];
  });
  return { values, members };
}
