import type { CacheKind } from '../cache/market-types.js';
import { builder } from './builder.js';

export const CacheKindEnum = builder.enumType('CacheKind', {
  description: 'A kind of cached value.',
  values: {
    TICKER: { value: 'ticker' },
    FUNDING_RATE: { value: 'fundingRate' },
    FEAR_GREED: { value: 'fearGreed' },
    BARS: { value: 'bars' },
    LLM_ANALYSIS: { value: 'llmAnalysis' },
    ORDER_BOOK: { value: 'orderBook' },
    TRADES: { value: 'trades' },
  } as const satisfies Record<string, { value: CacheKind }>,
});
