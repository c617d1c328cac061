import { decodeBar, DecodeError } from '../cache/codec.js';
import type { Timeframe } from '../cache/market-types.js';
import type { GatewayContext } from './context.js';

/**
 * A point read through the request's `MGET` loader, marked `stale` when it was served from the
 * in-process tier during a Redis outage. A value that does not decode is a miss: it is removed
 * (unless rewritten meanwhile) and logged, and the rest of the query goes on.
 */
export async function readPoint<T extends object>(
  ctx: GatewayContext,
  key: string,
  decode: (raw: string) => T,
): Promise<(T & { stale: boolean }) | null> {
  const served = await ctx.loaders.points.load(key);
  if (served === null) return null;
  try {
    return { ...decode(served.value), stale: served.stale };
  } catch (error) {
    await discardCorrupt(ctx, key, served.value, served.stale, error);
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
  const served = await ctx.loaders.ranges.load({ key, minScore: since?.getTime(), maxScore: until?.getTime(), limit });
  const bars = [];
  for (const raw of served?.value ?? []) {
    try {
      bars.push({ ...decodeBar(raw, symbol, timeframe), stale: served!.stale });
    } catch (error) {
      await discardCorrupt(ctx, key, raw, served!.stale, error);
    }
  }
  return bars;
}

async function discardCorrupt(ctx: GatewayContext, key: string, raw: string, stale: boolean, error: unknown) {
  if (!(error instanceof DecodeError)) throw error;
  ctx.logger.warn({ key, reason: error.message }, 'discarded a cached value that does not decode');
  ctx.tier.forget(key);
  if (stale) return; // it came from the tier because Redis is unavailable: nothing to delete there now
  try {
    await ctx.store.discard(key, raw);
  } catch (discardError) {
    ctx.logger.error({ key, err: discardError }, 'could not discard an undecodable cached value');
  }
}
