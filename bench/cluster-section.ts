import { startRedisCluster, type RedisCluster } from '../test/support/redis-cluster.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { GATEWAY_NODE_ARGS, own, startServer, type ServerChild } from './children.js';
import { fillPoints } from './fill-points.js';
import type { LoadFigures } from './load.js';
import { countRoundTrips, type RoundTrips } from './round-trips.js';
import { driveSpread } from './spread.js';
import { WORKLOADS, type Workload, type WorkloadId } from './workloads.js';

/**
 * The gateway on a Redis Cluster against one standalone redis-server, under W2 (50 tickers) and
 * W6 (50 random tickers of 200): the workloads whose keys spread over every master. Each topology
 * gets the same values (fill-points.ts), then two gateway processes, configured as `npm start`
 * would be (`REDIS_URL`, or `REDIS_CLUSTER_NODES` listing every node as seeds). Each workload is
 * driven against the first process alone, then against both with the connections spread over
 * them. Round trips per request are counted apart, in-process (round-trips.ts).
 */

export type Topology = 'standalone' | 'cluster';

export const CLUSTER = Object.freeze({
  masters: 3,
  replicasPerMaster: 1,
  workloads: ['W2', 'W6'] as WorkloadId[],
  /** Each workload runs against the first gateway process alone, then against both. */
  gatewayProcesses: [1, 2],
});

export interface ClusterRow extends LoadFigures {
  topology: Topology;
  workload: WorkloadId;
  /** Gateway processes the connections were spread over. */
  gateways: number;
}

export interface ClusterSection {
  settings: string;
  /** Ports of the cluster's masters, in slot order: the order of each `perMaster`. */
  masters: number[];
  fill: Record<Topology, { keys: number; ms: number }>;
  rows: ClusterRow[];
  roundTrips: Array<RoundTrips & { topology: Topology }>;
}

export interface ClusterSettings {
  connections: number;
  warmupSeconds: number;
  /** Target length of a measured run (a fixed number of requests: the warm-up's rate times this). */
  seconds: number;
  /** Requests per workload and topology for counting round trips. */
  roundTripRequests: number;
}

/** Lets sockets close and the gateways settle between two runs. */
const PAUSE_MS = 200;
const REQUEST_TIMEOUT_MS = 5000;

