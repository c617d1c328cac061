import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { createCircuitBreakerStore } from './cache/circuit-breaker-store.js';
import { createKeyLayout } from './cache/keys.js';
import { createMemoryStore } from './cache/memory-store.js';
import { createRedisStore } from './cache/redis-store.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { createRedisClient, type RedisClient } from './cache/redis-client.js';
import { createGateway } from './gateway.js';
import { useLingeringClose } from './edge/lingering-close.js';
import { serveWebSockets } from './edge/websocket.js';
import { DEFAULTS } from './defaults.js';
import { createMeteredStore } from './cache/metered-store.js';
import { createRedisInfoReader, memoryPolicyProblem, type RedisInfo } from './cache/redis-info.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';

/** How far V8's heap limit may exceed `--max-old-space-size` (its young generation). */
const HEAP_LIMIT_SLACK_MB = 128;

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
 * connections, lets requests in flight finish (for at most `DEFAULTS.http.shutdownGraceMs`), then closes
 * what it opened.
 */
export async function start(config: Config, { handleSignals = true, logger = createLogger(config.logLevel) }: StartOptions = {}) {
  // ccxt is loaded only for a gateway with an exchange; its id is checked before anything starts.
  if (config.sources.exchangeId !== undefined) {
    const problem = (await import('./sources/exchange.js')).exchangeIdProblem(config.sources.exchangeId);
    if (problem !== undefined) throw new ConfigError(problem);
  }
  const topology = config.redis;
  const redis = topology && createRedisClient(topology, logger);
  // Bar ranges get a connection of their own: their replies can be megabytes (see redis-store.ts).
  const bulkRedis = topology && createRedisClient(topology, logger, { reportsState: false });
  // Every change is announced on a channel each process subscribes to: to drop what it keeps of
  // changed keys, and to hear of the fills it waits for.
  const subscriber = topology && createRedisClient(topology, logger, { reportsState: false });
  // Writes that wait for replicas hold their connection meanwhile: they get one of their own.
  const writeRedis = topology && config.redisWaitReplicas > 0 ? createRedisClient(topology, logger, { reportsState: false }) : undefined;
  const metrics = createMetrics();
  const { store, isReady } = redis
    ? resilientRedisStore({ redis, bulkRedis: bulkRedis!, writeRedis, subscriber }, config, logger, metrics)
    : { store: createMemoryStore({ maxKeys: config.memoryMaxKeys, maxBytes: config.memoryMaxBytes }), isReady: () => true };
  const redisInfo = redis && createRedisInfoReader(redis, config.redisReadMaxMs, { sentinel: topology?.kind === 'sentinel' });
  const gateway = createGateway({ config, store, logger, isReady, metrics, redisInfo });
  const server = createServer(
    {
      headersTimeout: config.http.headersTimeoutMs,
      requestTimeout: config.http.requestTimeoutMs,
      // Node checks both timeouts this often (30 s by default, which would let a slow client
      // hold its connection that long past either).
      connectionsCheckingInterval: Math.min(1000, config.http.headersTimeoutMs),
    },
    // The fast lane answers what a read plan serves, yoga everything else (FAST_LANE=false: yoga alone).
    gateway.fastLane,
  );
  // Subscriptions over WebSocket, on the same path and server.
  const webSockets = serveWebSockets({
    server,
    gateway,
    logger,
    corsOrigins: config.corsOrigins,
    maxMessageBytes: config.maxBodyBytes,
    maxVariablesBytes: config.maxVariablesBytes,
    maxSubscriptions: config.live.maxSubscriptionsPerConnection,
  });
  server.keepAliveTimeout = config.http.keepAliveTimeoutMs;
  // Past this many open connections, new ones are closed at once: the process keeps its file
  // descriptors and its memory for the connections it serves.
  server.maxConnections = config.http.maxConnections;
  useLingeringClose(server, { maxBytes: 8 * config.maxBodyBytes });
  if (redis) await Promise.all([redis, bulkRedis!, writeRedis].flatMap((client) => (client ? [firstConnection(client)] : [])));
  if (redis) await checkMemoryPolicy(redis, redisInfo!, logger);

  let port: number;
  try {
    port = await listen(server, config);
  } catch (error) {
    for (const client of [redis, bulkRedis, subscriber, writeRedis]) client?.disconnect();
    throw error;
  }
  const shutdown = async (reason: string) => {
    logger.info({ reason }, 'shutting down');
    // Subscriptions end first: their streams complete, and their connections close with them.
    gateway.close();
    webSockets.close();
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), DEFAULTS.http.shutdownGraceMs).unref();
    await new Promise((resolve) => server.close(resolve));
    clearTimeout(force);
    await store.close();
    await Promise.all([redis, bulkRedis, subscriber, writeRedis].map((client) => client?.quit().catch(() => client.disconnect())));
  };
  // Before the start-up line: whoever waits for that line (a process manager, a test) may signal
  // at once, and a process descheduled between the line and the listener died by the signal.
  if (handleSignals) {
    // Listening for good (not `once`): a second signal with no listener left would kill the
    // process mid shutdown. The shutdown runs once, bounded by its grace period; signals during it
    // change nothing.
    let stopping: Promise<void> | undefined;
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => void (stopping ??= shutdown(signal).then(() => process.exit(0))));
    }
  }
  const url = graphqlUrl(config.host, port);
  const heapLimitMb = Math.round(getHeapStatistics().heap_size_limit / 1024 / 1024);
  // V8's limit includes the young generation: a few tens of MiB over --max-old-space-size.
  if (heapLimitMb > config.maxHeapMb + HEAP_LIMIT_SLACK_MB) {
    logger.warn(
      { heapLimitMb, maxHeapMb: config.maxHeapMb },
      'the V8 heap is not bounded by MAX_HEAP_MB: start with npm start, or node --max-old-space-size=<MAX_HEAP_MB>',
    );
  }
  logger.info(
    {
      url,
      heapLimitMb,
      store: redis ? 'redis' : 'memory',
      ...(topology && { topology: topology.kind }),
      namespace: `${config.namespace}:${config.version}`,
      writes: config.writerToken || config.adminToken ? 'enabled' : 'disabled (no WRITER_TOKEN or ADMIN_TOKEN)',
    },
    redis
      ? 'gateway listening, caching in Redis'
      : 'gateway listening, caching in the embedded in-memory store (set REDIS_URL to use Redis)',
  );
  // In the background: readiness does not wait for it.
  const { warmSymbols, warmTimeframes } = config.sources;
  if (warmSymbols.length > 0 && gateway.warm !== undefined) {
    void gateway.warm(warmSymbols, warmTimeframes).then(
      (result) => logger.info({ symbols: warmSymbols.length, timeframes: warmTimeframes, ...result }, 'warm-up done'),
      (error: unknown) => logger.error({ err: error }, 'warm-up failed'),
    );
  }

  return { server, port, url, shutdown };
}

