import type { Trade } from '../cache/market-types.js';
import { readRange } from '../read/reads.js';
import { rootReads, type TradesArgs } from '../read/root-reads.js';
import { invalidated } from './audit.js';
import type { GatewayContext } from './context.js';
import { checkTrades, checkTtl } from './validate.js';

export const tradeResolvers = {
  trades: (_root: unknown, args: TradesArgs, ctx: GatewayContext) => readRange(ctx, rootReads.trades(args, ctx)),

  putTrades: (_root: unknown, { symbol, trades, ttlSeconds }: { symbol: string; trades: readonly Trade[]; ttlSeconds?: number | null }, ctx: GatewayContext) => {
    checkTrades(trades);
    checkTtl(ttlSeconds);
    return ctx.cache.putTrades(symbol, trades, ttlSeconds);
  },

  invalidateTrades: async (_root: unknown, args: { symbol: string }, ctx: GatewayContext) =>
    invalidated(ctx, 'invalidateTrades', args, await ctx.cache.invalidateTrades(args.symbol)),
};
