import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { quiet, waitUntil } from './wait-until.js';
import { freePort, startRedisServer, type RedisServer } from './redis-server.js';

export interface RedisSentinelSet {
  /** The name the sentinels monitor the master under. */
  name: 'mymaster';
  sentinels: Array<{ host: string; port: number }>;
  /** The master as started; after a failover, `currentMaster()` says where it is. */
  masterPort: number;
  replicaPort: number;
  /**
   * A new ioredis client that finds the master through the sentinels, with ioredis's defaults
   * unless `options` says otherwise; `stop` closes it. Like every client handed out here it does
   * not log its connection errors: its commands still reject, and `'error'` listeners still hear them.
   */
  client(options?: RedisOptions): Redis;
  /** A new plain client on the master or the replica; `stop` closes it. */
  node(port: number): Redis;
  /** The master's port, as a live sentinel reports it. */
  currentMaster(): Promise<number>;
  /** Kills the master, the replica or a sentinel with SIGKILL, and resolves once it has exited. */
  kill(port: number): Promise<void>;
  /** The port of the new master, once every live sentinel reports it and it answers `ROLE` as master. */
  waitForFailover(oldMasterPort: number): Promise<number>;
  /** Stops every process, killed ones included, closes every client handed out and removes the temporary directories. */
  stop(): Promise<void>;
}

export interface RedisSentinelOptions {
  /** `down-after-milliseconds`: how long the master may be unreachable before a failover starts. @default 1000 */
  downAfterMs?: number;
}

const NAME = 'mymaster';

interface SentinelProcess {
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a master, its replica and three sentinels (quorum 2) on free loopback ports. Resolves
 * once the replica's link is up and every sentinel knows the master, the replica and the two
 * other sentinels, so that a failover can be voted for as soon as the master is killed.
 */
export async function startRedisSentinel({ downAfterMs = 1000 }: RedisSentinelOptions = {}): Promise<RedisSentinelSet> {
  // Redis 7 holds a full sync for 5 s by default, waiting for more replicas to share it.
  const args = ['--repl-diskless-sync-delay', '0'];
  const master = await startRedisServer({ args });
  const servers: RedisServer[] = [master];
  const sentinels: SentinelProcess[] = [];
  const clients: Redis[] = [];
  const killed = new Set<number>();
  // The harness's own connections, one per process: bounded, so that a poll of a frozen process
  // fails rather than hangs.
  const admins = new Map<number, Redis>();
  const admin = (port: number) => {
    let redis = admins.get(port);
    if (!redis) {
      redis = quiet(new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, commandTimeout: 2000, retryStrategy: () => 100 }));
      admins.set(port, redis);
    }
    return redis;
  };
  const liveSentinels = () => sentinels.filter(({ port }) => !killed.has(port)).map(({ port }) => ({ port, redis: admin(port) }));

  const set: RedisSentinelSet = {
    name: NAME,
    sentinels: [],
    masterPort: master.port,
    replicaPort: 0,
    client(options) {
      const client = quiet(new Redis({ ...options, sentinels: set.sentinels, name: NAME }));
      clients.push(client);
      return client;
    },
    node(port) {
      const server = servers.find((candidate) => candidate.port === port);
      if (!server) throw new Error(`no Redis server on port ${port}: node() is for the master (${set.masterPort}) and the replica (${set.replicaPort})`);
      return quiet(server.client());
    },
    async currentMaster() {
      const [sentinel] = liveSentinels();
      if (!sentinel) throw new Error('every sentinel has been killed');
      return masterAddress(sentinel.redis);
    },
    async kill(port) {
      const target = [...servers, ...sentinels].find((candidate) => candidate.port === port);
      if (!target) throw new Error(`no process of the sentinel set-up on port ${port}`);
      killed.add(port);
      admins.get(port)?.disconnect();
      const child = target.process;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    },
    waitForFailover(oldMasterPort) {
      return waitUntil(`the sentinels did not promote a replica of 127.0.0.1:${oldMasterPort}`, async () => {
        const reported = await Promise.all(liveSentinels().map(async ({ port, redis }) => ({ port, master: await masterAddress(redis) })));
        const stale = reported.find(({ master }) => master === oldMasterPort);
        if (stale) throw new Error(`the sentinel on ${stale.port} still reports 127.0.0.1:${oldMasterPort} as the master`);
        const [first] = reported;
        if (!first) throw new Error('every sentinel has been killed');
        const other = reported.find(({ master }) => master !== first.master);
        if (other) throw new Error(`the sentinels on ${first.port} and ${other.port} report different masters: ${first.master} and ${other.master}`);
        if (!servers.some(({ port }) => port === first.master)) throw new Error(`the sentinels report an unknown master, 127.0.0.1:${first.master}`);
        const [role] = (await admin(first.master).call('ROLE')) as [string];
        if (role !== 'master') throw new Error(`127.0.0.1:${first.master}, reported as the master, answers ROLE ${role}`);
        return first.master;
      });
    },
    async stop() {
      clients.forEach((client) => client.disconnect());
      admins.forEach((redis) => redis.disconnect());
      await Promise.all([...servers, ...sentinels].map((member) => member.stop()));
    },
  };

  try {
    const replica = await startRedisServer({ args: [...args, '--replicaof', '127.0.0.1', String(master.port)] });
    servers.push(replica);
    set.replicaPort = replica.port;
    // A sentinel learns of replicas from the master's INFO, which it asks for on connecting and
    // then every 10 s: started before the replica has reached the master, it would miss it for 10 s.
    await waitUntil(`the replica 127.0.0.1:${replica.port} did not reach its master 127.0.0.1:${master.port}`, async () => {
      if (!(await admin(replica.port).info('replication')).includes('master_link_status:up')) throw new Error('its link is down');
    });
    const ports = new Set<number>();
    while (ports.size < 3) ports.add(await freePort());
    const started = await Promise.allSettled([...ports].map((port) => startSentinel(port, master.port, downAfterMs)));
    for (const result of started) if (result.status === 'fulfilled') sentinels.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    set.sentinels = sentinels.map(({ port }) => ({ host: '127.0.0.1', port }));

    await waitUntil(`the sentinels of master 127.0.0.1:${master.port} did not discover the set-up`, async () => {
      for (const { port, redis } of liveSentinels()) {
        const known = fields((await redis.call('SENTINEL', 'MASTER', NAME)) as string[]);
        if (known['num-other-sentinels'] !== '2') throw new Error(`the sentinel on ${port} knows ${known['num-other-sentinels']} of the 2 other sentinels`);
        const replicas = ((await redis.call('SENTINEL', 'REPLICAS', NAME)) as string[][]).map(fields);
        if (!replicas.some((known) => known['port'] === String(replica.port) && known['flags'] === 'slave')) {
          throw new Error(`the sentinel on ${port} does not know the replica 127.0.0.1:${replica.port} as a healthy replica yet`);
        }
      }
    });
  } catch (error) {
    await set.stop();
    throw error;
  }
  return set;
}

