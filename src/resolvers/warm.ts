import type { Timeframe } from '../cache/market-types.js';
import { DEFAULTS } from '../defaults.js';
import { badUserInput } from '../errors.js';
import type { GatewayContext } from './context.js';
import { checkSymbolCount } from './validate.js';

export const warmResolvers = {
  warmCache: async (
    _root: unknown,
    { symbols, timeframes }: { symbols: readonly string[]; timeframes?: readonly Timeframe[] | null },
    ctx: GatewayContext,
  ) => {
    checkSymbolCount(symbols);
    const series = symbols.length * (timeframes?.length ?? 0);
    if (series > DEFAULTS.fields.maxWarmSeries) {
      throw badUserInput('timeframes', `at most ${DEFAULTS.fields.maxWarmSeries} series (symbols times timeframes)`, series);
    }
    if (ctx.warm === undefined) throw badUserInput('warmCache', 'a gateway with an exchange (EXCHANGE_ID)', 'a gateway without one');
    const result = await ctx.warm(symbols, timeframes ?? []);
    ctx.logger.info({ audit: 'warmCache', symbols: symbols.length, timeframes, ...result }, 'cache warmed');
    return result;
  },
};
