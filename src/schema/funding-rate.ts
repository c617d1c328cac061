import type { Stamped } from '../cache/codec.js';
import type { FundingRate, Output } from '../cache/market-types.js';
import { adminOnly, writerOnly } from '../resolvers/auth.js';
import { invalidated } from '../resolvers/audit.js';
import { readPoint } from '../read/reads.js';
import { rootReads } from '../read/root-reads.js';
import { checkMarketTime, checkTtl } from '../resolvers/validate.js';
import { builder } from './builder.js';
import { Cached } from './cached.js';
import { InvalidationResult } from './invalidation.js';

const FundingRateType = builder.objectRef<Output<Stamped<FundingRate>>>('FundingRate').implement({
  description: "A perpetual swap's current funding rate.",
  interfaces: [Cached],
  fields: (t) => ({
    symbol: t.expose('symbol', { type: 'MarketSymbol' }),
    rate: t.exposeFloat('rate'),
    nextFundingTime: t.expose('nextFundingTime', { type: 'DateTime', nullable: true }),
    time: t.expose('time', { type: 'DateTime' }),
  }),
});

const FundingRateInput = builder.inputType('FundingRateInput', {
  description: 'A funding rate to store; `time` defaults to now.',
  fields: (t) => ({
    symbol: t.field({ type: 'MarketSymbol', required: true }),
    rate: t.float({ required: true }),
    nextFundingTime: t.field({ type: 'DateTime' }),
    time: t.field({ type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  fundingRate: t.field({
    type: FundingRateType,
    nullable: true,
    args: { symbol: t.arg({ type: 'MarketSymbol', required: true }) },
    resolve: (_root, args, ctx) => readPoint(ctx, rootReads.fundingRate(args, ctx)),
  }),
}));

builder.mutationFields((t) => ({
  putFundingRate: t.field({
    ...writerOnly,
    type: FundingRateType,
    args: { fundingRate: t.arg({ type: FundingRateInput, required: true }), ttlSeconds: t.arg.int() },
    resolve: (_root, { fundingRate, ttlSeconds }, ctx) => {
      checkMarketTime('fundingRate.time', fundingRate.time);
      checkTtl(ttlSeconds);
      return ctx.cache.putFundingRate({ ...fundingRate, time: fundingRate.time ?? new Date() }, ttlSeconds);
    },
  }),
  invalidateFundingRate: t.field({
    ...adminOnly,
    type: InvalidationResult,
    args: { symbol: t.arg({ type: 'MarketSymbol', required: true }) },
    resolve: async (_root, args, ctx) =>
      invalidated(ctx, 'invalidateFundingRate', args, await ctx.cache.invalidateFundingRate(args.symbol)),
  }),
}));
