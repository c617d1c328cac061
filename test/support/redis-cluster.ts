import { spawn } from 'node:child_process';
import { Cluster, Redis, type ClusterOptions } from 'ioredis';
import { quiet, WAIT_UNTIL_MS, waitUntil } from './wait-until.js';
import { freePort, startRedisServer, type RedisServer } from './redis-server.js';

export interface RedisClusterNode {
  port: number;
  server: RedisServer;
}

export interface RedisCluster {
  /** `127.0.0.1:port` of every node, masters and replicas, as started. */
  seeds: string[];
  nodes: RedisClusterNode[];
  /**
   * A new ioredis `Cluster` on every seed, with ioredis's defaults unless `options` says otherwise;
   * `stop` closes it. Like every client handed out here it does not log its connection errors
   * (losing a node is what it is for): its commands still reject, and `'error'` listeners still hear them.
   */
  client(options?: ClusterOptions): Cluster;
  /** A new plain client on one node: it follows no `MOVED`. `stop` closes it. */
  node(port: number): Redis;
  /** The ports of the masters that serve slots now, in slot order, as a live node sees them. */
  masters(): Promise<number[]>;
  /** The port of a live replica of the master on `masterPort`. */
  replicaOf(masterPort: number): Promise<number>;
  /** Kills a node with SIGKILL (it says no goodbye to its peers) and resolves once it has exited. */
  kill(port: number): Promise<void>;
  /**
   * The port of the master now serving the slots of the master that `kill(deadPort)` killed, once
   * every live node reports `cluster_state:ok` and the same slot map.
   */
  waitForFailover(deadPort: number): Promise<number>;
  /** FLUSHALL on every live master. */
  flushAll(): Promise<void>;
  /** Stops every node, killed ones included, and closes every client handed out. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** @default 3 (the fewest `redis-cli --cluster create` accepts) */
  masters?: number;
  /** @default 1 */
  replicasPerMaster?: number;
  /** `cluster-node-timeout`: how long a node may be unreachable before its replica takes over. @default 1000 */
  nodeTimeoutMs?: number;
  /** Every node's `requirepass` and `masterauth`; `client()` and `node()` give it. */
  password?: string;
}

const SLOTS = 16384;

interface SlotRange {
  from: number;
  to: number;
  master: number;
  replicas: number[];
}

/**
 * Starts a Redis Cluster on free loopback ports: `masters` masters with `replicasPerMaster`
 * replicas each, every node a `startRedisServer` of its own. Resolves once every node reports
 * `cluster_state:ok` and the same slot map, and every replica's link to its master is up.
 */
