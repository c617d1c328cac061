import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface RedisServer {
  port: number;
  url: string;
  process: ChildProcess;
  /** A new client on this server; the test closes it (or `stop` does). */
  client(): Redis;
  /** Suspends the server (SIGSTOP): connections stay open, nothing is answered until `resume`. */
  freeze(): void;
  /** Lets a frozen server run again (SIGCONT); it then answers what waited in its sockets. */
  resume(): void;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** Listen on this port, e.g. to restart a server where a gateway expects it; a free one by default. */
  port?: number;
  /** Arguments appended to the defaults (later ones win), e.g. `['--appendonly', 'yes']`. */
  args?: string[];
  /**
   * The data directory. Given, it is left in place by `stop` so that a restart finds its files;
   * by default a fresh temporary one, removed by `stop`.
   */
  dir?: string;
  /** `requirepass` (and `masterauth`, for a replica or a cluster node): every client must give it. */
  password?: string;
}

let installed = false;

/**
 * Starts a private `redis-server` on a free loopback port, with no persistence, so that tests
 * never depend on (or disturb) a shared instance. A missing `redis-server` fails the run with a
 * message saying how to install it: a test is never skipped for want of Redis.
 */
export async function startRedisServer({ port: wanted, args = [], dir: givenDir, password }: RedisServerOptions = {}): Promise<RedisServer> {
  // Asked once per test file: spawnSync blocks this thread, and with it any gateway the test
  // runs in-process, for as long as the probe takes (a second, seen on a loaded machine).
  if (!installed) {
    if (spawnSync('redis-server', ['--version']).error) {
      throw new Error(
        'redis-server is not on the PATH: the tests run a real Redis. Install it (Debian: apt-get install redis-server) and run npm test again.',
      );
    }
    installed = true;
  }
  const port = wanted ?? (await freePort());
  const dir = givenDir ?? mkdtempSync(join(tmpdir(), 'mdc-redis-'));
  const child = spawn(
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'],
      ...(password === undefined ? [] : ['--requirepass', password, '--masterauth', password]),
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));

  const clients: Redis[] = [];
  const url = `redis://127.0.0.1:${port}`;
  const server: RedisServer = {
    port,
    url,
    process: child,
    client() {
      const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false, password });
      clients.push(client);
      return client;
    },
    freeze: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async stop() {
      clients.forEach((client) => client.disconnect());
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL'); // also ends a frozen server
        await exited;
      }
      if (givenDir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited at start-up: ${output}`);
    const ping = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, password });
    ping.on('error', () => {}); // refused until the server listens: the loop retries
    try {
      await ping.connect();
      await ping.ping();
      return server;
    } catch (error) {
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`redis-server on port ${port} did not answer within 10 s: ${String(error)} ${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    } finally {
      ping.disconnect();
    }
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `INFO commandstats` as `{ mget: 1, get: 0, ... }`: calls per command since the last reset. */
export async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2]);
  return calls;
}

/** Commands that reached Redis while `action` ran, not counting the measurement's own. */
export async function commandsDuring(redis: Redis, action: () => Promise<unknown>): Promise<Record<string, number>> {
  await redis.config('RESETSTAT');
  await action();
  const calls = await commandCalls(redis);
  delete calls['info'];
  delete calls['config|resetstat'];
  return calls;
}
