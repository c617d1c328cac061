import { adminOnly } from '../resolvers/auth.js';
import { invalidationResolvers } from '../resolvers/invalidation.js';
import { builder } from './builder.js';

export const InvalidationResult = builder.objectRef<{ deleted: number }>('InvalidationResult').implement({
  description: 'What an invalidation removed.',
  fields: (t) => ({
    deleted: t.exposeInt('deleted', {
      description: 'How many cache entries were removed; a bar series (with its latest-bar pointer) counts once.',
    }),
  }),
});

builder.mutationFields((t) => ({
  invalidateSymbol: t.field({
    ...adminOnly,
    type: InvalidationResult,
    description: "Removes the symbol's bars of every timeframe, its ticker and its funding rate.",
    args: { symbol: t.arg({ type: 'MarketSymbol', required: true }) },
    resolve: invalidationResolvers.invalidateSymbol,
  }),
  invalidateAll: t.field({
    ...adminOnly,
    type: InvalidationResult,
    description: "Removes every key of this gateway's namespace and version, and nothing else.",
    resolve: invalidationResolvers.invalidateAll,
  }),
}));
