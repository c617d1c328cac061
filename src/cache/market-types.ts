/** The domain shapes the gateway caches, as resolvers see them. Times are `Date`s. */

export const TIMEFRAMES = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1M'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

/** What every cached point value carries, so that `cachedAt`/`expiresAt` cost no extra command. */
export interface CacheStamp {
  cachedAt: Date;
  expiresAt: Date;
}

export interface Bar {
  symbol: string;
  timeframe: Timeframe;
  openTime: Date;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface Ticker {
  symbol: string;
  last: number;
  bid?: number | null;
  ask?: number | null;
  high24h?: number | null;
  low24h?: number | null;
  volume24h?: number | null;
  changePercent24h?: number | null;
  time: Date;
}

export interface FundingRate {
  symbol: string;
  rate: number;
  nextFundingTime?: Date | null;
  time: Date;
}

export interface FearGreed {
  value: number;
  classification: string;
  time: Date;
}

export interface LlmAnalysis {
  analysisType: string;
  inputHash: string;
  result: Record<string, unknown>;
  model?: string | null;
}
