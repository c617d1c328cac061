import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { createMemoryStore } from './cache/memory-store.js';
import { createRedisStore } from './cache/redis-store.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { createGateway } from './server.js';

/**
 * Wires configuration, the store and the HTTP listener, and owns shutdown: on SIGTERM or SIGINT
 * it stops accepting connections, lets requests in flight finish, then closes what it opened.
 */
export async function start(config: Config) {
  const logger = createLogger(config.logLevel);
  const redis = config.redisUrl ? createRedisClient(config.redisUrl) : undefined;
  const store = redis ? createRedisStore({ redis }) : createMemoryStore({ maxKeys: config.memoryMaxKeys });

  const gateway = createGateway({ config, store, logger });
  const server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info(
    {
      url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}/graphql`,
      store: redis ? 'redis' : 'memory',
      namespace: `${config.namespace}:${config.version}`,
      writes: config.writerToken || config.adminToken ? 'enabled' : 'disabled (no WRITER_TOKEN or ADMIN_TOKEN)',
    },
    redis
      ? 'gateway listening, caching in Redis'
      : 'gateway listening, caching in the embedded in-memory store (set REDIS_URL to use Redis)',
  );

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    server.closeIdleConnections();
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    await redis?.quit();
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutdown(signal).then(() => process.exit(0)));
  }
  return { server, port, shutdown };
}

function createRedisClient(url: string): Redis {
  return new Redis(url, {
    // Fail a command rather than queue it for ever: a cache that hangs is worse than a miss.
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 2000,
  });
}

const isEntryPoint = import.meta.url === `file://${process.argv[1]}`;
if (isEntryPoint) {
  try {
    await start(loadConfig());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`Configuration error: ${error.message}`);
    process.exit(1);
  }
}
