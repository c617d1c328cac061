import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRedisServer } from '../test/support/redis-server.js';
import { checkAgreement, DisagreementError } from './agreement.js';
import { build, GATEWAY_NODE_ARGS, own, startServer, type ServerChild } from './children.js';
import { formatCluster } from './cluster-report.js';
import { runClusterSection, type ClusterSection } from './cluster-section.js';
import { formatCold } from './cold-report.js';
import { runColdSection, type ColdSection } from './cold-section.js';
import { fillRedis } from './fill.js';
import { drive } from './load.js';
import { PROFILE_DIR, profileGateway } from './profile.js';
import { commandsSinceReset, resetStats, totalCalls, untilIdle } from './redis-stats.js';
import { formatReport, goalsOf, machine, writeJson, type Row } from './report.js';
import { WORKLOADS } from './workloads.js';

/**
 * npm run bench [-- --quick] [-- --profile] [-- --cold] [-- --cluster]
 *
 * Starts a private redis-server, fills it through the gateway's store, starts the five servers
 * (each in its own process), checks that they all answer every workload with the same bytes (splice,
 * which writes stored values as they are, with the same data),
 * then drives each server with each workload at the same concurrency, one at a time, and prints
 * a table per workload and the issue's goals. Then the cold workload (cold-section.ts): bursts
 * of requests for a key that has just expired, against the gateway reading through and against
 * cache-aside. Then the cluster section (cluster-section.ts): W2 and W6 on a 3-master Redis Cluster
 * against a standalone redis-server, with one and two gateway processes, and Redis round trips per
 * request. The figures go to bench-results/latest.json. `--cold` runs the cold workload alone
 * (no fill, no five servers) and writes bench-results/cold.json. `--cluster` runs the cluster
 * section alone and writes its figures into bench-results/latest.json under `cluster`, keeping the
 * rest of the file.
 * `--profile` instead runs the gateway alone under W2 and W4 (or the workloads listed, as in
 * `--profile=W1,W3`) with `node --cpu-prof`.
 */

const USAGE = 'usage: npm run bench [-- --quick] [-- --profile[=W1,W3,...]] [-- --cold] [-- --cluster]';
const ALONE = ['--cold', '--profile', '--cluster'];
const args = new Set<string>();
let profiledIds = ['W2', 'W4'];
for (const arg of process.argv.slice(2)) {
  const listed = /^--profile=((?:W[1-6],)*W[1-6])$/.exec(arg);
  if (listed) profiledIds = listed[1]!.split(',');
  if (arg !== '--quick' && !ALONE.includes(arg) && !listed) {
    console.error(`unknown argument ${arg}; ${USAGE}`);
    process.exit(2);
  }
  args.add(listed ? '--profile' : arg);
}
if (ALONE.filter((arg) => args.has(arg)).length > 1) {
  console.error(`${ALONE.join(', ')} exclude each other; ${USAGE}`);
  process.exit(2);
}
const quick = args.has('--quick');
const CONNECTIONS = 50;
const WARMUP_SECONDS = quick ? 1 : 2;
/** Target length of a measured run: its number of requests is the warm-up's rate times this. */
const SECONDS = quick ? 2 : 10;
const PROFILE_SECONDS = quick ? 5 : 15;
/** Lets sockets close and the servers settle between two measured runs. */
const PAUSE_MS = 200;
/** Bursts of the cold workload per peer. */
const COLD_ROUNDS = quick ? 5 : 20;
/** The cluster section: shorter runs than the comparison's, for its eight of them. */
const CLUSTER_SETTINGS = { connections: CONNECTIONS, warmupSeconds: WARMUP_SECONDS, seconds: quick ? 2 : 5, roundTripRequests: quick ? 20 : 100 };

console.log('compiling src/ and bench/ to dist/ (npm run build): every server runs from JavaScript, as production does');
build();
const redis = await startRedisServer();
own(redis.process);
const stats = redis.client();

