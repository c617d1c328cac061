import type { KindStats } from '../metrics/cache-stats.js';
import type { GatewayContext } from './context.js';

export const cacheStatsResolvers = {
  cacheStats: (_root: unknown, _args: object, ctx: GatewayContext) => ctx.stats,

  keys: (stats: KindStats) => stats.keys(),
};
