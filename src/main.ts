import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { pathToFileURL } from 'node:url';
import { createMemoryStore } from './cache/memory-store.js';
import { createRedisStore } from './cache/redis-store.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { createRedisClient } from './redis-client.js';
import { createGateway } from './server.js';

/** How long shutdown waits for requests in flight before closing their connections. */
const SHUTDOWN_GRACE_MS = 5000;

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
  const store = redis ? createRedisStore({ redis }) : createMemoryStore({ maxKeys: config.memoryMaxKeys });
  const server = createServer(createGateway({ config, store, logger }));

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
