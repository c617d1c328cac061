import type { CacheKind } from '../cache/market-types.js';
import { invalidated } from './audit.js';
import type { GatewayContext } from './context.js';

export const invalidationResolvers = {
  invalidateSymbol: async (_root: unknown, args: { symbol: string }, ctx: GatewayContext) =>
    invalidated(ctx, 'invalidateSymbol', args, await ctx.cache.invalidateSymbol(args.symbol)),

  invalidateKind: async (_root: unknown, args: { kind: CacheKind }, ctx: GatewayContext) =>
    invalidated(ctx, 'invalidateKind', args, await ctx.cache.invalidateKind(args.kind)),

  invalidateAll: async (_root: unknown, args: object, ctx: GatewayContext) =>
    invalidated(ctx, 'invalidateAll', args, await ctx.cache.invalidateAll()),
};
