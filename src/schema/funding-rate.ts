import type { Stamped } from '../cache/codec.js';
import type { FundingRate, Output } from '../cache/market-types.js';
import { adminOnly, writerOnly } from '../resolvers/auth.js';
import { fundingRateResolvers } from '../resolvers/funding-rate.js';
import { builder } from './builder.js';
import { Cached } from './cached.js';
import { InvalidationResult } from './invalidation.js';
import { eachValue, liveResolvers } from '../resolvers/live.js';

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
    resolve: fundingRateResolvers.fundingRate,
  }),
}));

builder.subscriptionFields((t) => ({
  fundingRates: t.field({
    type: FundingRateType,
    description: 'The cached funding rate of each symbol (1-500) now, then each change, the newest only per symbol.',
    args: { symbols: t.arg({ type: ['MarketSymbol'], required: true }) },
    subscribe: liveResolvers.fundingRates,
    resolve: eachValue,
  }),
}));

builder.mutationFields((t) => ({
  putFundingRate: t.field({
    ...writerOnly,
    type: FundingRateType,
    args: { fundingRate: t.arg({ type: FundingRateInput, required: true }), ttlSeconds: t.arg.int() },
    resolve: fundingRateResolvers.putFundingRate,
  }),
  invalidateFundingRate: t.field({
    ...adminOnly,
    type: InvalidationResult,
    args: { symbol: t.arg({ type: 'MarketSymbol', required: true }) },
    resolve: fundingRateResolvers.invalidateFundingRate,
  }),
}));
