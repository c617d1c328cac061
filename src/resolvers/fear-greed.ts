import type { FearGreed } from '../cache/market-types.js';
import { readPoint } from '../read/reads.js';
import { rootReads } from '../read/root-reads.js';
import { invalidated } from './audit.js';
import type { GatewayContext } from './context.js';
import { checkFearGreedValue, checkMarketTime, checkText, checkTtl } from './validate.js';

/** A Fear & Greed reading as a producer writes it: `time` defaults to now. */
type FearGreedWrite = Omit<FearGreed, 'time'> & { time?: Date | null };

export const fearGreedResolvers = {
  fearGreed: (_root: unknown, args: object, ctx: GatewayContext) => readPoint(ctx, rootReads.fearGreed(args, ctx)),

  putFearGreed: (_root: unknown, { fearGreed, ttlSeconds }: { fearGreed: FearGreedWrite; ttlSeconds?: number | null }, ctx: GatewayContext) => {
    checkFearGreedValue(fearGreed.value);
    checkText('fearGreed.classification', fearGreed.classification, 64);
    checkMarketTime('fearGreed.time', fearGreed.time);
    checkTtl(ttlSeconds);
    return ctx.cache.putFearGreed({ ...fearGreed, time: fearGreed.time ?? new Date() }, ttlSeconds);
  },

  invalidateFearGreed: async (_root: unknown, args: object, ctx: GatewayContext) =>
    invalidated(ctx, 'invalidateFearGreed', args, await ctx.cache.invalidateFearGreed()),
};