/** The gateway as production runs it, default time limits and circuit breaker included. */
const GATEWAY_ENV = { REDIS_URL: redis.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
const SERVERS = [
  // With the V8 heap flags `npm start` applies (MAX_HEAP_MB's default), so that its RSS and its
  // garbage collection are production's.
  { name: 'gateway', file: 'bench/servers/gateway.ts', options: { env: GATEWAY_ENV, nodeArgs: GATEWAY_NODE_ARGS } },
  { name: 'naive', file: 'bench/servers/naive.ts', options: { args: [redis.url] } },
  { name: 'mercurius-jit', file: 'bench/servers/mercurius-jit.ts', options: { args: [redis.url] } },
  { name: 'limit', file: 'bench/servers/limit.ts', options: { args: [redis.url] } },
  { name: 'splice', file: 'bench/servers/splice.ts', options: { args: [redis.url] } },
];
/** The servers whose answers are stored values as they are: the same data as the gateway's, not the same bytes. */
const STORED_SHAPE = ['splice'];

async function filled() {
  console.log(`redis-server on port ${redis.port}; filling it through the gateway's store...`);
  const fill = await fillRedis(redis.url);
  console.log(`filled ${fill.keys} keys in ${(fill.ms / 1000).toFixed(1)} s`);
  return fill;
}

const servers: ServerChild[] = [];
let exitCode = 0;
try {
  if (args.has('--cold')) {
    console.log(`redis-server on port ${redis.port}; the cold workload alone, ${COLD_ROUNDS} rounds per peer`);
    const cold = await runColdSection({ redisUrl: redis.url, redis: stats, rounds: COLD_ROUNDS });
    console.log(formatCold(cold));
    const path = join(PROFILE_DIR, 'cold.json');
    writeJson(path, { when: new Date().toISOString(), mode: quick ? 'quick' : 'full', machine: machine(), cold });
    console.log(`\nwrote ${path}`);
    if (cold.rows.some((r) => r.failed > 0)) exitCode = 1;
  } else if (args.has('--cluster')) {
    const started = performance.now();
    const cluster = await runClusterSection(CLUSTER_SETTINGS);
    console.log(formatCluster(cluster));
    const path = join(PROFILE_DIR, 'latest.json');
    const latest = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
    writeJson(path, { ...latest, cluster: { when: new Date().toISOString(), mode: quick ? 'quick' : 'full', machine: machine(), ...cluster } });
    console.log(`\nwrote the cluster section into ${path}; it took ${((performance.now() - started) / 1000).toFixed(0)} s`);
    if (cluster.rows.some((r) => Object.values(r.failures).some((n) => n > 0))) exitCode = 1;
  } else if (args.has('--profile')) {
    await filled();
    const profiled = WORKLOADS.filter((w) => profiledIds.includes(w.id));
    console.log(`profiling the gateway under ${profiledIds.join(', ')}: ${WARMUP_SECONDS} s warm-up, ${PROFILE_SECONDS} s profiled, ${CONNECTIONS} connections`);
    for (const report of await profileGateway(profiled, GATEWAY_ENV, { connections: CONNECTIONS, seconds: PROFILE_SECONDS, warmupSeconds: WARMUP_SECONDS })) {
      console.log(`\n${report}`);
    }
  } else {
    const fill = await filled();
    // One at a time: start-up compiles TypeScript, and two cores are few.
    for (const { name, file, options } of SERVERS) servers.push(await startServer(name, file, options));
    console.log(`servers: ${servers.map((s) => `${s.name} (pid ${s.pid})`).join(', ')}; checking that they agree...`);
    const agreement = await checkAgreement(servers, WORKLOADS, stats, STORED_SHAPE);
    console.log(`all ${servers.length} servers answer the ${WORKLOADS.length} workloads with identical bytes (${STORED_SHAPE.join(', ')}: the same data)`);

    const rows: Row[] = [];
    const started = performance.now();
    for (const workload of WORKLOADS) {
      for (const server of servers) {
        process.stdout.write(`${workload.id} ${server.name}... `);
        const warm = await drive(server.url, workload, { connections: CONNECTIONS, seconds: WARMUP_SECONDS });
        await untilIdle(stats);
        await resetStats(stats);
        // A fixed number of requests, all answered, so that commands per request is exact.
        const amount = Math.max(CONNECTIONS * 10, Math.round(warm.reqPerSec * SECONDS));
        const figures = await drive(server.url, workload, { connections: CONNECTIONS, amount });
        await untilIdle(stats);
        const commands = await commandsSinceReset(stats);
        const sequential = agreement.sequential[workload.id][server.name]!;
        rows.push({
          workload: workload.id,
          server: server.name,
          ...figures,
          // Per request sent, failed ones included: they cost Redis too.
          cmdsPerReq: totalCalls(commands) / amount,
          commands,
          sequentialCmdsPerReq: sequential.commands,
          roundTripsPerReq: sequential.roundTrips,
          bytesPerResponse: agreement.bytes[workload.id][server.name]!,
          peakRssMb: 0,
        });
        console.log(`${figures.reqPerSec.toFixed(0)} req/s`);
        await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      }
    }
    for (const server of servers) {
      const rss = server.peakRssMb();
      for (const row of rows) if (row.server === server.name) row.peakRssMb = rss;
    }

    const about = machine();
    const goals = goalsOf(rows, CONNECTIONS);
    const settings = `${quick ? 'quick' : 'full'}: ${CONNECTIONS} connections, ${WARMUP_SECONDS} s warm-up + about ${SECONDS} s (a fixed number of requests) per server and workload, autocannon in the runner's process; gateway env ${JSON.stringify({ NODE_ENV: 'production', ...GATEWAY_ENV, REDIS_URL: 'redis://127.0.0.1:<port>' })}`;
    console.log(formatReport(rows, WORKLOADS, goals, about, settings));
    if (rows.some((r) => Object.values(r.failures).some((n) => n > 0))) exitCode = 1;

    // Alone on the machine: the five servers have nothing more to do.
    await Promise.all(servers.map((server) => server.stop()));
    console.log('');
    let cold: ColdSection | { error: string };
    try {
      cold = await runColdSection({ redisUrl: redis.url, redis: stats, rounds: COLD_ROUNDS });
      console.log(formatCold(cold));
      if (cold.rows.some((r) => r.failed > 0)) exitCode = 1;
    } catch (error) {
      // The tables above stand on their own: keep them, and say why the cold section has no figures.
      console.error(`\nthe cold workload failed: ${error instanceof Error ? error.stack : error}`);
      cold = { error: String(error) };
      exitCode = 1;
    }
    console.log('');
    let cluster: ClusterSection | { error: string };
    try {
      cluster = await runClusterSection(CLUSTER_SETTINGS);
      console.log(formatCluster(cluster));
      if (cluster.rows.some((r) => Object.values(r.failures).some((n) => n > 0))) exitCode = 1;
    } catch (error) {
      console.error(`\nthe cluster section failed: ${error instanceof Error ? error.stack : error}`);
      cluster = { error: String(error) };
      exitCode = 1;
    }
    const path = join(PROFILE_DIR, 'latest.json');
    writeJson(path, { when: new Date().toISOString(), mode: quick ? 'quick' : 'full', machine: about, settings, fill, rows, goals, cold, cluster });
    console.log(`\nwrote ${path}; measured for ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
} catch (error) {
  console.error(error instanceof DisagreementError ? `\nThe servers disagree, nothing was timed.\n${error.message}` : error);
  exitCode = 1;
} finally {
  await Promise.all(servers.map((server) => server.stop()));
  stats.disconnect();
  await redis.stop();
}
process.exit(exitCode);
