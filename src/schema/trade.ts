import { DEFAULTS } from '../defaults.js';
import type { Output, Trade, TradeSide } from '../cache/market-types.js';
import { adminOnly, writerOnly } from '../resolvers/auth.js';
import { tradeResolvers } from '../resolvers/trade.js';
import { builder } from './builder.js';
import { InvalidationResult } from './invalidation.js';
import { eachValue, liveResolvers } from '../resolvers/live.js';

const TradeSideEnum = builder.enumType('TradeSide', {
  description: "The taker's side.",
  values: { BUY: { value: 'buy' }, SELL: { value: 'sell' } } as const satisfies Record<string, { value: TradeSide }>,
});

const TradeType = builder.objectRef<Output<Trade> & { stale?: boolean }>('Trade').implement({
  description: 'One public trade of a symbol.',
  fields: (t) => ({
    id: t.exposeString('id', { nullable: true }),
    time: t.expose('time', { type: 'DateTime' }),
    price: t.exposeFloat('price'),
    amount: t.expose('amount', { type: 'NonNegativeFloat' }),
    side: t.expose('side', { type: TradeSideEnum, nullable: true }),
    stale: t.boolean({
      description:
        "True when the symbol's trades are past their TTL (served while they are refreshed, or while their source or Redis is unavailable).",
      resolve: ({ stale }) => stale ?? false,
    }),
  }),
});

const { maxTradeIdLength, tradesLimit, maxTradesLimit, maxTradesPerWrite } = DEFAULTS.fields;

const TradeInput = builder.inputType('TradeInput', {
  description: `A trade to append: price > 0; an \`id\` of 1-${maxTradeIdLength} characters identifies it, or without one its time, price, amount and side do.`,
  fields: (t) => ({
    id: t.string(),
    time: t.field({ type: 'DateTime', required: true }),
    price: t.float({ required: true }),
    amount: t.field({ type: 'NonNegativeFloat', required: true }),
    side: t.field({ type: TradeSideEnum }),
  }),
});

builder.queryFields((t) => ({
  trades: t.field({
    type: [TradeType],
    description: `The symbol's most recent trades, newest first: at most \`limit\` (1-${maxTradesLimit}), from \`since\` (inclusive).`,
    args: {
      symbol: t.arg({ type: 'MarketSymbol', required: true }),
      limit: t.arg.int({ defaultValue: tradesLimit }),
      since: t.arg({ type: 'DateTime' }),
    },
    resolve: tradeResolvers.trades,
  }),
}));

builder.subscriptionFields((t) => ({
  trades: t.field({
    type: TradeType,
    description: `The symbol's newest trade now, then each new trade, oldest first (at most the newest ${DEFAULTS.live.tradesWindow} of one write).`,
    args: { symbol: t.arg({ type: 'MarketSymbol', required: true }) },
    subscribe: liveResolvers.trades,
    resolve: eachValue,
  }),
}));

builder.mutationFields((t) => ({
  putTrades: t.int({
    ...writerOnly,
    description: `Appends trades (at most ${maxTradesPerWrite} a call), skipping those already stored, and refreshes the TTL; returns how many were new.`,
    args: {
      symbol: t.arg({ type: 'MarketSymbol', required: true }),
      trades: t.arg({ type: [TradeInput], required: true }),
      ttlSeconds: t.arg.int(),
    },
    resolve: tradeResolvers.putTrades,
  }),
  invalidateTrades: t.field({
    ...adminOnly,
    type: InvalidationResult,
    args: { symbol: t.arg({ type: 'MarketSymbol', required: true }) },
    resolve: tradeResolvers.invalidateTrades,
  }),
}));
