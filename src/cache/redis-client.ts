import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * The gateway's Redis connection. ioredis's defaults queue a command for as long as Redis is
 * away and retry it up to 20 times, so a request could hang for minutes. Here a command is never
 * queued while disconnected and never re-sent after a reconnect: it fails, and the store's time
 * limits and circuit breaker turn that into a fast `CACHE_UNAVAILABLE`. Reconnection is retried
 * at least every 500 ms, so the gateway follows Redis back within a second.
 *
 * Connection problems are logged once per change of state, not once per failed reconnect, and only
 * for the connection that `reportsState` (a second connection to the same server would say the
 * same again).
 */
export function createRedisClient(url: string, logger: Logger, { reportsState = true } = {}): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    // A backstop for ioredis's own bookkeeping; the store's limits are far shorter.
    commandTimeout: 5000,
    retryStrategy: (attempt) => Math.min(attempt * 50, 500),
  });
  let state: 'connecting' | 'ready' | 'failing' = 'connecting';
  redis.on('ready', () => {
    if (state !== 'ready' && reportsState) logger.info('connected to Redis');
    state = 'ready';
  });
  redis.on('error', (error: Error) => {
    if (state !== 'failing' && reportsState) logger.warn({ reason: error.message }, 'Redis unavailable: reads and writes fail until it is back');
    state = 'failing';
  });
  return redis;
}
