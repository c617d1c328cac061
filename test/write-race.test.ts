import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { createRedisClient } from '../src/cache/redis-client.js';
import { createRedisStore } from '../src/cache/redis-store.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WRITER_TOKEN } from './support/gateway.js';
import { startLiveGateway, type LiveGateway } from './support/live-gateway.js';
import { post, sleep } from './support/load.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

// Writes racing a Redis outage. 20 producers write concurrently through the gateway while Redis
// freezes, resumes, slows down or dies under them. Afterwards Redis must hold exactly what was
// acknowledged: every acknowledged write is there, and every write reported failed left nothing,
// even one that sat in a frozen Redis's socket and ran when it resumed (the gateway gives every
// write a deadline that Redis itself checks). Redis is checked directly, not through the gateway.

const WRITERS = 20;
/** Mean pause between a producer's writes (drawn from 0-2x): about 250 writes/s in all. */
const PAUSE_MS = 60;
/** The gateway's default write timeout: a write not applied within it fails and never applies. */
const WRITE_TIMEOUT_MS = 500;
const HANG_MS = 2000;
/** A case's hook runs for about 4 s. */
const HOOK_TIMEOUT_MS = 60_000;

const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const PUT_TICKER = `mutation($ticker: TickerInput!) { putTicker(ticker: $ticker, ttlSeconds: 600) { symbol last } }`;
const PUT_BARS = `mutation($symbol: MarketSymbol!, $bars: [BarInput!]!) { putBars(symbol: $symbol, timeframe: "1h", bars: $bars, ttlSeconds: 600) }`;

/**
 * A producer's n-th write, by turns: a ticker of its own new symbol, three bars of its own new
 * series (the Lua upsert), or its standing ticker `OWN<writer>/USDT` overwritten with `last: n`.
 */
type Write =
  | { kind: 'ticker'; writer: number; n: number; symbol: string; last: number }
  | { kind: 'bars'; writer: number; n: number; symbol: string; closes: number[] }
  | { kind: 'own'; writer: number; n: number; symbol: string; last: number };

interface Outcome {
  write: Write;
  startedAt: number;
  endedAt: number;
  /** `acknowledged`: stored, says the gateway; `refused`: CACHE_UNAVAILABLE; anything else is a finding. */
  result: string;
}

function nthWrite(writer: number, n: number): Write {
  switch (n % 3) {
    case 0:
      return { kind: 'ticker', writer, n, symbol: `T${writer}-${n}/USDT`, last: writer * 100_000 + n };
    case 1:
      return { kind: 'bars', writer, n, symbol: `B${writer}-${n}/USDT`, closes: [n + 0.25, n + 0.5, n + 0.75] };
    default:
      return { kind: 'own', writer, n, symbol: `OWN${writer}/USDT`, last: n };
  }
}

function request(write: Write): { query: string; variables: Record<string, unknown> } {
  if (write.kind === 'bars') {
    const bars = write.closes.map((close, hour) => ({
      openTime: new Date(T0 + hour * HOUR).toISOString(),
      open: close,
      high: close + 1,
      low: close - 1,
      close,
      volume: 1,
    }));
    return { query: PUT_BARS, variables: { symbol: write.symbol, bars } };
  }
  return { query: PUT_TICKER, variables: { ticker: { symbol: write.symbol, last: write.last } } };
}

function classify(write: Write, sample: Awaited<ReturnType<typeof post>>): string {
  if (sample.hung) return 'hung';
  if (sample.status !== 200) return `HTTP ${sample.status}`;
  const { data, errors } = sample.body ?? {};
  if (errors === undefined) {
    const expected = write.kind === 'bars' ? { putBars: 3 } : { putTicker: { symbol: write.symbol, last: write.last } };
    return JSON.stringify(data) === JSON.stringify(expected) ? 'acknowledged' : `unexpected data ${JSON.stringify(data)}`;
  }
  const codes = errors.map((error) => error.extensions?.code ?? error.message).join(',');
  return data === null && codes === 'CACHE_UNAVAILABLE' ? 'refused' : `data ${JSON.stringify(data)} errors ${codes}`;
}

