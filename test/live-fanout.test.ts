import { Agent, request, type ClientRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { createClient as createSseClient, type Client as SseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import type { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildGateway, type ChildGateway } from './support/attack-child.js';
import { WRITER_TOKEN } from './support/gateway.js';
import { startLiveGateway, type LiveGateway } from './support/live-gateway.js';
import { sleep } from './support/load.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { takeSseEvents } from './support/sse.js';

/**
 * Live updates fan out across gateway processes: a write through one instance reaches every
 * subscriber of another, over SSE and over WebSocket, newest value last and never an older one
 * after a newer; subscribers that leave leave nothing behind, in the gateway or in Redis; and the
 * two transports deliver the same sequence. Real processes on a real Redis; the figures (fan-out
 * latency, memory per subscriber) are printed, not asserted beyond a loose sanity bound.
 */

const SUBSCRIBERS = 1000;
const WRITES = 20;
const WRITE_SPACING_MS = 50;
const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT'] as const;
const CHANGE_CHANNEL = 'mdc:v1:changes';

/** A ticker as a subscriber received it, with when (`performance.now()` of this process). */
interface Received {
  symbol: string;
  last: number;
  at: number;
}

/** One SSE subscription read from a raw HTTP response (yoga's distinct-connections protocol). */
interface SseStream {
  request: ClientRequest;
  /** The symbols it follows. */
  symbols: readonly string[];
  received: Received[];
  /** Anything other than a `next` with data (an `errors` payload, a `complete`), as text. */
  problems: string[];
}

/** Posts `query` with `Accept: text/event-stream`; settles once the response's headers arrived. */
function openSse(url: string, agent: Agent, query: string, symbols: readonly string[]): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    });
    const stream: SseStream = { request: req, symbols, received: [], problems: [] };
    req.on('error', (error) => {
      stream.problems.push(String(error));
      reject(error);
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE subscription: expected 200, received ${res.statusCode}`));
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer = takeSseEvents(buffer + chunk, (event, data) => {
          const at = performance.now();
          if (event === undefined) return; // a keep-alive comment
          const payload = event === 'next' && data ? (JSON.parse(data) as { data?: { tickers?: { symbol: string; last: number } }; errors?: unknown }) : undefined;
          const ticker = payload?.data?.tickers;
          if (ticker && payload?.errors === undefined) stream.received.push({ symbol: ticker.symbol, last: ticker.last, at });
          else stream.problems.push(`${event}: ${data}`);
        });
      });
      res.on('error', () => {}); // the test closes these streams itself
      resolve(stream);
    });
    req.end(JSON.stringify({ query }));
  });
}

/** `task` over `items`, `concurrency` at a time. */
async function inPool<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]!, index);
      }
    }),
  );
  return results;
}

/** Polls `check` until it returns true, or fails with `failure` (and what `describe` says now) after `timeoutMs`. */
async function until(failure: string, check: () => boolean | Promise<boolean>, describeNow: () => unknown, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${failure} within ${timeoutMs} ms; now: ${JSON.stringify(describeNow())}`);
    await sleep(20);
  }
}

/** CPU time `pid` has used (user and system), in ms. */
function cpuMs(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat, after the command name (which may hold spaces), in ticks of 10 ms.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** VmRSS of `pid`, in KiB. */
function rssKiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function post(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(10_000),
  });
  return (await response.json()) as { data?: any; errors?: unknown[] };
}