export async function startRedisCluster({ masters = 3, replicasPerMaster = 1, nodeTimeoutMs = 1000, password }: RedisClusterOptions = {}): Promise<RedisCluster> {
  const count = masters * (1 + replicasPerMaster);
  // Each node also listens on a bus port for its peers. Redis's default (port + 10000) may be
  // taken or above 65535 for an ephemeral port, so each node is given a free one of its own.
  const ports = await distinctFreePorts(2 * count);
  const started = await Promise.allSettled(
    ports.slice(0, count).map((port, i) =>
      startRedisServer({
        port,
        password,
        args: [
          ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
          ...['--cluster-port', String(ports[count + i]), '--cluster-node-timeout', String(nodeTimeoutMs)],
          // Redis 7 holds a full sync for 5 s by default, waiting for more replicas to share it.
          ...['--repl-diskless-sync-delay', '0'],
          // `CLUSTER SLOTS` lists a replica only once its replication offset is past 0, and an idle
          // master moves it only with the ping it sends replicas, every 10 s by default.
          ...['--repl-ping-replica-period', '1'],
        ],
      }),
    ),
  );
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(servers.map((server) => server.stop()));
    throw failed.reason;
  }

  const nodes = servers.map((server) => ({ port: server.port, server }));
  const seeds = nodes.map(({ port }) => `127.0.0.1:${port}`);
  // The harness's own connections, one per node: bounded, so that a poll of a frozen node fails
  // rather than hangs.
  const admins = new Map(nodes.map(({ port }) => [port, adminClient(port, password)]));
  const killed = new Set<number>();
  const slotsOfKilled = new Map<number, SlotRange[]>();
  const clusters: Cluster[] = [];

  const nodeOn = (port: number): RedisClusterNode => {
    const found = nodes.find((node) => node.port === port);
    if (!found) throw new Error(`no cluster node on port ${port}; the nodes are ${seeds.join(', ')}`);
    return found;
  };
  const live = () => nodes.filter(({ port }) => !killed.has(port)).map(({ port }) => ({ port, redis: admins.get(port)! }));
  const slotMap = async () => {
    const [first] = live();
    if (!first) throw new Error('every node of the cluster has been killed');
    return slotRanges(await first.redis.cluster('SLOTS'));
  };

  const cluster: RedisCluster = {
    seeds,
    nodes,
    client(options) {
      const client = quiet(new Cluster(nodes.map(({ port }) => ({ host: '127.0.0.1', port })), { ...options, redisOptions: { password, ...options?.redisOptions } }));
      clusters.push(client);
      return client;
    },
    node: (port) => quiet(nodeOn(port).server.client()),
    masters: async () => [...new Set((await slotMap()).map((range) => range.master))],
    async replicaOf(masterPort) {
      const range = (await slotMap()).find((candidate) => candidate.master === masterPort);
      if (!range) throw new Error(`127.0.0.1:${masterPort} serves no slots: it is not a master of the cluster`);
      const [replica] = range.replicas;
      if (replica === undefined) throw new Error(`the master 127.0.0.1:${masterPort} has no live replica`);
      return replica;
    },
    async kill(port) {
      const { server } = nodeOn(port);
      if (killed.has(port)) return;
      // Remembered now: once the cluster has failed the node over, no node says which slots it had.
      slotsOfKilled.set(port, (await slotMap()).filter((range) => range.master === port));
      killed.add(port);
      admins.get(port)!.disconnect();
      if (server.process.exitCode === null && server.process.signalCode === null) {
        const exited = new Promise((resolve) => server.process.once('exit', resolve));
        server.process.kill('SIGKILL');
        await exited;
      }
    },
    async waitForFailover(deadPort) {
      const lost = slotsOfKilled.get(deadPort);
      if (!lost) throw new Error(`waitForFailover(${deadPort}) waits for the failover of a node killed by kill(${deadPort}), which was not called`);
      const [first] = lost;
      if (!first) throw new Error(`127.0.0.1:${deadPort} served no slots when it was killed: there is no failover to wait for`);
      return waitUntil(`no replica took over the slots of the killed master 127.0.0.1:${deadPort}`, async () => {
        const ranges = await agreedSlotMap(live());
        const heir = masterOf(ranges, first.from);
        if (heir === undefined || heir === deadPort) throw new Error(`slot ${first.from} is still assigned to 127.0.0.1:${deadPort}`);
        for (const { from, to } of lost) {
          if (masterOf(ranges, from) !== heir || masterOf(ranges, to) !== heir) throw new Error(`slots ${from}-${to} are split between masters`);
        }
        return heir;
      });
    },
    async flushAll() {
      const masterPorts = await cluster.masters();
      await Promise.all(masterPorts.map((port) => admins.get(port)!.flushall()));
    },
    async stop() {
      clusters.forEach((client) => client.disconnect());
      admins.forEach((admin) => admin.disconnect());
      await Promise.all(nodes.map(({ server }) => server.stop()));
    },
  };

  try {
    await createCluster(seeds, replicasPerMaster, password);
    await waitUntil(`the cluster of ${seeds.join(', ')} did not become ready`, async () => {
      const ranges = await agreedSlotMap(live());
      const short = ranges.find((range) => range.replicas.length < replicasPerMaster);
      if (short) throw new Error(`slots ${short.from}-${short.to} have ${short.replicas.length} of ${replicasPerMaster} replicas`);
      for (const { port, redis } of live()) {
        const replication = await redis.info('replication');
        if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) {
          throw new Error(`the replica 127.0.0.1:${port} has no link to its master yet`);
        }
      }
    });
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** `redis-cli --cluster create`, bounded: it waits for the nodes to meet with no limit of its own. */
function createCluster(seeds: string[], replicasPerMaster: number, password: string | undefined): Promise<void> {
  const auth = password === undefined ? [] : ['-a', password, '--no-auth-warning'];
  const args = [...auth, '--cluster', 'create', ...seeds, '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'];
  return new Promise((resolve, reject) => {
    const cli = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    cli.stdout.on('data', (chunk) => (output += chunk));
    cli.stderr.on('data', (chunk) => (output += chunk));
    // Colours are written even to a pipe.
    const plain = () => output.replace(/\x1b\[[0-9;]*m/g, '').trim();
    const timer = setTimeout(() => cli.kill('SIGKILL'), WAIT_UNTIL_MS);
    cli.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`redis-cli could not be run: ${error.message}. It comes with Redis (Debian: apt-get install redis-tools).`));
    });
    cli.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else if (signal === 'SIGKILL') reject(new Error(`redis-cli ${args.join(' ')} did not finish within ${WAIT_UNTIL_MS / 1000} s:\n${plain()}`));
      else reject(new Error(`redis-cli ${args.join(' ')} exited with code ${code}:\n${plain()}`));
    });
  });
}

