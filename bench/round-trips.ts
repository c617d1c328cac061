import { Cluster, Redis } from 'ioredis';
import { createRedisStore } from '../src/cache/redis-store.js';
import { loadConfig } from '../src/config.js';
import { createGateway } from '../src/gateway.js';
import { createLogger } from '../src/logger.js';
import { startTcpProxy, type TcpProxy } from '../test/support/tcp-proxy.js';
import { commandsSinceReset, resetStats, totalCalls } from './redis-stats.js';
import type { Workload, WorkloadId } from './workloads.js';

export interface RoundTrips {
  workload: WorkloadId;
  /** Requests counted, one at a time. */
  requests: number;
  /** Round trips per request to each master, in the order of the `masters` given (one, off a cluster). */
  perMaster: number[];
  total: number;
  /** Redis commands per request, all masters together, from `INFO commandstats`. */
  cmdsPerReq: number;
}

/** Requests per workload before counting: they open the connections and load the scripts. */
const WARMUP_REQUESTS = 5;

/**
 * Round trips to Redis per request, counted by a TCP proxy in front of each master
 * (test/support/tcp-proxy.ts): a client's sends up to the next answer count as one, so a pipeline
 * is one round trip whatever its size.
 *
 * In-process, not in the gateway processes the section times: ioredis learns a cluster's node
 * addresses from `CLUSTER SLOTS`, and only its `natMap` option routes them through proxies, which
 * the gateway's configuration does not offer. So a gateway is built here as the processes build
 * theirs (`createGateway` with the configuration `env` gives, over `createRedisStore`), on a client
 * of its own: a `Cluster` with `natMap` and `scaleReads: 'master'` when `cluster`, else a plain
 * connection through the one proxy. Slot-map refreshes are off (`slotsRefreshInterval: 0`), so
 * that only requests are counted. Requests go one at a time, through `yoga.fetch` (no socket).
 *
 * `masters` are the ports of the masters (of the standalone server when not `cluster`). Commands
 * are counted on each master directly, not through its proxy; replicas' `REPLCONF ACK`s are not
 * requests and are left out.
 */
export async function countRoundTrips({
  masters,
  cluster,
  env,
  workloads,
  requests,
}: {
  masters: readonly number[];
  cluster: boolean;
  env: Record<string, string>;
  workloads: readonly Workload[];
  requests: number;
}): Promise<RoundTrips[]> {
  const proxies: TcpProxy[] = [];
  const admins = masters.map((port) => new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 }));
  let client: Redis | Cluster | undefined;
  try {
    for (const port of masters) proxies.push(await startTcpProxy(port));
    client = cluster
      ? new Cluster(
          proxies.map(({ port }) => ({ host: '127.0.0.1', port })),
          {
            natMap: Object.fromEntries(masters.map((port, i) => [`127.0.0.1:${port}`, { host: '127.0.0.1', port: proxies[i]!.port }])),
            scaleReads: 'master',
            slotsRefreshInterval: 0,
          },
        )
      : new Redis(proxies[0]!.url);
    const config = loadConfig(env);
    const store = createRedisStore({ redis: client });
    const gateway = createGateway({ config, store, logger: createLogger(config.logLevel) });
    const post = async (body: string) => {
      const response = await gateway.fetch(new URL('http://gateway.bench/graphql'), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await response.text();
      if (response.status !== 200 || !text.startsWith('{"data":') || text.includes('"errors":') || text.includes('null')) {
        throw new Error(`round trips: the in-process gateway answered HTTP ${response.status} ${text.slice(0, 300)}: expected complete data, no errors and no null`);
      }
    };

    const counted: RoundTrips[] = [];
    for (const workload of workloads) {
      for (let i = 0; i < WARMUP_REQUESTS; i += 1) await post(workload.body());
      await Promise.all(admins.map(resetStats));
      const before = proxies.map((proxy) => proxy.roundTrips());
      for (let i = 0; i < requests; i += 1) await post(workload.body());
      const perMaster = proxies.map((proxy, i) => (proxy.roundTrips() - before[i]!) / requests);
      const commands = await Promise.all(
        admins.map(async (admin) => {
          const calls = await commandsSinceReset(admin);
          delete calls['replconf'];
          return totalCalls(calls);
        }),
      );
      counted.push({
        workload: workload.id,
        requests,
        perMaster,
        total: perMaster.reduce((sum, n) => sum + n, 0),
        cmdsPerReq: commands.reduce((sum, n) => sum + n, 0) / requests,
      });
    }
    await store.close();
    return counted;
  } finally {
    client?.disconnect();
    admins.forEach((admin) => admin.disconnect());
    await Promise.all(proxies.map((proxy) => proxy.close()));
  }
}
