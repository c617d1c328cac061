import type { Stamped } from '../cache/codec.js';
import type { FearGreed, Output } from '../cache/market-types.js';
import { adminOnly, writerOnly } from '../resolvers/auth.js';
import { fearGreedResolvers } from '../resolvers/fear-greed.js';
import { builder } from './builder.js';
import { Cached } from './cached.js';
import { InvalidationResult } from './invalidation.js';
import { eachValue, liveResolvers } from '../resolvers/live.js';

const FearGreedType = builder.objectRef<Output<Stamped<FearGreed>>>('FearGreed').implement({
  description: 'The crypto Fear & Greed index: 0 (extreme fear) to 100 (extreme greed).',
  interfaces: [Cached],
  fields: (t) => ({
    value: t.exposeInt('value'),
    classification: t.exposeString('classification'),
    time: t.expose('time', { type: 'DateTime' }),
  }),
});

const FearGreedInput = builder.inputType('FearGreedInput', {
  description: 'A Fear & Greed reading to store; `time` defaults to now.',
  fields: (t) => ({
    value: t.int({ required: true }),
    classification: t.string({ required: true }),
    time: t.field({ type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  fearGreed: t.field({
    type: FearGreedType,
    nullable: true,
    resolve: fearGreedResolvers.fearGreed,
  }),
}));

builder.subscriptionFields((t) => ({
  fearGreed: t.field({
    type: FearGreedType,
    description: 'The cached Fear & Greed index now, then each change.',
    subscribe: liveResolvers.fearGreed,
    resolve: eachValue,
  }),
}));

builder.mutationFields((t) => ({
  putFearGreed: t.field({
    ...writerOnly,
    type: FearGreedType,
    args: { fearGreed: t.arg({ type: FearGreedInput, required: true }), ttlSeconds: t.arg.int() },
    resolve: fearGreedResolvers.putFearGreed,
  }),
  invalidateFearGreed: t.field({
    ...adminOnly,
    type: InvalidationResult,
    resolve: fearGreedResolvers.invalidateFearGreed,
  }),
}));