/**
 * The slot map every live node agrees on, covering all 16384 slots; throws, saying which node
 * disagrees, if any node is not `cluster_state:ok` or sees other masters.
 */
async function agreedSlotMap(nodes: Array<{ port: number; redis: Redis }>): Promise<SlotRange[]> {
  const views = await Promise.all(
    nodes.map(async ({ port, redis }) => {
      const state = /cluster_state:(\w+)/.exec(await redis.cluster('INFO'))?.[1];
      if (state !== 'ok') throw new Error(`127.0.0.1:${port} reports cluster_state:${state}`);
      return { port, ranges: slotRanges(await redis.cluster('SLOTS')) };
    }),
  );
  const [first, ...others] = views;
  if (!first) throw new Error('every node of the cluster has been killed');
  const masters = (ranges: SlotRange[]) => ranges.map(({ from, to, master }) => `${from}-${to}:${master}`).join(' ');
  const covered = first.ranges.reduce((sum, { from, to }) => sum + to - from + 1, 0);
  if (covered !== SLOTS) throw new Error(`127.0.0.1:${first.port} sees ${covered} of ${SLOTS} slots served`);
  const other = others.find((view) => masters(view.ranges) !== masters(first.ranges));
  if (other) {
    throw new Error(`127.0.0.1:${first.port} and 127.0.0.1:${other.port} disagree on the slot map: ${masters(first.ranges)} against ${masters(other.ranges)}`);
  }
  return first.ranges;
}

/** `CLUSTER SLOTS` as ranges in slot order; it lists a range's master first, then its live replicas. */
function slotRanges(reply: unknown): SlotRange[] {
  const rows = reply as Array<[number, number, [string, number, ...unknown[]], ...Array<[string, number, ...unknown[]]>]>;
  return rows
    .map(([from, to, [, master], ...replicas]) => ({ from, to, master, replicas: replicas.map(([, port]) => port) }))
    .sort((a, b) => a.from - b.from);
}

function masterOf(ranges: SlotRange[], slot: number): number | undefined {
  return ranges.find(({ from, to }) => from <= slot && slot <= to)?.master;
}

function adminClient(port: number, password: string | undefined): Redis {
  return quiet(new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, commandTimeout: 2000, retryStrategy: () => 100, password }));
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
