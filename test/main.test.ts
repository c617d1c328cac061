import type { Redis } from 'ioredis';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_QUERY } from '../src/edge/example-query.js';
import { ADMIN_TOKEN, WRITER_TOKEN } from './support/gateway.js';
import { exitOf, kill, logLines, ROOT, run, startupLine, waitFor, type Run } from './support/process.js';
import { freePort, startRedisServer, type RedisServer } from './support/redis-server.js';

// `npm start` as an operator runs it: a real process, configured only through its environment.


interface Gateway extends Run {
  /** The JSON line announcing the listener. */
  listening: Record<string, any>;
  url: string;
}

/**
 * Runs `src/main.ts` with exactly `env` (nothing inherited, so a REDIS_URL or token in the
 * developer's shell cannot change what is tested) on a port the OS picks, and waits for its
 * start-up line.
 */
async function startGateway(env: Record<string, string>, file = 'src/main.ts'): Promise<Gateway> {
  const started = run(file, { PORT: '0', HOST: '127.0.0.1', ...env });
  try {
    const listening = await startupLine(started);
    return { ...started, listening, url: listening.url };
  } catch (error) {
    kill(started.child);
    throw error;
  }
}

async function gql(url: string, query: string, variables?: Record<string, unknown>, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, ...((await response.json()) as { data?: any; errors?: any[] }) };
}

const PUT_TICKER = `mutation($ticker: TickerInput!) { putTicker(ticker: $ticker, ttlSeconds: 60) { symbol last } }`;
const TICKER = `query($symbol: MarketSymbol!) { ticker(symbol: $symbol) { symbol last bid ask } }`;

describe('the gateway started without REDIS_URL', () => {
  let gateway: Gateway;
  beforeAll(async () => void (gateway = await startGateway({})));
  afterAll(() => kill(gateway?.child));

  it('announces in its start-up line that it caches in the embedded in-memory store', () => {
    expect(gateway.listening).toMatchObject({ store: 'memory', namespace: 'mdc:v1' });
    expect(gateway.listening.msg).toContain('in-memory');
    expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
  });

  it('answers GET /health with 200', async () => {
    const response = await fetch(new URL('/health', gateway.url), { signal: AbortSignal.timeout(5_000) });
    expect(response.status).toBe(200);
  });

  it('serves GraphiQL to a browser, opened on the example query', async () => {
    const response = await fetch(gateway.url, { headers: { accept: 'text/html' }, signal: AbortSignal.timeout(5_000) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain(EXAMPLE_QUERY.match(/query \w+/)![0]);
  });

  it('answers a query, with null for what is not cached', async () => {
    const response = await gql(gateway.url, TICKER, { symbol: 'BTC/USDT' });
    expect(response).toEqual({ status: 200, data: { ticker: null } });
  });

  it('refuses putTicker with UNAUTHENTICATED, since no token is configured', async () => {
    const response = await gql(gateway.url, PUT_TICKER, { ticker: { symbol: 'BTC/USDT', last: 1 } }, WRITER_TOKEN);
    expect(response.data?.putTicker ?? null).toBeNull();
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.errors?.[0]?.message).toContain('no token is configured');
  });

  it('exits 0 on SIGTERM', async () => {
    gateway.child.kill('SIGTERM');
    expect(await exitOf(gateway)).toEqual({ code: 0, signal: null });
  });
});

describe('the gateway as npm start runs it: compiled to dist/ and run by node alone', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'pipe' });
    gateway = await startGateway({}, 'dist/src/main.js');
  }, 90_000);
  afterAll(() => kill(gateway?.child));

  it('starts and answers queries', async () => {
    expect(gateway.listening).toMatchObject({ store: 'memory' });
    expect(await gql(gateway.url, TICKER, { symbol: 'BTC/USDT' })).toEqual({ status: 200, data: { ticker: null } });
  });
});