/** From `/metrics`: `mdc_live_subscribers` summed over fields, and the `tickers` messages sent and dropped. */
async function liveMetrics(graphqlUrl: string) {
  const text = await (await fetch(new URL('/metrics', graphqlUrl), { signal: AbortSignal.timeout(5000) })).text();
  const subscribers = [...text.matchAll(/^mdc_live_subscribers\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
  const messages = (outcome: string) => Number(new RegExp(`^mdc_live_messages_total\\{field="tickers",outcome="${outcome}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { subscribers, sent: messages('sent'), dropped: messages('dropped') };
}

const PUT_TICKERS = 'mutation ($tickers: [TickerInput!]!) { putTickers(tickers: $tickers, ttlSeconds: 600) }';
const tickersAt = (last: number) => SYMBOLS.map((symbol) => ({ symbol, last }));

describe(`${SUBSCRIBERS} SSE subscribers on gateway B, writes through gateway A (two processes, one Redis)`, () => {
  let redis: RedisServer;
  let probe: Redis;
  let a: ChildGateway;
  let b: ChildGateway;
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  let streams: SseStream[] = [];
  let ws: WsClient | undefined;
  const wsReceived: Received[] = [];
  let channelsBefore: string[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    probe = redis.client();
    // MAX_CONNECTIONS: room for every subscriber's connection, and the test's own requests.
    const env = { REDIS_URL: redis.url, WRITER_TOKEN, MAX_CONNECTIONS: String(SUBSCRIBERS + 500) };
    [a, b] = await Promise.all([startChildGateway(env, { heapMiB: 512 }), startChildGateway(env, { heapMiB: 512 })]);
    // Both processes listen to the change channel once connected.
    await until('both gateways subscribed to the change channel', async () => Number((await probe.pubsub('NUMSUB', CHANGE_CHANNEL))[1]) === 2, () => 'NUMSUB');
    channelsBefore = ((await probe.pubsub('CHANNELS', '*')) as string[]).sort();
  }, 30_000);

  afterAll(async () => {
    await ws?.dispose();
    for (const stream of streams) stream.request.destroy();
    agent.destroy();
    const started = [a, b].filter((gateway) => gateway !== undefined);
    started.forEach((gateway) => gateway.stop());
    await Promise.all(started.map((gateway) => gateway.closed));
    await redis?.stop();
  });

  it('delivers every write made on A to each subscriber on B (or, behind, the newest), never an older value after a newer one', async () => {
    // A value to start from: each subscription sends it first, which says it is following.
    expect((await post(a.url, PUT_TICKERS, { tickers: tickersAt(0) }, WRITER_TOKEN)).errors).toBeUndefined();

    const rssBefore = rssKiB(b.pid);
    const openedAt = performance.now();
    const followed = Array.from({ length: SUBSCRIBERS }, (_, i) => [SYMBOLS[i % SYMBOLS.length]!, SYMBOLS[(i + 1) % SYMBOLS.length]!] as const);
    streams = await inPool(followed, 100, (symbols) =>
      openSse(b.url, agent, `subscription { tickers(symbols: ${JSON.stringify(symbols)}) { symbol last cachedAt } }`, symbols),
    );
    const everyStreamHasItsStart = () => streams.every((stream) => stream.received.length >= stream.symbols.length);
    await until('every SSE subscriber received the current value of both its symbols', everyStreamHasItsStart, () => ({
      waiting: streams.filter((stream) => stream.received.length < stream.symbols.length).length,
      problems: streams.flatMap((stream) => stream.problems).slice(0, 3),
    }), 20_000);
    const openMs = performance.now() - openedAt;

    // And one WebSocket subscriber on B, for the same writes.
    ws = createWsClient({ url: b.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    const wsProblems: unknown[] = [];
    ws.subscribe<{ tickers: { symbol: string; last: number } }>(
      { query: `subscription { tickers(symbols: ${JSON.stringify(SYMBOLS)}) { symbol last cachedAt } }` },
      {
        next: ({ data, errors }) => (data ? wsReceived.push({ ...data.tickers, at: performance.now() }) : wsProblems.push(errors)),
        error: (error) => wsProblems.push(error),
        complete: () => {},
      },
    );
    await until('the WebSocket subscriber received the current value of every symbol', () => wsReceived.length >= SYMBOLS.length, () => ({ wsReceived, wsProblems }));
    const rssAfter = rssKiB(b.pid);

    // N writes through A, spaced; each timed from just before it is sent.
    const sentAt: number[] = [];
    const ackMs: number[] = [];
    const cpuBefore = cpuMs(b.pid);
    const sentBefore = await liveMetrics(b.url);
    for (let k = 1; k <= WRITES; k++) {
      sentAt[k] = performance.now();
      const answer = await post(a.url, PUT_TICKERS, { tickers: tickersAt(k) }, WRITER_TOKEN);
      ackMs.push(performance.now() - sentAt[k]!);
      expect(answer).toEqual({ data: { putTickers: SYMBOLS.length } });
      await sleep(WRITE_SPACING_MS);
    }

    const newestOf = (received: readonly Received[], symbol: string) => received.filter((r) => r.symbol === symbol).at(-1)?.last;
    await until(
      'every subscriber received the last write',
      () => streams.every((stream) => stream.symbols.every((symbol) => newestOf(stream.received, symbol) === WRITES)) && SYMBOLS.every((symbol) => newestOf(wsReceived, symbol) === WRITES),
      () => ({
        behind: streams.filter((stream) => stream.symbols.some((symbol) => newestOf(stream.received, symbol) !== WRITES)).length,
        ws: SYMBOLS.map((symbol) => newestOf(wsReceived, symbol)),
      }),
      15_000,
    );
    const cpuDuring = cpuMs(b.pid) - cpuBefore;

    // Each subscriber's values, per symbol: 0 first, strictly increasing, the last written last.
    const sequences = [
      ...streams.flatMap((stream) => stream.symbols.map((symbol) => stream.received.filter((r) => r.symbol === symbol).map((r) => r.last))),
      ...SYMBOLS.map((symbol) => wsReceived.filter((r) => r.symbol === symbol).map((r) => r.last)),
    ];
    const misordered = sequences.filter((values) => values[0] !== 0 || values.at(-1) !== WRITES || values.some((value, i) => i > 0 && value <= values[i - 1]!));
    expect(misordered.slice(0, 3)).toEqual([]);
    expect(streams.flatMap((stream) => stream.problems)).toEqual([]);
    expect(wsProblems).toEqual([]);

    // Fan-out latency: from just before each write was sent to each subscriber's receipt of it.
    const receipts = streams.flatMap((stream) => stream.received).filter((r) => r.last > 0);
    const latencies = receipts.map((r) => r.at - sentAt[r.last]!).sort((x, y) => x - y);
    // Per write, the first receipt (Redis's announcement and B's read of the keys) and the last (the fan-out done).
    const firstAndLast = Array.from({ length: WRITES }, (_, i) => {
      const of = receipts.filter((r) => r.last === i + 1).map((r) => r.at - sentAt[i + 1]!);
      return of.length === 0 ? undefined : { first: Math.min(...of), last: Math.max(...of) };
    }).filter((value) => value !== undefined);
    const median = (values: number[]) => percentile(values.sort((x, y) => x - y), 50).toFixed(1);
    const expected = streams.reduce((sum, stream) => sum + stream.symbols.length, 0) * WRITES;
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const after = await liveMetrics(b.url);
    const sentDuring = after.sent - sentBefore.sent;
    const wsLatencies = wsReceived.filter((r) => r.last > 0).map((r) => r.at - sentAt[r.last]!).sort((x, y) => x - y);
    const ms = (value: number) => `${value.toFixed(1)} ms`;
    console.log(
      [
        `live fan-out: ${SUBSCRIBERS} SSE subscribers on B (2 of ${SYMBOLS.length} symbols each), ${WRITES} writes of ${SYMBOLS.length} tickers through A, ${WRITE_SPACING_MS} ms apart`,
        `  opened and following in ${Math.round(openMs)} ms; each write acknowledged by A in ${median([...ackMs])} ms (median)`,
        `  fan-out latency (write sent -> receipt): p50 ${ms(p50)}, p99 ${ms(p99)}, max ${ms(latencies.at(-1)!)}`,
        `  per write (median): first subscriber ${median(firstAndLast.map((x) => x.first))} ms, last subscriber ${median(firstAndLast.map((x) => x.last))} ms`,
        `  received ${latencies.length} of ${expected} updates; ${expected - latencies.length} skipped to a newer value`,
        `  WebSocket subscriber on B: ${wsLatencies.length} of ${SYMBOLS.length * WRITES} updates, p50 ${ms(percentile(wsLatencies, 50))}`,
        `  B sent ${sentDuring} messages in the writes (dropped ${after.dropped - sentBefore.dropped}), using ${cpuDuring} ms of CPU: ${((cpuDuring * 1000) / Math.max(1, sentDuring)).toFixed(0)} µs a message`,
        `  B's RSS: ${Math.round(rssBefore / 1024)} MiB before, ${Math.round(rssAfter / 1024)} MiB with ${SUBSCRIBERS} SSE subscribers: +${((rssAfter - rssBefore) / 1024 / (SUBSCRIBERS / 1000)).toFixed(1)} MiB per 1000`,
      ].join('\n'),
    );
    // A sanity bound, not a target: the figures above are the measurement.
    expect(p99).toBeLessThan(5000);
  }, 60_000);

  it('keeps no subscription, channel or Redis subscriber once every client has disconnected', async () => {
    expect(streams).toHaveLength(SUBSCRIBERS); // the subscribers the previous test opened
    expect((await liveMetrics(b.url)).subscribers).toBe(SUBSCRIBERS + 1);

    for (const stream of streams) stream.request.destroy();
    await ws!.dispose();
    await until('B counts no live subscriber', async () => (await liveMetrics(b.url)).subscribers === 0, () => 'see /metrics');

    expect(((await probe.pubsub('CHANNELS', '*')) as string[]).sort()).toEqual(channelsBefore);
    expect(channelsBefore).toEqual([CHANGE_CHANNEL]);
    expect(await probe.pubsub('NUMSUB', CHANGE_CHANNEL)).toEqual([CHANGE_CHANNEL, 2]);
    // And B still serves: a new subscriber is sent the current value.
    const again = await openSse(b.url, agent, `subscription { tickers(symbols: ["BTC/USDT"]) { symbol last cachedAt } }`, ['BTC/USDT']);
    streams.push(again);
    await until('a new subscriber received the current value', () => again.received.length > 0, () => again.problems);
    expect(again.received.map((r) => r.last)).toEqual([WRITES]);
  }, 30_000);
});

