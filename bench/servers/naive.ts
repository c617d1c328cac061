import { createServer } from 'node:http';
import SchemaBuilder from '@pothos/core';
import { GraphQLScalarType } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { createKeyLayout } from '../../src/cache/keys.js';
import type { Timeframe } from '../../src/cache/market-types.js';
import { listenAndAnnounce } from './listening.js';

/**
 * What a team writes first, and what the seed implementations of this cache did: graphql-yoga
 * and Pothos, each field resolved by its own `GET` (or `ZRANGE` for bars and trades) and its own
 * `JSON.parse`. No batching, no validation of stored values. Dates stay the ISO strings they are
 * stored as, so the answers are byte for byte the gateway's.
 */
const redis = new Redis(process.argv[2]!);
const keys = createKeyLayout({ namespace: 'mdc', version: 'v1' });

type Json = Record<string, any>;
const builder = new SchemaBuilder<{
  Scalars: {
    MarketSymbol: { Input: string; Output: string };
    Timeframe: { Input: Timeframe; Output: string };
    DateTime: { Input: string; Output: string };
    JSONObject: { Input: Json; Output: Json };
  };
  // The gateway's scope-auth plugin, loaded in the same program, makes its options required in
  // every builder's type; this builder uses no plugin, so it has none to give.
}>({} as never);
// Pass-through scalars: the operations name these types, so the schema must declare them.
for (const name of ['MarketSymbol', 'Timeframe', 'DateTime', 'JSONObject'] as const) {
  builder.addScalarType(name, new GraphQLScalarType({ name }));
}

async function get(key: string): Promise<Json | null> {
  const raw = await redis.get(key);
  return raw === null ? null : JSON.parse(raw);
}

const stamped = <T extends Json>(t: any) => ({
  cachedAt: t.field({ type: 'DateTime', resolve: (v: T) => v.cachedAt }),
  expiresAt: t.field({ type: 'DateTime', nullable: true, resolve: (v: T) => v.expiresAt }),
  stale: t.boolean({ resolve: () => false }),
});

const Ticker = builder.objectRef<Json>('Ticker').implement({
  fields: (t) => ({
    symbol: t.field({ type: 'MarketSymbol', resolve: (v) => v.symbol }),
    last: t.float({ resolve: (v) => v.last }),
    bid: t.float({ nullable: true, resolve: (v) => v.bid }),
    ask: t.float({ nullable: true, resolve: (v) => v.ask }),
    high24h: t.float({ nullable: true, resolve: (v) => v.high24h }),
    low24h: t.float({ nullable: true, resolve: (v) => v.low24h }),
    volume24h: t.float({ nullable: true, resolve: (v) => v.volume24h }),
    changePercent24h: t.float({ nullable: true, resolve: (v) => v.changePercent24h }),
    time: t.field({ type: 'DateTime', resolve: (v) => v.time }),
    ...stamped(t),
  }),
});

const FundingRate = builder.objectRef<Json>('FundingRate').implement({
  fields: (t) => ({
    symbol: t.field({ type: 'MarketSymbol', resolve: (v) => v.symbol }),
    rate: t.float({ resolve: (v) => v.rate }),
    nextFundingTime: t.field({ type: 'DateTime', nullable: true, resolve: (v) => v.nextFundingTime }),
    time: t.field({ type: 'DateTime', resolve: (v) => v.time }),
    ...stamped(t),
  }),
});

const FearGreed = builder.objectRef<Json>('FearGreed').implement({
  fields: (t) => ({
    value: t.int({ resolve: (v) => v.value }),
    classification: t.string({ resolve: (v) => v.classification }),
    time: t.field({ type: 'DateTime', resolve: (v) => v.time }),
    ...stamped(t),
  }),
});

const LlmAnalysis = builder.objectRef<Json>('LlmAnalysis').implement({
  fields: (t) => ({
    analysisType: t.string({ resolve: (v) => v.analysisType }),
    inputHash: t.string({ resolve: (v) => v.inputHash }),
    result: t.field({ type: 'JSONObject', resolve: (v) => v.result }),
    model: t.string({ nullable: true, resolve: (v) => v.model }),
    ...stamped(t),
  }),
});

const Bar = builder.objectRef<Json>('Bar').implement({
  fields: (t) => ({
    openTime: t.field({ type: 'DateTime', resolve: (v) => v.openTime }),
    open: t.float({ resolve: (v) => v.open }),
    high: t.float({ resolve: (v) => v.high }),
    low: t.float({ resolve: (v) => v.low }),
    close: t.float({ resolve: (v) => v.close }),
    volume: t.float({ resolve: (v) => v.volume }),
    stale: t.boolean({ resolve: () => false }),
  }),
});