describe('npm start', () => {
  function npmStart(env: Record<string, string> = {}): Run {
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH']!, HOME: process.env['HOME'] ?? ROOT, PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started: Run = { child: npm, output: { stdout: '', stderr: '' }, closed: new Promise((resolve) => npm.once('close', (code, signal) => resolve({ code, signal }))) };
    npm.stdout.on('data', (chunk) => (started.output.stdout += chunk));
    npm.stderr.on('data', (chunk) => (started.output.stderr += chunk));
    return started;
  }

  /** Stops `started` as a process manager does, and expects the gateway itself to shut down cleanly. */
  async function expectStopsOnSigterm(started: Run) {
    started.child.kill('SIGTERM');
    expect(await exitOf(started)).toEqual({ code: 0, signal: null });
    expect(logLines(started).some((entry) => entry.msg === 'shutting down')).toBe(true);
  }

  beforeAll(() => void execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'pipe' }), 90_000);

  it('runs the gateway with the V8 heap bound of MAX_HEAP_MB, and passes SIGTERM on to it', async () => {
    const started = npmStart({ MAX_HEAP_MB: '200' });
    try {
      // npm start compiles first when dist/ is stale: seconds on a busy machine.
      const listening = await startupLine(started, 75_000);
      // V8's limit is the old space asked for plus its young generation (a few tens of MiB).
      expect(listening.heapLimitMb).toBeGreaterThanOrEqual(200);
      expect(listening.heapLimitMb).toBeLessThan(300);
      expect(logLines(started).filter((entry) => String(entry.msg).includes('not bounded'))).toEqual([]);
      await expectStopsOnSigterm(started);
    } finally {
      kill(started.child);
    }
  }, 90_000);

  it('does not compile again when dist/ is current', async () => {
    const started = npmStart();
    try {
      await startupLine(started, 75_000);
      expect(started.output.stderr).toContain('npm start: dist/ is current, not compiling');
      expect(started.output.stderr).not.toContain('compiling src/');
      await expectStopsOnSigterm(started);
    } finally {
      kill(started.child);
    }
  }, 90_000);

  it('compiles when an output is missing, though the build info says the build is current', async () => {
    rmSync(join(ROOT, 'dist/src/main.js'));
    const started = npmStart();
    try {
      await startupLine(started, 75_000);
      expect(started.output.stderr).toContain('npm start: compiling src/ to dist/');
      expect(existsSync(join(ROOT, 'dist/src/main.js'))).toBe(true);
      await expectStopsOnSigterm(started);
    } finally {
      kill(started.child);
    }
  }, 90_000);
});

