import type { OrderBook } from '../cache/market-types.js';
import { readPoint } from '../read/reads.js';
import { rootReads } from '../read/root-reads.js';
import { invalidated } from './audit.js';
import type { GatewayContext } from './context.js';
import { checkOrderBook, checkTtl } from './validate.js';

/** A book as a producer writes it: `time` defaults to now. */
type OrderBookWrite = Omit<OrderBook, 'time'> & { time?: Date | null };

export const orderBookResolvers = {
  orderBook: (_root: unknown, args: { symbol: string; depth?: number | null }, ctx: GatewayContext) => readPoint(ctx, rootReads.orderBook(args, ctx)),

  putOrderBook: (_root: unknown, { orderBook, ttlSeconds }: { orderBook: OrderBookWrite; ttlSeconds?: number | null }, ctx: GatewayContext) => {
    checkOrderBook(orderBook);
    checkTtl(ttlSeconds);
    return ctx.cache.putOrderBook({ ...orderBook, time: orderBook.time ?? new Date() }, ttlSeconds);
  },

  invalidateOrderBook: async (_root: unknown, args: { symbol: string }, ctx: GatewayContext) =>
    invalidated(ctx, 'invalidateOrderBook', args, await ctx.cache.invalidateOrderBook(args.symbol)),
};
