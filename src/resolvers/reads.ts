import { decodeBar, DecodeError } from '../cache/codec.js';
import type { Timeframe } from '../cache/market-types.js';
import type { GatewayContext } from './context.js';

/**
 * A point read through the request's `MGET` loader. A value that does not decode is a miss: it is
 * removed (unless rewritten meanwhile) and logged, and the rest of the query goes on.
 */
export async function readPoint<T>(ctx: GatewayContext, key: string, decode: (raw: string) => T): Promise<T | null> {
  const raw = await ctx.loaders.points.load(key);
  if (raw === null) return null;
  try {
    return decode(raw);
  } catch (error) {
    await discardCorrupt(ctx, key, raw, error);
    return null;
  }
}

export interface BarsQuery {
  symbol: string;
  timeframe: Timeframe;
  limit: number;
  since?: Date | null;
  until?: Date | null;
}

/** Newest first, through the request's range pipeline; undecodable bars are dropped and removed. */
export async function readBars(ctx: GatewayContext, { symbol, timeframe, limit, since, until }: BarsQuery) {
  const key = ctx.keys.bars(symbol, timeframe);
  const members = await ctx.loaders.ranges.load({ key, minScore: since?.getTime(), maxScore: until?.getTime(), limit });
  const bars = [];
  for (const raw of members) {
    try {
      bars.push(decodeBar(raw, symbol, timeframe));
    } catch (error) {
      await discardCorrupt(ctx, key, raw, error);
    }
  }
  return bars;
}

async function discardCorrupt(ctx: GatewayContext, key: string, raw: string, error: unknown) {
  if (!(error instanceof DecodeError)) throw error;
  ctx.logger.warn({ key, reason: error.message }, 'discarded a cached value that does not decode');
  try {
    await ctx.store.discard(key, raw);
  } catch (discardError) {
    ctx.logger.error({ key, err: discardError }, 'could not discard an undecodable cached value');
  }
}
