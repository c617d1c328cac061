import type { Bar, Timeframe } from '../cache/market-types.js';
import { readPoint, readRange } from '../read/reads.js';
import { rootReads, type BarsArgs } from '../read/root-reads.js';
import { invalidated } from './audit.js';
import type { GatewayContext } from './context.js';
import { checkBars, checkTtl } from './validate.js';

interface Series {
  symbol: string;
  timeframe: Timeframe;
}

interface BarsWrite extends Series {
  bars: ReadonlyArray<Omit<Bar, 'symbol' | 'timeframe'>>;
  ttlSeconds?: number | null;
}

export const barResolvers = {
  bars: (_root: unknown, args: BarsArgs, ctx: GatewayContext) => readRange(ctx, rootReads.bars(args, ctx)),

  latestBar: (_root: unknown, args: Series, ctx: GatewayContext) => readPoint(ctx, rootReads.latestBar(args, ctx)),

  putBars: (_root: unknown, { symbol, timeframe, bars, ttlSeconds }: BarsWrite, ctx: GatewayContext) => {
    checkBars(bars);
    checkTtl(ttlSeconds);
    return ctx.cache.putBars(symbol, timeframe, bars, ttlSeconds);
  },

  invalidateBars: async (_root: unknown, args: { symbol: string; timeframe?: Timeframe | null }, ctx: GatewayContext) =>
    invalidated(ctx, 'invalidateBars', args, await ctx.cache.invalidateBars(args.symbol, args.timeframe)),
};