describe('the gateway started with REDIS_URL', () => {
  let redisServer: RedisServer;
  let redis: Redis;
  let gateway: Gateway;
  beforeAll(async () => {
    redisServer = await startRedisServer();
    redis = redisServer.client();
    gateway = await startGateway({ REDIS_URL: redisServer.url, WRITER_TOKEN, ADMIN_TOKEN });
  });
  afterAll(async () => {
    kill(gateway?.child);
    await redisServer?.stop();
  });

  it('announces that it caches in Redis', () => {
    expect(gateway.listening).toMatchObject({ store: 'redis', writes: 'enabled' });
  });

  it('keeps a ticker written through putTicker in that Redis, and serves it back', async () => {
    const ticker = { symbol: 'BTC/USDT', last: 91_000.5, bid: 91_000, ask: 91_001 };
    const written = await gql(gateway.url, PUT_TICKER, { ticker }, WRITER_TOKEN);
    expect(written).toEqual({ status: 200, data: { putTicker: { symbol: 'BTC/USDT', last: 91_000.5 } } });

    expect(await gql(gateway.url, TICKER, { symbol: 'BTC/USDT' })).toEqual({ status: 200, data: { ticker } });
    const stored = JSON.parse((await redis.get('mdc:v1:ticker:{BTC/USDT}'))!);
    expect(stored).toMatchObject(ticker);
    expect(await redis.pttl('mdc:v1:ticker:{BTC/USDT}')).toBeGreaterThan(50_000);
  });

  it('exits 0 on SIGTERM, closing its Redis connection', async () => {
    gateway.child.kill('SIGTERM');
    expect(await exitOf(gateway)).toEqual({ code: 0, signal: null });
  });

  it('finishes its shutdown when a second SIGTERM comes during it', async () => {
    const second = await startGateway({ REDIS_URL: redisServer.url });
    // A request still arriving keeps the shutdown waiting for it (up to its grace period).
    const { port } = new URL(second.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
    try {
      second.child.kill('SIGTERM');
      await waitFor(second, () => logLines(second).find((entry) => entry.msg === 'shutting down'));
      second.child.kill('SIGTERM');
      expect(await exitOf(second)).toEqual({ code: 0, signal: null });
      expect(logLines(second).filter((entry) => entry.msg === 'shutting down')).toHaveLength(1);
    } finally {
      socket.destroy();
      kill(second.child);
    }
  }, 20_000);
});

describe('the gateway given a bad setting', () => {
  it.each([
    ['PORT', 'abc'],
    ['REDIS_URL', 'http://x'],
    ['TTL_TICKER_SECONDS', '0'],
    ['EXCHANGE_ID', 'nosuchexchange'], // valid in form: only ccxt can tell, and start-up asks it
  ])('refuses to start when %s is %j, naming the variable on stderr', async (variable, value) => {
    const started = run('src/main.ts', { PORT: '0', HOST: '127.0.0.1', [variable]: value });
    const { child, output } = started;
    try {
      const { code } = await exitOf(started);
      expect(code).not.toBe(0);
      expect(output.stderr).toContain(`Configuration error: ${variable}: expected`);
      expect(output.stdout).not.toContain('listening');
    } finally {
      kill(child);
    }
  });
});

describe('the gateway in trouble at start-up', () => {
  it('exits 1 with a message, not a stack trace, when its port is taken', async () => {
    const first = await startGateway({});
    const port = new URL(first.url).port;
    const second = run('src/main.ts', { PORT: port, HOST: '127.0.0.1' });
    try {
      expect((await exitOf(second)).code).toBe(1);
      expect(second.output.stderr).toContain(`Cannot listen: listen EADDRINUSE`);
      expect(second.output.stderr).not.toContain('    at ');
    } finally {
      kill(second.child);
      kill(first.child);
    }
  });

  it('starts while Redis is unreachable and logs that once, not once per reconnect attempt', async () => {
    const gateway = await startGateway({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const warnings = gateway.output.stdout.split('\n').filter((line) => line.includes('Redis unavailable'));
      expect(warnings).toHaveLength(1);
      expect(gateway.output.stderr).not.toContain('Unhandled error event');
      const response = await gql(gateway.url, TICKER, { symbol: 'BTC/USDT' });
      expect(response.errors).toHaveLength(1);
    } finally {
      kill(gateway.child);
    }
  });
});

describe("the gateway reading Redis's memory settings at start-up", () => {
  let redisServer: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    redisServer = await startRedisServer();
    redis = redisServer.client();
  });
  afterAll(() => redisServer?.stop());

  /** The warnings about Redis's memory settings a gateway logs as it starts; Redis's settings are left as they were. */
  async function memoryWarnings(): Promise<string[]> {
    const settings = await redis.config('GET', 'maxmemory*');
    const gateway = await startGateway({ REDIS_URL: redisServer.url });
    try {
      expect(await redis.config('GET', 'maxmemory*')).toEqual(settings);
      return logLines(gateway).filter((entry) => entry.level === 40 && String(entry.msg).includes('maxmemory')).map((entry) => String(entry.msg));
    } finally {
      kill(gateway.child);
    }
  }

  it('warns when Redis has no maxmemory, or the noeviction policy, and not once it evicts', async () => {
    // As Redis starts by default: no maxmemory, noeviction.
    const warnings = await memoryWarnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('no maxmemory');
    expect(warnings[0]).toContain('noeviction');
    expect(warnings[0]).toContain('set maxmemory and maxmemory-policy allkeys-lru');

    await redis.config('SET', 'maxmemory', '64mb');
    expect(await memoryWarnings()).toEqual([expect.stringMatching(/^Redis's maxmemory-policy is noeviction: once it is full, every write fails/)]);

    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    expect(await memoryWarnings()).toEqual([]);
  });
});