/** `WRITERS` producers writing through the gateway until `stop` (or `maxDurationMs`). */
function startWriters(url: string, maxDurationMs: number) {
  const outcomes: Outcome[] = [];
  const deadline = performance.now() + maxDurationMs;
  let stopped = false;
  const running = () => !stopped && performance.now() < deadline;
  const producer = async (writer: number) => {
    await sleep(Math.random() * 2 * PAUSE_MS);
    for (let n = 0; running(); n++) {
      const write = nthWrite(writer, n);
      const { query, variables } = request(write);
      const sample = await post(url, JSON.stringify({ query, variables }), { authorization: `Bearer ${WRITER_TOKEN}` }, HANG_MS);
      outcomes.push({ write, startedAt: sample.startedAt, endedAt: sample.endedAt, result: classify(write, sample) });
      if (running()) await sleep(Math.random() * 2 * PAUSE_MS);
    }
  };
  const done = Promise.all(Array.from({ length: WRITERS }, (_, writer) => producer(writer)));
  return {
    async stop() {
      stopped = true;
      await done;
      return outcomes;
    },
  };
}

/**
 * What Redis holds for each write, against what the gateway said: an empty list when Redis holds
 * exactly what was acknowledged. A producer's standing ticker must hold its last acknowledged
 * value: a later write that failed must not have replaced it.
 */
async function mismatches(redis: Redis, outcomes: readonly Outcome[]): Promise<string[]> {
  const found: string[] = [];
  const pipeline = redis.pipeline();
  const unique = outcomes.filter(({ write }) => write.kind !== 'own');
  for (const { write } of unique) {
    if (write.kind === 'bars') {
      pipeline.zcard(`mdc:v1:bars:{${write.symbol}}:1h`);
      pipeline.get(`mdc:v1:bars:{${write.symbol}}:1h:latest`);
    } else {
      pipeline.get(`mdc:v1:ticker:{${write.symbol}}`);
    }
  }
  const replies = (await pipeline.exec())!.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
  let i = 0;
  for (const { write, result } of unique) {
    const acknowledged = result === 'acknowledged';
    if (write.kind === 'bars') {
      const [size, latest] = [replies[i++] as number, replies[i++] as string | null];
      const stored = size === 3 && latest !== null && JSON.parse(latest).close === write.closes[2];
      if (acknowledged && !stored) found.push(`acknowledged bars ${write.symbol} missing (zcard ${size}, latest ${latest})`);
      if (!acknowledged && (size !== 0 || latest !== null)) found.push(`${result} bars ${write.symbol} left zcard ${size}, latest ${latest}`);
    } else if (write.kind === 'ticker') {
      const raw = replies[i++] as string | null;
      if (acknowledged && (raw === null || JSON.parse(raw).last !== write.last)) found.push(`acknowledged ticker ${write.symbol} is ${raw}`);
      if (!acknowledged && raw !== null) found.push(`${result} ticker ${write.symbol} left ${raw}`);
    }
  }
  for (let writer = 0; writer < WRITERS; writer++) {
    const own = outcomes.filter(({ write }) => write.kind === 'own' && write.writer === writer);
    const lastAcknowledged = own.filter((o) => o.result === 'acknowledged').at(-1)?.write as { last: number } | undefined;
    const raw = await redis.get(`mdc:v1:ticker:{OWN${writer}/USDT}`);
    const last = raw === null ? null : JSON.parse(raw).last;
    if (last !== (lastAcknowledged?.last ?? null)) {
      found.push(`OWN${writer}/USDT holds last ${last}, its last acknowledged write was ${lastAcknowledged?.last ?? 'none'}`);
    }
  }
  return found;
}

/** How many writes had each result: `{ acknowledged: 412, refused: 160 }`, and any other kind seen. */
function tally(outcomes: readonly Outcome[]): Record<string, number> {
  const results: Record<string, number> = {};
  for (const { result } of outcomes) results[result] = (results[result] ?? 0) + 1;
  return results;
}

const count = (outcomes: readonly Outcome[], result: string, from = -Infinity, to = Infinity) =>
  outcomes.filter((o) => o.result === result && o.startedAt >= from && o.startedAt < to).length;

/**
 * Writes Redis ran (each gateway write is one script), from INFO commandstats: calls that did not
 * fail, so that EVALSHA's NOSCRIPT before the first EVAL of a script does not count.
 */
async function scriptRuns(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let runs = 0;
  for (const [, calls, failed] of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+).*failed_calls=(\d+)/gm)) {
    runs += Number(calls) - Number(failed);
  }
  return runs;
}

