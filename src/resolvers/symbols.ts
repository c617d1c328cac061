import type { CacheKind } from '../cache/market-types.js';
import type { GatewayContext } from './context.js';

export const symbolResolvers = {
  symbols: async (_root: unknown, { kind }: { kind?: CacheKind | null }, ctx: GatewayContext) => {
    const symbols = await ctx.cache.symbols(kind);
    // What the response will hold, roughly: a symbol, its kinds and timeframes.
    ctx.budget.charge(symbols.reduce((bytes, { symbol, kinds, timeframes }) => bytes + symbol.length + 16 * kinds.length + 8 * timeframes.length, 0));
    return symbols;
  },
};
