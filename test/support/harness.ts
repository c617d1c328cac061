import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createMemoryStore } from '../../src/cache/memory-store.js';
import { createRedisStore, type RedisStoreOptions } from '../../src/cache/redis-store.js';
import type { CacheStore } from '../../src/cache/store.js';
import { testGateway, type TestGateway } from './gateway.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

/**
 * The one set-up of the tests that talk to Redis: a private `redis-server` started before the
 * file's (or describe block's) tests and stopped after them, emptied before each test. Its fields
 * are set once the `beforeAll` has run: read them inside tests and hooks, not at collection time.
 */
export interface RedisHarness {
  readonly server: RedisServer;
  /** The client the gateway's store uses. */
  readonly redis: Redis;
  /** The test's own client, to seed and inspect Redis without queueing behind the store's commands. */
  readonly probe: Redis;
}

export interface GatewayHarness extends RedisHarness {
  readonly store: CacheStore;
  /** A gateway over `store`, configured as from the harness's `env` (tokens set unless overridden). */
  readonly gateway: TestGateway;
}

export interface HarnessOptions {
  /** Empty Redis before each test (the default); off for a file whose tests build on each other. */
  flushBeforeEach?: boolean;
}

export function useRedis({ flushBeforeEach = true }: HarnessOptions = {}): RedisHarness {
  const harness = {} as { -readonly [K in keyof RedisHarness]: RedisHarness[K] };
  beforeAll(async () => {
    harness.server = await startRedisServer();
    harness.redis = harness.server.client();
    harness.probe = harness.server.client();
    await Promise.all([harness.redis.ping(), harness.probe.ping()]);
  });
  afterAll(() => harness.server?.stop());
  if (flushBeforeEach) beforeEach(async () => void (await harness.probe.flushall()));
  return harness;
}

export interface GatewayHarnessOptions extends HarnessOptions {
  env?: Record<string, string | undefined>;
  /**
   * The Redis store's options. By default reads and writes may take 5 s: on a loaded machine a
   * 50 ms timeout would fail tests that are not about timeouts.
   */
  store?: Omit<RedisStoreOptions, 'redis'>;
  /** Wraps the Redis store, e.g. to record or interrupt its calls. */
  wrap?: (store: CacheStore) => CacheStore;
}

export function useRedisGateway({ env = {}, store: storeOptions = {}, wrap = (store) => store, ...options }: GatewayHarnessOptions = {}): GatewayHarness {
  const harness = useRedis(options) as { -readonly [K in keyof GatewayHarness]: GatewayHarness[K] };
  beforeAll(() => {
    harness.store = wrap(createRedisStore({ redis: harness.redis, readTimeoutMs: 5000, writeTimeoutMs: 5000, ...storeOptions }));
    harness.gateway = testGateway(harness.store, env);
  });
  return harness;
}

/**
 * Each store a gateway runs on, for `describe.each`: the harness's Redis store, and a fresh
 * in-memory store per gateway. Each entry makes a gateway configured as from `env`.
 */
export function eachStore(harness: GatewayHarness): Array<[string, (env?: Record<string, string>) => TestGateway]> {
  return [
    ['Redis', (env) => testGateway(harness.store, env)],
    ['the in-memory store', (env) => testGateway(createMemoryStore(), env)],
  ];
}