/**
 * A sentinel in a temporary directory of its own, removed by `stop`. It cannot go through
 * `startRedisServer`: redis-server reads a configuration file only as its first argument, before
 * any option, and a sentinel refuses to start without one (it rewrites it as it learns the set-up).
 */
async function startSentinel(port: number, masterPort: number, downAfterMs: number): Promise<SentinelProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'mdc-sentinel-'));
  const config = join(dir, 'sentinel.conf');
  writeFileSync(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      'loglevel warning',
      `sentinel monitor ${NAME} 127.0.0.1 ${masterPort} 2`,
      `sentinel down-after-milliseconds ${NAME} ${downAfterMs}`,
      `sentinel failover-timeout ${NAME} 10000`,
      `sentinel parallel-syncs ${NAME} 1`,
      '',
    ].join('\n'),
  );
  const child = spawn('redis-server', [config, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const sentinel: SentinelProcess = {
    port,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const ping = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 25 });
  ping.on('error', () => {}); // refused until the sentinel listens
  try {
    await waitUntil(`the sentinel on port ${port} did not answer`, async () => {
      if (child.exitCode !== null) throw new Error(`it exited at start-up: ${output}`);
      if (ping.status === 'wait') await ping.connect();
      await ping.ping();
    }, 10_000);
    return sentinel;
  } catch (error) {
    await sentinel.stop();
    throw error;
  } finally {
    ping.disconnect();
  }
}

async function masterAddress(sentinel: Redis): Promise<number> {
  const [, port] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME)) as [string, string];
  return Number(port);
}

/** A `SENTINEL MASTER` or `SENTINEL REPLICAS` entry, `[name, value, name, value, ...]`, as an object. */
function fields(flat: string[]): Record<string, string> {
  const entry: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) entry[flat[i]!] = flat[i + 1]!;
  return entry;
}