/** One line per case, to quote; `ranByRedis` only where Redis's counters cover the whole run. */
function report(name: string, outcomes: readonly Outcome[], ranByRedis?: number) {
  const acknowledged = count(outcomes, 'acknowledged');
  const refused = count(outcomes, 'refused');
  console.log(
    `[write-race] ${name}: ${outcomes.length} writes by ${WRITERS} producers | acknowledged ${acknowledged} | refused ${refused}` +
      ` | other ${outcomes.length - acknowledged - refused}` +
      (ranByRedis === undefined
        ? ''
        : ` | write scripts run by Redis ${ranByRedis} (so ${Math.max(0, ranByRedis - acknowledged)} reached it too late and changed nothing)`),
  );
}

describe('writes racing a frozen Redis', () => {
  let redis: RedisServer;
  let direct: Redis;
  let gateway: LiveGateway;
  let outcomes: Outcome[];
  const freezes: Array<{ from: number; to: number }> = [];
  let ranByRedis: number;

  beforeAll(async () => {
    redis = await startRedisServer();
    direct = redis.client();
    gateway = await startLiveGateway(redis.url);
    {
      const writers = startWriters(gateway.url, 6000);
      try {
        // Well past the write timeout, then close to it: the deadline's edge, where a write that
        // waited in the socket runs just before or just after its deadline.
        for (const [before, frozenMs] of [
          [400, 1200],
          [700, WRITE_TIMEOUT_MS + 50],
        ] as const) {
          await sleep(before);
          const from = performance.now();
          redis.freeze();
          await sleep(frozenMs);
          redis.resume();
          freezes.push({ from, to: performance.now() });
        }
        await sleep(800);
      } finally {
        redis.resume();
        outcomes = await writers.stop();
      }
    }
    // Anything still waiting in Redis's sockets has run by now.
    await sleep(200);
    ranByRedis = await scriptRuns(direct);
    report('freeze 1200 ms, then freeze 550 ms', outcomes, ranByRedis);
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    redis?.resume();
    await gateway?.shutdown();
    await redis?.stop();
  });

  it('answers every write as acknowledged or refused with CACHE_UNAVAILABLE, never hanging', () => {
    expect(tally(outcomes)).toEqual({ acknowledged: expect.any(Number), refused: expect.any(Number) });
  });

  it('acknowledges writes before the freezes, refuses them during, and acknowledges them again after each', () => {
    const [first, second] = freezes as [{ from: number; to: number }, { from: number; to: number }];
    expect(count(outcomes, 'acknowledged', -Infinity, first.from)).toBeGreaterThan(0);
    expect(count(outcomes, 'refused', first.from, first.to)).toBeGreaterThan(WRITERS);
    expect(count(outcomes, 'acknowledged', first.to + 300, second.from)).toBeGreaterThan(0);
    expect(count(outcomes, 'acknowledged', second.to + 300)).toBeGreaterThan(0);
  });

  it('leaves Redis holding exactly what was acknowledged, though the writes that waited in the frozen Redis ran when it resumed', async () => {
    // More writes ran than were acknowledged: those that sat in Redis's socket while it was frozen.
    expect(ranByRedis).toBeGreaterThan(count(outcomes, 'acknowledged'));
    expect(await mismatches(direct, outcomes)).toEqual([]);
  });
});

describe('writes racing a network that holds them back longer than the write timeout', () => {
  let redis: RedisServer;
  let proxy: TcpProxy;
  let direct: Redis;
  let gateway: LiveGateway;
  let outcomes: Outcome[];
  let ranByRedis: number;
  let slow: { from: number; to: number };

  beforeAll(async () => {
    redis = await startRedisServer();
    direct = redis.client();
    proxy = await startTcpProxy(redis.port);
    gateway = await startLiveGateway(proxy.url);
    {
      const writers = startWriters(gateway.url, 5000);
      try {
        await sleep(400);
        // Only towards Redis: a write arrives 800 ms late, after its deadline, while replies travel
        // at once, so what Redis does is all the gateway needs to know.
        const from = performance.now();
        proxy.setLatency(800, 'upstream');
        await sleep(1200);
        proxy.restore();
        slow = { from, to: performance.now() };
        await sleep(800);
      } finally {
        proxy.restore();
        outcomes = await writers.stop();
      }
    }
    await sleep(200);
    ranByRedis = await scriptRuns(direct);
    report('proxy delaying writes by 800 ms for 1200 ms', outcomes, ranByRedis);
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await gateway?.shutdown();
    await proxy?.close();
    await redis?.stop();
  });

  it('answers every write as acknowledged or refused with CACHE_UNAVAILABLE, never hanging', () => {
    expect(tally(outcomes)).toEqual({ acknowledged: expect.any(Number), refused: expect.any(Number) });
  });

  it('acknowledges writes before the slowdown, refuses them during, and acknowledges them again after', () => {
    expect(count(outcomes, 'acknowledged', -Infinity, slow.from)).toBeGreaterThan(0);
    expect(count(outcomes, 'refused', slow.from, slow.to)).toBeGreaterThan(WRITERS);
    expect(count(outcomes, 'acknowledged', slow.to + 300)).toBeGreaterThan(0);
  });

  it('leaves Redis holding exactly what was acknowledged, though the late writes reached it and ran', async () => {
    expect(ranByRedis).toBeGreaterThan(count(outcomes, 'acknowledged'));
    expect(await mismatches(direct, outcomes)).toEqual([]);
  });
});

