import type { Timeframe } from '../cache/market-types.js';
import type { GatewayContext } from './context.js';

/**
 * The subscription fields: each returns its stream (see src/live/live-updates.ts), whose values
 * are what the field resolves to. Arguments are checked when the subscription starts, as a query's
 * are, before anything is followed.
 */
export const liveResolvers = {
  tickers: (_root: unknown, args: { symbols: readonly string[] }, ctx: GatewayContext) => ctx.live.tickers(ctx, args),
  bars: (_root: unknown, args: { symbol: string; timeframe: Timeframe }, ctx: GatewayContext) => ctx.live.bars(ctx, args),
  fundingRates: (_root: unknown, args: { symbols: readonly string[] }, ctx: GatewayContext) => ctx.live.fundingRates(ctx, args),
  orderBook: (_root: unknown, args: { symbol: string; depth?: number | null }, ctx: GatewayContext) => ctx.live.orderBook(ctx, args),
  trades: (_root: unknown, args: { symbol: string }, ctx: GatewayContext) => ctx.live.trades(ctx, args),
  fearGreed: (_root: unknown, _args: object, ctx: GatewayContext) => ctx.live.fearGreed(ctx),
};

/** A subscription field resolves to each value its stream yields, as it is. */
export const eachValue = <T>(value: T) => value;
