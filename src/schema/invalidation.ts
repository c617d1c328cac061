import { adminOnly } from '../resolvers/auth.js';
import { invalidationResolvers } from '../resolvers/invalidation.js';
import { builder } from './builder.js';
import { CacheKindEnum } from './cache-kind.js';

export const InvalidationResult = builder.objectRef<{ deleted: number }>('InvalidationResult').implement({
  description: 'What an invalidation removed.',
  fields: (t) => ({
    deleted: t.exposeInt('deleted', {
      description: "How many cache entries were removed; a bar series (with its latest-bar pointer) and a symbol's trades count once each.",
    }),
  }),
});

builder.mutationFields((t) => ({
  invalidateSymbol: t.field({
    ...adminOnly,
    type: InvalidationResult,
    description: "Removes the symbol's bars of every timeframe, its ticker, funding rate, order book and trades.",
    args: { symbol: t.arg({ type: 'MarketSymbol', required: true }) },
    resolve: invalidationResolvers.invalidateSymbol,
  }),
  invalidateKind: t.field({
    ...adminOnly,
    type: InvalidationResult,
    description: 'Removes every entry of one kind, of every symbol (it walks the keyspace with SCAN: an admin operation).',
    args: { kind: t.arg({ type: CacheKindEnum, required: true }) },
    resolve: invalidationResolvers.invalidateKind,
  }),
  invalidateAll: t.field({
    ...adminOnly,
    type: InvalidationResult,
    description: "Removes every key of this gateway's namespace and version, and nothing else.",
    resolve: invalidationResolvers.invalidateAll,
  }),
}));