describe('writes racing a kill of a Redis that logs every write to disk (appendfsync always)', () => {
  let dir: string;
  let redis: RedisServer;
  let direct: Redis;
  let gateway: LiveGateway;
  let outcomes: Outcome[];
  let down: { from: number; to: number };
  const AOF = ['--appendonly', 'yes', '--appendfsync', 'always'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mdc-redis-aof-'));
    redis = await startRedisServer({ args: AOF, dir });
    gateway = await startLiveGateway(redis.url);
    const { port } = redis;
    {
      const writers = startWriters(gateway.url, 5000);
      try {
        await sleep(500);
        const from = performance.now();
        await redis.stop();
        await sleep(500);
        const to = performance.now();
        redis = await startRedisServer({ port, args: AOF, dir });
        down = { from, to };
        await sleep(800);
      } finally {
        outcomes = await writers.stop();
      }
    }
    direct = redis.client();
    report('SIGKILL with appendfsync always, restarted on the same port 500 ms later', outcomes);
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await gateway?.shutdown();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers every write as acknowledged or refused with CACHE_UNAVAILABLE, never hanging', () => {
    expect(tally(outcomes)).toEqual({ acknowledged: expect.any(Number), refused: expect.any(Number) });
  });

  // A write in flight when Redis died may have been logged without its reply getting out: the
  // gateway cannot know, so only the writes sent while Redis was gone must have left nothing.
  it('keeps every acknowledged write across the restart, and nothing of writes sent while Redis was down', async () => {
    const acknowledged = outcomes.filter((o) => o.result === 'acknowledged');
    const whileDown = outcomes.filter((o) => o.result === 'refused' && o.startedAt > down.from && o.endedAt < down.to);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(whileDown.length).toBeGreaterThan(0);
    const found = (await mismatches(direct, [...acknowledged, ...whileDown])).filter((line) => !line.startsWith('OWN'));
    expect(found).toEqual([]);
    expect(count(outcomes, 'acknowledged', down.to + 300)).toBeGreaterThan(0);
  });
});

describe("a write's deadline, with Redis's clock first measured through a slow network", () => {
  let redis: RedisServer;
  let proxy: TcpProxy;
  afterAll(async () => {
    await proxy?.close();
    await redis?.stop();
  });

  // The deadline is in Redis's clock, from an offset measured with TIME. Measured once, from a
  // round trip whose request was held up (a busy machine at start-up), the offset comes out late
  // by half that round trip, and so does every deadline: a write the gateway has given up on
  // could still run in Redis and land.
  it('never lets a write the gateway reported failed land, however slow the first TIME was', async () => {
    redis = await startRedisServer();
    proxy = await startTcpProxy(redis.port);
    const logger = pino({ level: 'silent' });
    const client = createRedisClient({ kind: 'standalone', url: proxy.url }, logger);
    try {
      // Requests take 600 ms to reach Redis while the client connects and first reads the clock.
      proxy.setLatency(600, 'upstream');
      // Made before the connection is ready, as the gateway makes it.
      const store = createRedisStore({ redis: client, readTimeoutMs: 5000, writeTimeoutMs: WRITE_TIMEOUT_MS });
      await new Promise((resolve) => client.once('ready', resolve));
      await sleep(50);
      proxy.setLatency(0);
      // The first TIME's answer (at about 650 ms), and the quick one sent right after it, are in by now.
      await sleep(1200);
      // A write that reaches Redis 650 ms after it was sent: past its 500 ms deadline, and past
      // the moment the store stops waiting for it (500 ms and 100 for the reply).
      proxy.setLatency(650, 'upstream');
      await expect(store.set('late', 'landed', 60_000)).rejects.toThrow(/within 500 ms|after its deadline/);
      await sleep(900);
      proxy.restore();
      expect(await redis.client().get('late')).toBeNull();
    } finally {
      client.disconnect();
    }
  }, HOOK_TIMEOUT_MS);
});