/**
 * Redis behind the two guards that keep an outage from slowing requests down: per-call time
 * limits (in the store) and a circuit breaker that fails fast once Redis keeps failing.
 *
 * Ready means connected, and the circuit closed or a read through it succeeding now. While the
 * circuit is not closed, `/ready` reads one key of the namespace through it: during the open
 * period that fails at once, without a command; after it, that read is the circuit's trial, so
 * an idle gateway stays not ready while Redis does not answer, and finds it back without waiting
 * for traffic. Probes cost Redis one GET per open period at most, and nothing while it is closed.
 */
function resilientRedisStore(
  clients: { redis: RedisClient; bulkRedis: RedisClient; writeRedis: RedisClient | undefined; subscriber: RedisClient | undefined },
  config: Config,
  logger: Logger,
  metrics: Metrics,
) {
  const { redis, writeRedis = redis } = clients;
  const timed = createRedisStore({
    ...clients,
    changeChannel: `${createKeyLayout(config).root}changes`,
    readTimeoutMs: config.redisReadTimeoutMs,
    readMaxMs: config.redisReadMaxMs,
    writeTimeoutMs: config.redisWriteTimeoutMs,
    waitReplicas: config.redisWaitReplicas,
  });
  // Metered inside the breaker: what reaches Redis is timed, not the calls an open circuit refuses
  // at once (its state is a metric of its own).
  const store = createCircuitBreakerStore(createMeteredStore(timed, metrics.storeCall), { openMs: config.circuitOpenMs, logger });
  metrics.watchCircuit(store.state);
  const probeKey = `${createKeyLayout(config).root}ready`;
  async function isReady() {
    if (redis.status !== 'ready' || writeRedis.status !== 'ready') return false;
    if (store.state() === 'closed') return true;
    return store.getMany([probeKey]).then(
      () => true,
      () => false,
    );
  }
  return { store, isReady };
}

/**
 * Warns, once connected, when Redis would refuse writes once full (no `maxmemory`, or the
 * `noeviction` policy): the gateway only reads Redis's settings, it never changes them. Connected
 * now, it checks before the gateway listens; else on the first connection.
 */
async function checkMemoryPolicy(redis: RedisClient, redisInfo: () => Promise<RedisInfo>, logger: Logger) {
  const check = () =>
    redisInfo().then(
      ({ maxMemoryBytes, evictionPolicy }) => {
        const problem = memoryPolicyProblem({ maxMemoryBytes, evictionPolicy });
        if (problem !== undefined) logger.warn({ maxmemory: maxMemoryBytes ?? 0, maxmemoryPolicy: evictionPolicy }, problem);
      },
      (error: unknown) => logger.warn({ reason: (error as Error).message }, "could not read Redis's memory settings"),
    );
  if (redis.status === 'ready') await check();
  else redis.once('ready', () => void check());
}

/** Resolves once Redis is ready or `DEFAULTS.redis.firstConnectionWaitMs` has passed, whichever is first. */
async function firstConnection(redis: RedisClient) {
  // Not events.once: it rejects on the 'error' events a Redis that is down keeps emitting.
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, DEFAULTS.redis.firstConnectionWaitMs);
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
