import type { Redis } from 'ioredis';
import { commandCalls } from '../test/support/redis-server.js';

/**
 * What the servers ask of Redis, from Redis's own counters. `CONFIG RESETSTAT` zeroes them before a
 * measurement; the measurement's own commands (`INFO`, `CONFIG RESETSTAT`) are not counted.
 */
export async function resetStats(redis: Redis): Promise<void> {
  await redis.config('RESETSTAT');
}

/** Calls per command since the last reset: `{ mget: 1200, zrange: 3600 }`. */
export async function commandsSinceReset(redis: Redis): Promise<Record<string, number>> {
  const calls = await commandCalls(redis);
  for (const own of ['info', 'config|resetstat', 'config']) delete calls[own];
  return calls;
}

/**
 * Socket reads Redis has processed since the last reset, not counting the `INFO` that asks.
 * With one request in flight at a time, that is the request's round trips: a pipeline or an
 * `MGET` arrives in one read, and commands sent one after another in separate ones. (Commands
 * written in the same tick may share a read, and under concurrent load requests share them.)
 */
export async function readsSinceReset(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  const match = /^total_reads_processed:(\d+)/m.exec(info);
  if (!match) throw new Error('INFO stats has no total_reads_processed: Redis 6.0 or later is needed');
  return Number(match[1]) - 1;
}

export const totalCalls = (calls: Record<string, number>) => Object.values(calls).reduce((sum, n) => sum + n, 0);

/**
 * Resolves once no command has reached Redis for `quietMs`: requests cut off at the end of a
 * warm-up may still be running in the server, and must not be counted in the next measurement.
 */
export async function untilIdle(redis: Redis, { quietMs = 150, maxMs = 10_000 } = {}): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = -1;
  for (;;) {
    // INFO, which this loop sends, is not counted: only the servers' commands are.
    const now = totalCalls(await commandsSinceReset(redis));
    if (now === last || Date.now() > deadline) return;
    last = now;
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
}
