/** The domain shapes the gateway caches. Times are `Date`s as written, ISO-8601 strings as read (`Stored`). */

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

/** A DateTime as resolvers hold it: a `Date`, or the ISO-8601 string it was stored as. */
export type Instant = Date | string;

/** `T` as decoded from the cache: its dates are the strings they were stored as. */
export type Stored<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null | undefined ? string | null : T[K];
};

/** `T` as a resolver may return it: freshly written (dates) or read back (strings). */
export type Output<T> = {
  [K in keyof T]: T[K] extends Date ? Instant : T[K] extends Date | null | undefined ? Instant | null | undefined : T[K];
};

export interface OrderBookLevel {
  price: number;
  amount: number;
}

/** An order book snapshot: bids best (highest) first, asks best (lowest) first. */
export interface OrderBook {
  symbol: string;
  bids: OrderBookLevel[];
  asks: OrderBookLevel[];
  time: Date;
}

export const TRADE_SIDES = ['buy', 'sell'] as const;
export type TradeSide = (typeof TRADE_SIDES)[number];

/** One public trade. Without an `id`, (time, price, amount, side) is its identity. */
export interface Trade {
  id?: string | null;
  time: Date;
  price: number;
  amount: number;
  side?: TradeSide | null;
}

/** The kinds of cached value, as the API's `CacheKind` names them. */
export const CACHE_KINDS = ['ticker', 'fundingRate', 'fearGreed', 'bars', 'llmAnalysis', 'orderBook', 'trades'] as const;
export type CacheKind = (typeof CACHE_KINDS)[number];

/** The kinds whose entries belong to a symbol, listed by the symbols index. */
export const SYMBOL_KINDS = ['ticker', 'fundingRate', 'bars', 'orderBook', 'trades'] as const;
export type SymbolKind = (typeof SYMBOL_KINDS)[number];
