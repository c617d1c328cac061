import { DEFAULTS } from '../defaults.js';
import type { Stamped } from '../cache/codec.js';
import type { OrderBook, OrderBookLevel, Output } from '../cache/market-types.js';
import { adminOnly, writerOnly } from '../resolvers/auth.js';
import { orderBookResolvers } from '../resolvers/order-book.js';
import { builder } from './builder.js';
import { Cached } from './cached.js';
import { InvalidationResult } from './invalidation.js';
import { eachValue, liveResolvers } from '../resolvers/live.js';

const OrderBookLevelType = builder.objectRef<OrderBookLevel>('OrderBookLevel').implement({
  description: 'One price level of a book side.',
  fields: (t) => ({
    price: t.exposeFloat('price'),
    amount: t.expose('amount', { type: 'NonNegativeFloat' }),
  }),
});

const OrderBookType = builder.objectRef<Output<Stamped<OrderBook>>>('OrderBook').implement({
  description: "A snapshot of a symbol's order book: bids highest first, asks lowest first.",
  interfaces: [Cached],
  fields: (t) => ({
    symbol: t.expose('symbol', { type: 'MarketSymbol' }),
    bids: t.expose('bids', { type: [OrderBookLevelType] }),
    asks: t.expose('asks', { type: [OrderBookLevelType] }),
    time: t.expose('time', { type: 'DateTime' }),
  }),
});

const OrderBookLevelInput = builder.inputType('OrderBookLevelInput', {
  description: 'A level: price > 0, amount >= 0.',
  fields: (t) => ({
    price: t.float({ required: true }),
    amount: t.field({ type: 'NonNegativeFloat', required: true }),
  }),
});

const { maxOrderBookLevels, maxOrderBookDepth, orderBookDepth } = DEFAULTS.fields;

const OrderBookInput = builder.inputType('OrderBookInput', {
  description: `A book to store, in any order (it is stored best first): at most ${maxOrderBookLevels} levels a side, no price twice on a side, not crossed. \`time\` defaults to now.`,
  fields: (t) => ({
    symbol: t.field({ type: 'MarketSymbol', required: true }),
    bids: t.field({ type: [OrderBookLevelInput], required: true }),
    asks: t.field({ type: [OrderBookLevelInput], required: true }),
    time: t.field({ type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  orderBook: t.field({
    type: OrderBookType,
    nullable: true,
    description: `The cached book, its best \`depth\` levels a side (1-${maxOrderBookDepth}).`,
    args: {
      symbol: t.arg({ type: 'MarketSymbol', required: true }),
      depth: t.arg.int({ defaultValue: orderBookDepth }),
    },
    resolve: orderBookResolvers.orderBook,
  }),
}));

builder.subscriptionFields((t) => ({
  orderBook: t.field({
    type: OrderBookType,
    description: `The cached book now, then each change, the newest only, its best \`depth\` levels a side (1-${maxOrderBookDepth}).`,
    args: {
      symbol: t.arg({ type: 'MarketSymbol', required: true }),
      depth: t.arg.int({ defaultValue: orderBookDepth }),
    },
    subscribe: liveResolvers.orderBook,
    resolve: eachValue,
  }),
}));

builder.mutationFields((t) => ({
  putOrderBook: t.field({
    ...writerOnly,
    type: OrderBookType,
    description: "Replaces the symbol's book.",
    args: { orderBook: t.arg({ type: OrderBookInput, required: true }), ttlSeconds: t.arg.int() },
    resolve: orderBookResolvers.putOrderBook,
  }),
  invalidateOrderBook: t.field({
    ...adminOnly,
    type: InvalidationResult,
    args: { symbol: t.arg({ type: 'MarketSymbol', required: true }) },
    resolve: orderBookResolvers.invalidateOrderBook,
  }),
}));
