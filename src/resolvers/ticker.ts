import type { GraphQLResolveInfo } from 'graphql';
import type { Ticker } from '../cache/market-types.js';
import { readPoint, readPoints } from '../read/reads.js';
import { rootReads } from '../read/root-reads.js';
import { invalidated } from './audit.js';
import type { GatewayContext } from './context.js';
import { checkHighLow, checkMarketTime, checkTickerCount, checkTtl } from './validate.js';

/** A ticker as a producer writes it: `time` defaults to now. */
type TickerWrite = Omit<Ticker, 'time'> & { time?: Date | null };

export const tickerResolvers = {
  ticker: (_root: unknown, args: { symbol: string }, ctx: GatewayContext) => readPoint(ctx, rootReads.ticker(args, ctx)),

  tickers: (_root: unknown, args: { symbols: readonly string[] }, ctx: GatewayContext, info: GraphQLResolveInfo) =>
    readPoints(ctx, rootReads.tickers(args, ctx), info),

  putTicker: (_root: unknown, { ticker, ttlSeconds }: { ticker: TickerWrite; ttlSeconds?: number | null }, ctx: GatewayContext) => {
    checkHighLow('ticker', ticker.high24h, ticker.low24h);
    checkMarketTime('ticker.time', ticker.time);
    checkTtl(ttlSeconds);
    return ctx.cache.putTicker({ ...ticker, time: ticker.time ?? new Date() }, ttlSeconds);
  },

  putTickers: (_root: unknown, { tickers, ttlSeconds }: { tickers: readonly TickerWrite[]; ttlSeconds?: number | null }, ctx: GatewayContext) => {
    checkTickerCount(tickers);
    tickers.forEach((ticker, i) => {
      checkHighLow(`tickers[${i}]`, ticker.high24h, ticker.low24h);
      checkMarketTime(`tickers[${i}].time`, ticker.time);
    });
    checkTtl(ttlSeconds);
    const now = new Date();
    return ctx.cache.putTickers(tickers.map((ticker) => ({ ...ticker, time: ticker.time ?? now })), ttlSeconds);
  },

  invalidateTicker: async (_root: unknown, args: { symbol: string }, ctx: GatewayContext) =>
    invalidated(ctx, 'invalidateTicker', args, await ctx.cache.invalidateTicker(args.symbol)),
};
