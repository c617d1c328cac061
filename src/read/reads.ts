import { locatedError, responsePathAsArray, type GraphQLResolveInfo } from 'graphql';
import { DecodeError } from '../cache/codec.js';
import type { GatewayContext } from '../resolvers/context.js';
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
  // Charged before it is decoded: 200 aliases of a 5000-level book must not all be parsed only to
  // find that they do not fit.
  ctx.budget.charge(served.value.length);
  let value: T;
  try {
    value = decode(served.value);
  } catch (error) {
    await discardCorrupt(ctx, key, served.value, served.stale, error);
    return null;
  }
  return { ...value, stale: served.stale };
}

/**
 * A list of point reads, one entry per key. Entries that fail (Redis could not answer, the
 * response is full) are `null` and the field gets one error, the first, at the list's path, not
 * one per entry: 500 errors, each located by graphql-js by rescanning the document, cost seconds
 * of event loop for one request.
 */
export function readPoints<T extends object>(ctx: GatewayContext, { keys, decode }: PointsRead<T>, info: GraphQLResolveInfo) {
  let reported = false;
  return keys.map(async (key) => {
    try {
      return await readPoint(ctx, { kind: 'point', key, decode });
    } catch (error) {
      if (reported) return null;
      reported = true;
      throw locatedError(error, info.fieldNodes, responsePathAsArray(info.path));
    }
  });
}

/**
 * A bar range, newest first, through the request's range pipeline; undecodable bars are dropped
 * and removed, and a key that is not a series at all reads as empty and is removed.
 */
export async function readRange<T extends object>(ctx: GatewayContext, { range, decode }: RangeRead<T>) {
  const served = await ctx.loaders.ranges.load(range);
  if (served === null) {
    await discardCorrupt(ctx, range.key, null, false, new DecodeError('not a sorted set'));
    return [];
  }
  const values = [];
  let bytes = 0;
  for (const raw of served.value) {
    try {
      values.push({ ...decode(raw), stale: served.stale });
      bytes += raw.length;
    } catch (error) {
      await discardCorrupt(ctx, range.key, raw, served.stale, error);
    }
  }
  ctx.budget.charge(bytes);
  return values;
}

async function discardCorrupt(ctx: GatewayContext, key: string, raw: string | null, stale: boolean, error: unknown) {
  if (!(error instanceof DecodeError)) throw error;
  ctx.logger.warn({ key, reason: error.message }, 'discarded a cached value that does not decode');
  try {
    await ctx.loaders.discard(key, raw, stale);
  } catch (discardError) {
    ctx.logger.error({ key, err: discardError }, 'could not discard an undecodable cached value');
  }
}
