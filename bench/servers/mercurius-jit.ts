import { readFileSync } from 'node:fs';
import DataLoader from 'dataloader';
import Fastify from 'fastify';
import { buildSchema } from 'graphql';
import { Redis } from 'ioredis';
import mercurius from 'mercurius';
import { createKeyLayout } from '../../src/cache/keys.js';
import { announce } from './listening.js';

/**
 * The fastest Node GraphQL server a user could pick instead: Fastify and Mercurius, every
 * operation compiled by graphql-jit from its first request, the gateway's own printed schema
 * (`schema.graphql`, scalars passing values through), and per-request DataLoaders that turn
 * every point read into one `MGET` and every bar or trade range into one pipeline. Like the
 * naive server it trusts stored values: one `JSON.parse` each, no field checks, dates left as
 * stored.
 */
const redis = new Redis(process.argv[2]!);
const keys = createKeyLayout({ namespace: 'mdc', version: 'v1' });
const schema = buildSchema(readFileSync('schema.graphql', 'utf8')); // the runner starts it in the project's root

interface Range {
  key: string;
  limit: number;
}
type Json = Record<string, any>;

function createLoaders() {
  return {
    points: new DataLoader<string, string | null>((keyList) => redis.mget(...keyList)),
    ranges: new DataLoader<Range, string[], string>(
      async (ranges) => {
        const pipeline = redis.pipeline();
        for (const { key, limit } of ranges) pipeline.zrange(key, '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, limit);
        return (await pipeline.exec())!.map(([error, members]) => error ?? (members as string[]));
      },
      { cacheKeyFn: ({ key, limit }) => `${key} ${limit}` },
    ),
  };
}
type Context = ReturnType<typeof createLoaders>;

async function point(ctx: Context, key: string): Promise<Json | null> {
  const raw = await ctx.points.load(key);
  if (raw === null) return null;
  const value = JSON.parse(raw);
  value.stale = false;
  return value;
}

const resolvers = {
  Query: {
    ticker: (_root: unknown, { symbol }: { symbol: string }, ctx: Context) => point(ctx, keys.ticker(symbol)),
    tickers: (_root: unknown, { symbols }: { symbols: string[] }, ctx: Context) => symbols.map((symbol) => point(ctx, keys.ticker(symbol))),
    fundingRate: (_root: unknown, { symbol }: { symbol: string }, ctx: Context) => point(ctx, keys.fundingRate(symbol)),
    fearGreed: (_root: unknown, _args: unknown, ctx: Context) => point(ctx, keys.fearGreed()),
    llmAnalysis: (_root: unknown, { analysisType, inputHash }: { analysisType: string; inputHash: string }, ctx: Context) =>
      point(ctx, keys.llmAnalysis(analysisType, inputHash.toLowerCase())),
    orderBook: async (_root: unknown, { symbol, depth }: { symbol: string; depth: number }, ctx: Context) => {
      const book = await point(ctx, keys.orderBook(symbol));
      if (book === null) return null;
      book.bids = book.bids.slice(0, depth);
      book.asks = book.asks.slice(0, depth);
      return book;
    },
    trades: async (_root: unknown, { symbol, limit }: { symbol: string; limit: number }, ctx: Context) => {
      // The log's stamp sits at +inf: one member more, and the first one off when it is the stamp.
      const members = await ctx.ranges.load({ key: keys.trades(symbol), limit: limit + 1 });
      const list = members[0]?.startsWith('{"stamp":true') ? members.slice(1) : members.slice(0, limit);
      return list.map((raw) => {
        const trade = JSON.parse(raw);
        // The printed schema's enum has no internal values: a resolver returns its names.
        trade.side = trade.side?.toUpperCase() ?? null;
        trade.stale = false;
        return trade;
      });
    },
    bars: async (_root: unknown, { symbol, timeframe, limit }: { symbol: string; timeframe: any; limit: number }, ctx: Context) => {
      const members = await ctx.ranges.load({ key: keys.bars(symbol, timeframe), limit });
      return members.map((raw) => {
        const bar = JSON.parse(raw);
        bar.stale = false;
        return bar;
      });
    },
  },
};

const app = Fastify({ logger: false });
await app.register(mercurius, { schema, resolvers: resolvers as any, context: createLoaders, jit: 1, graphiql: false, path: '/graphql' });
await app.listen({ port: 0, host: '127.0.0.1' });
announce((app.server.address() as { port: number }).port);
