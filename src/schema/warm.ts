import { adminOnly } from '../resolvers/auth.js';
import { warmResolvers } from '../resolvers/warm.js';
import { builder } from './builder.js';

const WarmResult = builder.objectRef<{ warmed: number; skipped: number; failed: number }>('WarmResult').implement({
  description: 'What a warm-up did: each ticker, funding rate and bar series counts once.',
  fields: (t) => ({
    warmed: t.exposeInt('warmed', { description: 'Values fetched from the exchange and stored.' }),
    skipped: t.exposeInt('skipped', { description: 'Values already fresh, left alone.' }),
    failed: t.exposeInt('failed', { description: 'Values that could not be fetched; each is logged with its reason.' }),
  }),
});

builder.mutationFields((t) => ({
  warmCache: t.field({
    ...adminOnly,
    type: WarmResult,
    description:
      'Fills the tickers of `symbols`, the funding rates of the perpetuals among them, and their bars at each of `timeframes` (none when omitted) from the exchange, skipping what is fresh. Needs EXCHANGE_ID.',
    args: {
      symbols: t.arg({ type: ['MarketSymbol'], required: true }),
      timeframes: t.arg({ type: ['Timeframe'] }),
    },
    resolve: warmResolvers.warmCache,
  }),
}));
