import type { FundingRate } from '../cache/market-types.js';
import { readPoint } from '../read/reads.js';
import { rootReads } from '../read/root-reads.js';
import { invalidated } from './audit.js';
import type { GatewayContext } from './context.js';
import { checkMarketTime, checkTtl } from './validate.js';

/** A funding rate as a producer writes it: `time` defaults to now. */
type FundingRateWrite = Omit<FundingRate, 'time'> & { time?: Date | null };

export const fundingRateResolvers = {
  fundingRate: (_root: unknown, args: { symbol: string }, ctx: GatewayContext) => readPoint(ctx, rootReads.fundingRate(args, ctx)),

  putFundingRate: (
    _root: unknown,
    { fundingRate, ttlSeconds }: { fundingRate: FundingRateWrite; ttlSeconds?: number | null },
    ctx: GatewayContext,
  ) => {
    checkMarketTime('fundingRate.time', fundingRate.time);
    checkTtl(ttlSeconds);
    return ctx.cache.putFundingRate({ ...fundingRate, time: fundingRate.time ?? new Date() }, ttlSeconds);
  },

  invalidateFundingRate: async (_root: unknown, args: { symbol: string }, ctx: GatewayContext) =>
    invalidated(ctx, 'invalidateFundingRate', args, await ctx.cache.invalidateFundingRate(args.symbol)),
};
