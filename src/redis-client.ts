import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * The gateway's Redis connection. ioredis's defaults would queue a command for as long as Redis
 * is away and retry it 20 times, so a request could hang for minutes: here a command fails after
 * one retry or 2 s without an answer, and the request gets an error instead of a hang.
 *
 * Connection problems are logged once per change of state, not once per failed reconnect.
 */
export function createRedisClient(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 2000,
  });
  let state: 'connecting' | 'ready' | 'failing' = 'connecting';
  redis.on('ready', () => {
    if (state !== 'ready') logger.info('connected to Redis');
    state = 'ready';
  });
  redis.on('error', (error: Error) => {
    if (state !== 'failing') logger.warn({ reason: error.message }, 'Redis unavailable: reads and writes fail until it is back');
    state = 'failing';
  });
  return redis;
}
