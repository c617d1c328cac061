import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { pathToFileURL } from 'node:url';
import type { Redis } from 'ioredis';
import { createCircuitBreakerStore } from './cache/circuit-breaker-store.js';
import { createMemoryStore } from './cache/memory-store.js';
import { createRedisStore } from './cache/redis-store.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { createRedisClient } from './redis-client.js';
import { createGateway } from './server.js';

/** How long shutdown waits for requests in flight before closing their connections. */
const SHUTDOWN_GRACE_MS = 5000;
/** How long start-up waits for a first Redis connection before listening anyway (not ready). */
const FIRST_CONNECTION_WAIT_MS = 2000;

export interface StartOptions {
  /**
   * Stop on SIGTERM and SIGINT. Off for a caller that embeds the gateway and owns the process.
   * @default true
   */
  handleSignals?: boolean;
  /** Where to log; by default JSON lines on stdout at `config.logLevel`. */
  logger?: Logger;
}

/**
 * Wires configuration, the store and the HTTP listener, and owns shutdown: it stops accepting
 * connections, lets requests in flight finish (for at most `SHUTDOWN_GRACE_MS`), then closes
 * what it opened.
 */
export async function start(config: Config, { handleSignals = true, logger = createLogger(config.logLevel) }: StartOptions = {}) {
  const redis = config.redisUrl ? createRedisClient(config.redisUrl, logger) : undefined;
  const { store, isReady } = redis
    ? resilientRedisStore(redis, config, logger)
    : { store: createMemoryStore({ maxKeys: config.memoryMaxKeys }), isReady: () => true };
  const server = createServer(createGateway({ config, store, logger, isReady }));
  if (redis) await firstConnection(redis);

  let port: number;
  try {
    port = await listen(server, config);
  } catch (error) {
    redis?.disconnect();
    throw error;
  }
  const url = graphqlUrl(config.host, port);
  logger.info(
    {
      url,
      store: redis ? 'redis' : 'memory',
      namespace: `${config.namespace}:${config.version}`,
      writes: config.writerToken || config.adminToken ? 'enabled' : 'disabled (no WRITER_TOKEN or ADMIN_TOKEN)',
    },
    redis
      ? 'gateway listening, caching in Redis'
      : 'gateway listening, caching in the embedded in-memory store (set REDIS_URL to use Redis)',
  );

  const shutdown = async (reason: string) => {
    logger.info({ reason }, 'shutting down');
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
    await new Promise((resolve) => server.close(resolve));
    clearTimeout(force);
    await store.close();
    await redis?.quit().catch(() => redis.disconnect());
  };
  if (handleSignals) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => void shutdown(signal).then(() => process.exit(0)));
    }
  }
  return { server, port, url, shutdown };
}

/**
 * Redis behind the two guards that keep an outage from slowing requests down: per-call time
 * limits (in the store) and a circuit breaker that fails fast once Redis keeps failing. Ready
 * means connected with the circuit not open.
 */
function resilientRedisStore(redis: Redis, config: Config, logger: Logger) {
  const timed = createRedisStore({ redis, readTimeoutMs: config.redisReadTimeoutMs, writeTimeoutMs: config.redisWriteTimeoutMs });
  const store = createCircuitBreakerStore(timed, { openMs: config.circuitOpenMs, logger });
  return { store, isReady: () => redis.status === 'ready' && store.state() !== 'open' };
}

/** Resolves once Redis is ready or `FIRST_CONNECTION_WAIT_MS` has passed, whichever is first. */
async function firstConnection(redis: Redis) {
  // Not events.once: it rejects on the 'error' events a Redis that is down keeps emitting.
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, FIRST_CONNECTION_WAIT_MS);
    redis.once('ready', done);
  });
}

function listen(server: Server, { host, port }: Config): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** A URL that reaches the listener from this machine: a wildcard address is not one to connect to. */
function graphqlUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${reachable}:${port}/graphql`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await start(loadConfig());
  } catch (error) {
    const listenError = error as NodeJS.ErrnoException;
    if (error instanceof ConfigError) console.error(`Configuration error: ${error.message}`);
    else if (listenError.syscall === 'listen') console.error(`Cannot listen: ${listenError.message} (set PORT or HOST)`);
    else throw error;
    process.exit(1);
  }
}
