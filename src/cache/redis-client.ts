import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisTopology } from './redis-topology.js';

/** A connection to a standalone Redis or a Sentinel-watched master (`Redis`), or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * The gateway's Redis connection, on any topology. ioredis's defaults queue a command for as long
 * as Redis is away and retry it up to 20 times, so a request could hang for minutes. Here a command
 * is never queued while disconnected and never re-sent after a reconnect: it fails, and the store's
 * time limits and circuit breaker turn that into a fast `CACHE_UNAVAILABLE`. Reconnection is
 * retried at least every 500 ms, so the gateway follows Redis back within a second.
 *
 * - Sentinel: ioredis asks the sentinels where the master is at each connection. A failover ends
 *   the connections to the old master (it died, or Sentinel kills its clients as it demotes it),
 *   and the next one goes to the promoted replica; a command answered `READONLY` (a demoted
 *   master) makes it reconnect too. ioredis's `failoverDetector` is not used: with it (5.9.3),
 *   the gateway did not reconnect within 6 s of a failover in test/failover.test.ts; without it,
 *   within about 2.5 s of the kill.
 * - Cluster: the slot map is refreshed every second and on every `MOVED`, so a promoted replica is
 *   found within about a second of the cluster electing it.
 *
 * Connection problems are logged once per change of state, not once per failed reconnect, and only
 * for the connection that `reportsState` (a second connection to the same server would say the
 * same again).
 */
export function createRedisClient(topology: RedisTopology, logger: Logger, { reportsState = true } = {}): RedisClient {
  const common: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    // A backstop for ioredis's own bookkeeping; the store's limits are far shorter.
    commandTimeout: 5000,
    retryStrategy: (attempt) => Math.min(attempt * 50, 500),
  };
  const auth = topology.kind === 'standalone' ? {} : { username: topology.username, password: topology.password, tls: topology.tls ? {} : undefined };
  let redis: RedisClient;
  if (topology.kind === 'standalone') {
    redis = new Redis(topology.url, common);
  } else if (topology.kind === 'sentinel') {
    redis = new Redis({
      ...common,
      ...auth,
      db: topology.db,
      sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
      name: topology.name,
      sentinelUsername: auth.username,
      sentinelPassword: auth.password,
      enableTLSForSentinelMode: topology.tls,
      sentinelTLS: auth.tls,
      sentinelRetryStrategy: (attempt) => Math.min(attempt * 50, 500),
      reconnectOnError: (error) => error.message.startsWith('READONLY'),
    });
  } else {
    redis = new Cluster(
      topology.nodes.map(({ host, port }) => ({ host, port })),
      {
        redisOptions: { ...common, ...auth },
        enableOfflineQueue: false,
        clusterRetryStrategy: (attempt) => Math.min(attempt * 50, 500),
        slotsRefreshInterval: 1000,
        slotsRefreshTimeout: 1000,
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
        scaleReads: 'master',
      },
    );
  }
  let state: 'connecting' | 'ready' | 'failing' = 'connecting';
  redis.on('ready', () => {
    if (state !== 'ready' && reportsState) logger.info(`connected to Redis (${topology.kind})`);
    state = 'ready';
  });
  redis.on('error', (error: Error) => {
    if (state !== 'failing' && reportsState) logger.warn({ reason: error.message }, 'Redis unavailable: reads and writes fail until it is back');
    state = 'failing';
  });
  return redis;
}
