import { Cluster } from 'ioredis';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { RedisClient } from '../../src/cache/redis-client.js';
import { createRedisStore, type RedisStoreOptions } from '../../src/cache/redis-store.js';
import type { CacheStore } from '../../src/cache/store.js';
import { testGateway, type TestGateway } from './gateway.js';
import { startRedisCluster, type RedisCluster } from './redis-cluster.js';
import { startRedisSentinel, type RedisSentinelSet } from './redis-sentinel.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

/** The three ways the gateway can be deployed on Redis; the store contract and the API tests run on each. */
export type Topology = 'standalone' | 'cluster' | 'sentinel';
export const TOPOLOGIES: readonly Topology[] = ['standalone', 'cluster', 'sentinel'];

/**
 * A private Redis of one topology, started before the file's (or describe block's) tests and
 * stopped after them: one redis-server; a 3-master cluster with a replica each; or a master, its
 * replica and three sentinels. Its fields are set once the `beforeAll` has run.
 */
export interface TopologyHarness {
  readonly topology: Topology;
  /** The client a store uses. */
  readonly redis: RedisClient;
  /** The test's own client, to seed and inspect Redis (single-key commands on any topology). */
  readonly probe: RedisClient;
  /** A new client, e.g. for a store's subscriber; closed with the rest. */
  client(): RedisClient;
  /** Every key matching `pattern` on every master, sorted. */
  keys(pattern?: string): Promise<string[]>;
  /** Empties every master. */
  flush(): Promise<void>;
  /** The variables that point a gateway at this Redis (`REDIS_URL`, `REDIS_CLUSTER_NODES`, ...). */
  readonly env: Record<string, string>;
  readonly server?: RedisServer;
  readonly cluster?: RedisCluster;
  readonly sentinel?: RedisSentinelSet;
}

export function useTopology(topology: Topology, { flushBeforeEach = true } = {}): TopologyHarness {
  const harness = { topology } as { -readonly [K in keyof TopologyHarness]: TopologyHarness[K] };
  beforeAll(async () => {
    if (topology === 'standalone') {
      const server = await startRedisServer();
      Object.assign(harness, { server, client: () => server.client(), env: { REDIS_URL: server.url } });
    } else if (topology === 'cluster') {
      const cluster = await startRedisCluster();
      Object.assign(harness, { cluster, client: () => cluster.client({ scaleReads: 'master' }), flush: () => cluster.flushAll(), env: { REDIS_CLUSTER_NODES: cluster.seeds.join(',') } });
    } else {
      const sentinel = await startRedisSentinel();
      const seeds = sentinel.sentinels.map(({ host, port }) => `${host}:${port}`).join(',');
      Object.assign(harness, {
        sentinel,
        client: () => sentinel.client(),
        env: { REDIS_SENTINELS: seeds, REDIS_SENTINEL_NAME: sentinel.name },
      });
    }
    harness.redis = harness.client();
    harness.probe = harness.client();
    harness.flush ??= async () => void (await (harness.probe as Exclude<RedisClient, Cluster>).flushall());
    harness.keys = async (pattern = '*') => {
      const masters = harness.probe instanceof Cluster ? harness.probe.nodes('master') : [harness.probe];
      return (await Promise.all(masters.map((master) => master.keys(pattern)))).flat().sort();
    };
    await Promise.all([harness.redis, harness.probe].map((client) => client.ping()));
  }, 60_000);
  afterAll(async () => {
    await (harness.server ?? harness.cluster ?? harness.sentinel)?.stop();
  });
  if (flushBeforeEach) beforeEach(() => harness.flush());
  return harness;
}

export interface TopologyGatewayHarness extends TopologyHarness {
  readonly store: CacheStore;
  readonly gateway: TestGateway;
}

/** `useTopology` with a store on it (time limits of 5 s: a busy machine is not an outage) and a gateway over that store. */
export function useTopologyGateway(
  topology: Topology,
  { env = {}, store: storeOptions = {}, ...options }: { env?: Record<string, string>; store?: Omit<RedisStoreOptions, 'redis'>; flushBeforeEach?: boolean } = {},
): TopologyGatewayHarness {
  const harness = useTopology(topology, options) as { -readonly [K in keyof TopologyGatewayHarness]: TopologyGatewayHarness[K] };
  beforeAll(() => {
    harness.store = createRedisStore({ redis: harness.redis, readTimeoutMs: 5000, writeTimeoutMs: 5000, ...storeOptions });
    harness.gateway = testGateway(harness.store, env);
  });
  return harness;
}
