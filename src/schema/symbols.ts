import type { CachedSymbol } from '../cache/market-cache.js';
import { symbolResolvers } from '../resolvers/symbols.js';
import { builder } from './builder.js';
import { CacheKindEnum } from './cache-kind.js';

const CachedSymbolType = builder.objectRef<CachedSymbol>('CachedSymbol').implement({
  description: 'A symbol and the kinds of value cached for it.',
  fields: (t) => ({
    symbol: t.expose('symbol', { type: 'MarketSymbol' }),
    kinds: t.expose('kinds', { type: [CacheKindEnum] }),
    timeframes: t.expose('timeframes', { type: ['Timeframe'], description: 'The timeframes of its cached bar series.' }),
  }),
});

builder.queryFields((t) => ({
  symbols: t.field({
    type: [CachedSymbolType],
    description:
      'Every symbol with a value cached now (of `kind`, when given), by symbol, from an index the writes keep: never a walk of the keyspace. Fear & Greed and LLM analyses belong to no symbol.',
    args: { kind: t.arg({ type: CacheKindEnum }) },
    resolve: symbolResolvers.symbols,
  }),
}));
