import { DecodeError } from '../cache/codec.js';
import type { GatewayContext } from './context.js';
import type { PointRead, PointsRead, RangeRead } from './root-reads.js';

/**
 * A point read (see root-reads.ts) through the request's `MGET` loader, marked `stale` when it was
 * served from the in-process tier during a Redis outage. A value that does not decode is a miss: it is removed
 * (unless rewritten meanwhile) and logged, and the rest of the query goes on.
 */
export async function readPoint<T extends object>(
  ctx: GatewayContext,
  { key, decode }: PointRead<T>,
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

/** A list of point reads, one entry per key. */
export function readPoints<T extends object>(ctx: GatewayContext, { keys, decode }: PointsRead<T>) {
  return keys.map((key) => readPoint(ctx, { kind: 'point', key, decode }));
}

/** A bar range, newest first, through the request's range pipeline; undecodable bars are dropped and removed. */
export async function readRange<T extends object>(ctx: GatewayContext, { range, decode }: RangeRead<T>) {
  const served = await ctx.loaders.ranges.load(range);
  const values = [];
  for (const raw of served?.value ?? []) {
    try {
      values.push({ ...decode(raw), stale: served!.stale });
    } catch (error) {
      await discardCorrupt(ctx, range.key, raw, served!.stale, error);
    }
  }
  return values;
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
