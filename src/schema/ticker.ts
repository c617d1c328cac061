import type { Stamped } from '../cache/codec.js';
import type { Output, Ticker } from '../cache/market-types.js';
import { adminOnly, writerOnly } from '../resolvers/auth.js';
import { tickerResolvers } from '../resolvers/ticker.js';
import { builder } from './builder.js';
import { Cached } from './cached.js';
import { InvalidationResult } from './invalidation.js';
import { eachValue, liveResolvers } from '../resolvers/live.js';

const TickerType = builder.objectRef<Output<Stamped<Ticker>>>('Ticker').implement({
  description: "A symbol's last price and 24-hour statistics.",
  interfaces: [Cached],
  fields: (t) => ({
    symbol: t.expose('symbol', { type: 'MarketSymbol' }),
    last: t.exposeFloat('last'),
    bid: t.exposeFloat('bid', { nullable: true }),
    ask: t.exposeFloat('ask', { nullable: true }),
    high24h: t.exposeFloat('high24h', { nullable: true }),
    low24h: t.exposeFloat('low24h', { nullable: true }),
    volume24h: t.expose('volume24h', { type: 'NonNegativeFloat', nullable: true }),
    changePercent24h: t.exposeFloat('changePercent24h', { nullable: true }),
    time: t.expose('time', { type: 'DateTime' }),
  }),
});

const TickerInput = builder.inputType('TickerInput', {
  description: 'A ticker to store; `time` defaults to now.',
  fields: (t) => ({
    symbol: t.field({ type: 'MarketSymbol', required: true }),
    last: t.float({ required: true }),
    bid: t.float(),
    ask: t.float(),
    high24h: t.float(),
    low24h: t.float(),
    volume24h: t.field({ type: 'NonNegativeFloat' }),
    changePercent24h: t.float(),
    time: t.field({ type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  ticker: t.field({
    type: TickerType,
    nullable: true,
    args: { symbol: t.arg({ type: 'MarketSymbol', required: true }) },
    resolve: tickerResolvers.ticker,
  }),
  tickers: t.field({
    type: [TickerType],
    nullable: { list: false, items: true },
    description: 'One entry per requested symbol (at most 500), in order; null where nothing is cached.',
    args: { symbols: t.arg({ type: ['MarketSymbol'], required: true }) },
    resolve: tickerResolvers.tickers,
  }),
}));

builder.subscriptionFields((t) => ({
  tickers: t.field({
    type: TickerType,
    description:
      'The cached ticker of each symbol (1-500) now, then each change, the newest only per symbol: a slow client skips to the present. From whichever gateway instance the write went through.',
    args: { symbols: t.arg({ type: ['MarketSymbol'], required: true }) },
    subscribe: liveResolvers.tickers,
    resolve: eachValue,
  }),
}));

builder.mutationFields((t) => ({
  putTicker: t.field({
    ...writerOnly,
    type: TickerType,
    args: { ticker: t.arg({ type: TickerInput, required: true }), ttlSeconds: t.arg.int() },
    resolve: tickerResolvers.putTicker,
  }),
  putTickers: t.int({
    ...writerOnly,
    description: 'Stores every ticker (at most 500), all or none, in one round trip to Redis; returns the count.',
    args: { tickers: t.arg({ type: [TickerInput], required: true }), ttlSeconds: t.arg.int() },
    resolve: tickerResolvers.putTickers,
  }),
  invalidateTicker: t.field({
    ...adminOnly,
    type: InvalidationResult,
    args: { symbol: t.arg({ type: 'MarketSymbol', required: true }) },
    resolve: tickerResolvers.invalidateTicker,
  }),
}));
