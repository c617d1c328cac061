import { DEFAULTS } from '../defaults.js';
import {
  decodeBar,
  decodeFearGreed,
  decodeFundingRate,
  decodeLlmAnalysis,
  decodeOrderBook,
  decodeTicker,
  decodeTrade,
  type Stamped,
} from '../cache/codec.js';
import type { Bar, FearGreed, FundingRate, LlmAnalysis, OrderBook, Stored, Ticker, Timeframe, Trade } from '../cache/market-types.js';
import type { SeriesRange } from '../cache/store.js';
import type { GatewayContext } from '../resolvers/context.js';
import { checkDepth, checkLimit, checkName, checkSymbolCount, checkTimeRange, checkTradesLimit, inputHashOf } from '../resolvers/validate.js';

/** Turns a stored value into what is served, or throws `DecodeError`. */
export type Decode<T extends object = object> = (raw: string) => T;

/** One point value, `null` when missing. */
export interface PointRead<T extends object = object> {
  kind: 'point';
  key: string;
  decode: Decode<T>;
  /** What besides the stored bytes shapes what `decode` returns (a book's depth): read plans remember renderings by it. */
  variant?: string;
}

/** A list of point values, one entry per key, `null` where missing. */
export interface PointsRead<T extends object = object> {
  kind: 'points';
  keys: string[];
  decode: Decode<T>;
}

/** One bar range, newest first; a missing series reads as empty. */
export interface RangeRead<T extends object = object> {
  kind: 'range';
  range: SeriesRange;
  decode: Decode<T>;
}

/** What a query field reads. */
export type RootRead = PointRead | PointsRead | RangeRead;

export interface BarsArgs {
  symbol: string;
  timeframe: Timeframe;
  limit?: number | null;
  since?: Date | null;
  until?: Date | null;
}

export interface TradesArgs {
  symbol: string;
  limit?: number | null;
  since?: Date | null;
}

/**
 * Every query field, from its arguments to the keys it reads, checking what the schema cannot.
 * The resolvers and the read plans (`plan/`) both start here, so that they cannot differ in
 * what they read; a check that throws here is reported by the resolver.
 */
export const rootReads = {
  ticker: ({ symbol }: { symbol: string }, ctx: GatewayContext): PointRead<Stored<Stamped<Ticker>>> => ({
    kind: 'point',
    key: ctx.keys.ticker(symbol),
    decode: decodeTicker,
  }),
  tickers: ({ symbols }: { symbols: readonly string[] }, ctx: GatewayContext): PointsRead<Stored<Stamped<Ticker>>> => {
    checkSymbolCount(symbols);
    return { kind: 'points', keys: symbols.map((symbol) => ctx.keys.ticker(symbol)), decode: decodeTicker };
  },
  fundingRate: ({ symbol }: { symbol: string }, ctx: GatewayContext): PointRead<Stored<Stamped<FundingRate>>> => ({
    kind: 'point',
    key: ctx.keys.fundingRate(symbol),
    decode: decodeFundingRate,
  }),
  fearGreed: (_args: object, ctx: GatewayContext): PointRead<Stored<Stamped<FearGreed>>> => ({ kind: 'point', key: ctx.keys.fearGreed(), decode: decodeFearGreed }),
  llmAnalysis: (
    { analysisType, input, inputHash }: { analysisType: string; input?: string | null; inputHash?: string | null },
    ctx: GatewayContext,
  ): PointRead<Stored<Stamped<LlmAnalysis>>> => {
    checkName('analysisType', analysisType);
    return { kind: 'point', key: ctx.keys.llmAnalysis(analysisType, inputHashOf(input, inputHash)), decode: decodeLlmAnalysis };
  },
  latestBar: ({ symbol, timeframe }: { symbol: string; timeframe: Timeframe }, ctx: GatewayContext): PointRead<Stored<Bar>> => ({
    kind: 'point',
    key: ctx.keys.latestBar(symbol, timeframe),
    decode: (raw) => decodeBar(raw, symbol, timeframe),
  }),
  bars: ({ symbol, timeframe, limit, since, until }: BarsArgs, ctx: GatewayContext): RangeRead<Stored<Bar>> => {
    const count = limit ?? DEFAULTS.fields.barsLimit;
    checkLimit(count);
    checkTimeRange(since, until);
    return {
      kind: 'range',
      range: { key: ctx.keys.bars(symbol, timeframe), minScore: since?.getTime(), maxScore: until?.getTime(), limit: count },
      decode: (raw) => decodeBar(raw, symbol, timeframe),
    };
  },
  orderBook: ({ symbol, depth }: { symbol: string; depth?: number | null }, ctx: GatewayContext): PointRead<Stored<Stamped<OrderBook>>> => {
    const levels = depth ?? DEFAULTS.fields.orderBookDepth;
    checkDepth(levels);
    return {
      kind: 'point',
      key: ctx.keys.orderBook(symbol),
      variant: `${levels}`,
      // `depth` trims what is served; the whole book stays stored.
      decode: (raw) => {
        const book = decodeOrderBook(raw);
        return { ...book, bids: book.bids.slice(0, levels), asks: book.asks.slice(0, levels) };
      },
    };
  },
  trades: ({ symbol, limit, since }: TradesArgs, ctx: GatewayContext): RangeRead<Stored<Trade>> => {
    const count = limit ?? DEFAULTS.fields.tradesLimit;
    checkTradesLimit(count);
    return {
      kind: 'range',
      // One more for the log's stamp, which the loaders take off.
      range: { key: ctx.keys.trades(symbol), minScore: since?.getTime(), limit: count + 1, log: true },
      decode: decodeTrade,
    };
  },
} satisfies Record<string, (args: never, ctx: GatewayContext) => RootRead>;

export type RootReadField = keyof typeof rootReads;