describe('a WebSocket and an SSE subscriber of one gateway', () => {
  let redis: RedisServer;
  let gateway: LiveGateway;
  let ws: WsClient;
  let sse: SseClient;

  beforeAll(async () => {
    redis = await startRedisServer();
    gateway = await startLiveGateway(redis.url);
    ws = createWsClient({ url: gateway.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    sse = createSseClient({ url: gateway.url, singleConnection: false, retryAttempts: 0 });
  }, 20_000);

  afterAll(async () => {
    sse?.dispose();
    await ws?.dispose();
    await gateway?.shutdown();
    await redis?.stop();
  });

  /**
   * Subscribes `query` over both transports, then makes each of `writes` in turn, waiting until
   * both received what it wrote before the next (so neither skips one): returns what each received.
   */
  async function bothReceive<T>(query: string, field: string, writes: Array<() => Promise<unknown>>, seeded: number) {
    const received = { ws: [] as T[], sse: [] as T[] };
    const problems: unknown[] = [];
    const sink = (into: T[]) => ({
      next: ({ data, errors }: { data?: Record<string, T> | null; errors?: unknown }) => (data ? into.push(data[field]!) : problems.push(errors)),
      error: (error: unknown) => problems.push(error),
      complete: () => {},
    });
    const unsubscribe = [ws.subscribe<Record<string, T>>({ query }, sink(received.ws)), sse.subscribe<Record<string, T>>({ query }, sink(received.sse))];
    try {
      const both = (count: number) => () => received.ws.length >= count && received.sse.length >= count;
      await until('both subscribers received the cached value', both(seeded), () => ({ received, problems }));
      for (const [i, write] of writes.entries()) {
        await write();
        await until(`both subscribers received write ${i + 1}`, both(seeded + i + 1), () => ({ received, problems }));
      }
      await sleep(100); // nothing more comes
      expect(problems).toEqual([]);
      return received;
    } finally {
      unsubscribe.forEach((stop) => stop());
    }
  }

  it('receive the same bars, in the order written: new candles and changes of the open one', async () => {
    const minute = 60_000;
    const start = Date.UTC(2025, 0, 1);
    const bar = (minutes: number, close: number) => ({ openTime: new Date(start + minutes * minute).toISOString(), open: 100, high: 200, low: 50, close, volume: 1 });
    // The open candle changing twice, then a new one, and so on.
    const written = [bar(0, 100), bar(0, 101), bar(0, 102), bar(1, 110), bar(1, 111), bar(2, 120), bar(3, 130), bar(3, 131), bar(4, 140)];
    const put = (value: ReturnType<typeof bar>) => async () => {
      const answer = await gateway.gql(
        'mutation ($bars: [BarInput!]!) { putBars(symbol: "BTC/USDT", timeframe: "1m", bars: $bars, ttlSeconds: 600) }',
        { bars: [value] },
        WRITER_TOKEN,
      );
      expect(answer.data).toEqual({ putBars: 1 });
    };
    await put(written[0]!)();

    const received = await bothReceive<Record<string, unknown>>(
      'subscription { bars(symbol: "BTC/USDT", timeframe: "1m") { symbol timeframe openTime open high low close volume stale } }',
      'bars',
      written.slice(1).map(put),
      1,
    );
    expect(received.ws).toEqual(received.sse);
    expect(received.ws.map(({ openTime, ...rest }) => ({ ...rest, openTime: new Date(openTime as string).toISOString() }))).toEqual(
      written.map((value) => ({ ...value, symbol: 'BTC/USDT', timeframe: '1m', stale: false })),
    );
  });

  it('receive the same trades, in the order written', async () => {
    const base = Date.now() - 60_000;
    const trade = (i: number) => ({ id: `t${i}`, price: 100 + i, amount: 1 + i / 10, side: i % 2 === 0 ? 'BUY' : 'SELL', time: new Date(base + i * 10).toISOString() });
    const written = Array.from({ length: 10 }, (_, i) => trade(i));
    const put = (value: ReturnType<typeof trade>) => async () => {
      const answer = await gateway.gql(
        'mutation ($trades: [TradeInput!]!) { putTrades(symbol: "ETH/USDT", trades: $trades, ttlSeconds: 600) }',
        { trades: [value] },
        WRITER_TOKEN,
      );
      expect(answer.data).toEqual({ putTrades: 1 });
    };
    await put(written[0]!)();

    const received = await bothReceive<Record<string, unknown>>(
      'subscription { trades(symbol: "ETH/USDT") { id price amount side time stale } }',
      'trades',
      written.slice(1).map(put),
      1,
    );
    expect(received.ws).toEqual(received.sse);
    expect(received.ws.map(({ time, ...rest }) => ({ ...rest, time: new Date(time as string).toISOString() }))).toEqual(
      written.map((value) => ({ ...value, stale: false })),
    );
  });
});