export async function runClusterSection({ connections, warmupSeconds, seconds, roundTripRequests }: ClusterSettings): Promise<ClusterSection> {
  const workloads = WORKLOADS.filter((w) => CLUSTER.workloads.includes(w.id));
  const standalone = await startRedisServer();
  own(standalone.process);
  let cluster: RedisCluster | undefined;
  let gateways: ServerChild[] = [];
  try {
    cluster = await startRedisCluster({ masters: CLUSTER.masters, replicasPerMaster: CLUSTER.replicasPerMaster });
    for (const { server } of cluster.nodes) own(server.process);
    const masters = await cluster.masters();
    console.log(`standalone redis-server on port ${standalone.port}; cluster of ${cluster.seeds.length} nodes, masters on ports ${masters.join(', ')}`);

    // One `nowMs`, so that both topologies hold the same values.
    const nowMs = Date.now();
    const fill = {
      standalone: await fillPoints(standalone.client(), nowMs),
      cluster: await fillPoints(cluster.client({ redisOptions: { maxRetriesPerRequest: 1 } }), nowMs),
    };
    console.log(`filled ${fill.standalone.keys} keys into each (${(fill.standalone.ms / 1000).toFixed(1)} s standalone, ${(fill.cluster.ms / 1000).toFixed(1)} s cluster)`);

    const targets: Array<{ topology: Topology; redisEnv: Record<string, string>; masters: number[] }> = [
      { topology: 'standalone', redisEnv: { REDIS_URL: standalone.url }, masters: [standalone.port] },
      { topology: 'cluster', redisEnv: { REDIS_CLUSTER_NODES: cluster.seeds.join(',') }, masters },
    ];
    const gatewayEnv = (redisEnv: Record<string, string>) => ({ ...redisEnv, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });

    // First, with nothing else running: one request at a time, so every figure is exact.
    const roundTrips: ClusterSection['roundTrips'] = [];
    for (const { topology, redisEnv, masters: ports } of targets) {
      const env = { NODE_ENV: 'production', ...gatewayEnv(redisEnv) };
      const counted = await countRoundTrips({ masters: ports, cluster: topology === 'cluster', env, workloads, requests: roundTripRequests });
      roundTrips.push(...counted.map((count) => ({ topology, ...count })));
    }

    const rows: ClusterRow[] = [];
    const reference: Reference = new Map();
    for (const { topology, redisEnv } of targets) {
      const options = { env: gatewayEnv(redisEnv), nodeArgs: GATEWAY_NODE_ARGS };
      // One at a time: two cores are few.
      for (let n = 1; n <= Math.max(...CLUSTER.gatewayProcesses); n += 1) gateways.push(await startServer(`gateway ${n} (${topology})`, 'bench/servers/gateway.ts', options));
      await checkSameAnswers(gateways, workloads, reference);
      for (const workload of workloads) {
        for (const count of CLUSTER.gatewayProcesses) {
          process.stdout.write(`${workload.id} ${topology}, ${count} gateway${count > 1 ? 's' : ''}... `);
          const urls = gateways.slice(0, count).map((gateway) => gateway.url);
          const warm = await driveSpread(urls, workload, { connections, seconds: warmupSeconds });
          await pause();
          const amount = Math.max(connections * 10, Math.round(warm.reqPerSec * seconds));
          const figures = await driveSpread(urls, workload, { connections, amount });
          rows.push({ topology, workload: workload.id, gateways: count, ...figures });
          console.log(`${figures.reqPerSec.toFixed(0)} req/s`);
          await pause();
        }
      }
      await Promise.all(gateways.map((gateway) => gateway.stop()));
      gateways = [];
    }

    const settings =
      `${connections} connections (spread evenly over the gateway processes), ${warmupSeconds} s warm-up + about ${seconds} s (a fixed number of requests) per run, ` +
      `autocannon in the runner's process; cluster of ${CLUSTER.masters} masters with ${CLUSTER.replicasPerMaster} replica each; ` +
      `round trips: ${roundTripRequests} requests per workload, one at a time, in-process`;
    return { settings, masters, fill, rows, roundTrips };
  } finally {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await cluster?.stop();
    await standalone.stop();
  }
}

/** What the first gateway asked answered: the request sent, and its answer with the stamps left out. */
type Reference = Map<WorkloadId, { body: string; values: string }>;

/**
 * Before anything is timed: every gateway answers W2 and one draw of W6 with complete data, and
 * with the same values as the first gateway asked (`reference`, kept across topologies). The
 * stamps the cache put on each value when it was written (`cachedAt`, `expiresAt`) differ between
 * the two fills and are left out of the comparison.
 */
async function checkSameAnswers(gateways: readonly ServerChild[], workloads: readonly Workload[], reference: Reference): Promise<void> {
  for (const workload of workloads) {
    const body = reference.get(workload.id)?.body ?? workload.body();
    for (const gateway of gateways) {
      const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const text = await response.text();
      if (response.status !== 200 || !text.startsWith('{"data":') || text.includes('"errors":') || text.includes('null')) {
        throw new Error(`${workload.id}: ${gateway.name} answered HTTP ${response.status} ${text.slice(0, 300)}: expected complete data, no errors and no null`);
      }
      const values = text.replace(/"(cachedAt|expiresAt)":"[^"]*"/g, '"$1":_');
      const expected = reference.get(workload.id);
      if (expected === undefined) {
        reference.set(workload.id, { body, values });
      } else if (values !== expected.values) {
        throw new Error(`${workload.id}: ${gateway.name} does not answer the values the first gateway did:\n  ${expected.values.slice(0, 300)}\n  ${values.slice(0, 300)}`);
      }
    }
  }
}

const pause = () => new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