const OrderBookLevel = builder.objectRef<Json>('OrderBookLevel').implement({
  fields: (t) => ({
    price: t.float({ resolve: (v) => v.price }),
    amount: t.float({ resolve: (v) => v.amount }),
  }),
});

const OrderBook = builder.objectRef<Json>('OrderBook').implement({
  fields: (t) => ({
    symbol: t.field({ type: 'MarketSymbol', resolve: (v) => v.symbol }),
    bids: t.field({ type: [OrderBookLevel], resolve: (v) => v.bids }),
    asks: t.field({ type: [OrderBookLevel], resolve: (v) => v.asks }),
    time: t.field({ type: 'DateTime', resolve: (v) => v.time }),
    ...stamped(t),
  }),
});

const TradeSide = builder.enumType('TradeSide', { values: { BUY: { value: 'buy' }, SELL: { value: 'sell' } } });

const Trade = builder.objectRef<Json>('Trade').implement({
  fields: (t) => ({
    id: t.string({ nullable: true, resolve: (v) => v.id }),
    time: t.field({ type: 'DateTime', resolve: (v) => v.time }),
    price: t.float({ resolve: (v) => v.price }),
    amount: t.float({ resolve: (v) => v.amount }),
    side: t.field({ type: TradeSide, nullable: true, resolve: (v) => v.side }),
    stale: t.boolean({ resolve: () => false }),
  }),
});

builder.queryType({
  fields: (t) => ({
    ticker: t.field({
      type: Ticker,
      nullable: true,
      args: { symbol: t.arg({ type: 'MarketSymbol', required: true }) },
      resolve: (_root, { symbol }) => get(keys.ticker(symbol)),
    }),
    tickers: t.field({
      type: [Ticker],
      nullable: { list: false, items: true },
      args: { symbols: t.arg({ type: ['MarketSymbol'], required: true }) },
      resolve: (_root, { symbols }) => symbols.map((symbol) => get(keys.ticker(symbol))),
    }),
    fundingRate: t.field({
      type: FundingRate,
      nullable: true,
      args: { symbol: t.arg({ type: 'MarketSymbol', required: true }) },
      resolve: (_root, { symbol }) => get(keys.fundingRate(symbol)),
    }),
    fearGreed: t.field({ type: FearGreed, nullable: true, resolve: () => get(keys.fearGreed()) }),
    llmAnalysis: t.field({
      type: LlmAnalysis,
      nullable: true,
      args: { analysisType: t.arg.string({ required: true }), inputHash: t.arg.string({ required: true }) },
      resolve: (_root, { analysisType, inputHash }) => get(keys.llmAnalysis(analysisType, inputHash)),
    }),
    bars: t.field({
      type: [Bar],
      args: {
        symbol: t.arg({ type: 'MarketSymbol', required: true }),
        timeframe: t.arg({ type: 'Timeframe', required: true }),
        limit: t.arg.int({ defaultValue: 100 }),
      },
      resolve: async (_root, { symbol, timeframe, limit }) => {
        const members = await redis.zrange(keys.bars(symbol, timeframe), '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, limit ?? 100);
        return members.map((raw) => JSON.parse(raw));
      },
    }),
    orderBook: t.field({
      type: OrderBook,
      nullable: true,
      args: { symbol: t.arg({ type: 'MarketSymbol', required: true }), depth: t.arg.int({ defaultValue: 20 }) },
      resolve: async (_root, { symbol, depth }) => {
        const book = await get(keys.orderBook(symbol));
        return book && { ...book, bids: book.bids.slice(0, depth ?? 20), asks: book.asks.slice(0, depth ?? 20) };
      },
    }),
    trades: t.field({
      type: [Trade],
      args: { symbol: t.arg({ type: 'MarketSymbol', required: true }), limit: t.arg.int({ defaultValue: 100 }) },
      resolve: async (_root, { symbol, limit }) => {
        // The log's stamp sits at +inf: one member more, and the first one off when it is the stamp.
        const count = limit ?? 100;
        const members = await redis.zrange(keys.trades(symbol), '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, count + 1);
        const list = members[0]?.startsWith('{"stamp":true') ? members.slice(1) : members.slice(0, count);
        return list.map((raw) => JSON.parse(raw));
      },
    }),
  }),
});

const yoga = createYoga({ schema: builder.toSchema(), graphqlEndpoint: '/graphql', graphiql: false, landingPage: false, logging: false });
await listenAndAnnounce(createServer(yoga));
