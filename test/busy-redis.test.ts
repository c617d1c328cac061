import type { Redis } from 'ioredis';
import { Redis as RedisClient } from 'ioredis';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheUnavailableError } from '../src/cache/cache-unavailable.js';
import { createCircuitBreakerStore } from '../src/cache/circuit-breaker-store.js';
import { createRedisStore } from '../src/cache/redis-store.js';
import { useRedis } from './support/harness.js';

/**
 * A Redis that answers, but slowly: a proxy that passes Redis's replies on 2 KB every 10 ms, as a
 * large reply crossing a busy connection arrives. That is load, not an outage: a read waits while
 * bytes keep coming (up to its maximum), and a read that runs out of time that way does not
 * count toward opening the circuit.
 */
const PIECE_BYTES = 2048;
const PIECE_MS = 10;

const harness = useRedis({ flushBeforeEach: false });
let proxy: Server;
let client: Redis;
const sockets = new Set<Socket>();
const BARS = 400; // about 60 KB of reply: 30 pieces, 300 ms, six times the read timeout

beforeAll(async () => {
  const server = harness.server;
  const direct = harness.probe;
  const members = Array.from({ length: BARS }, (_, i) => [i, JSON.stringify({ openTime: new Date(i * 60_000).toISOString(), open: 1, high: 2, low: 0.5, close: 1.5, volume: i, pad: 'x'.repeat(80) })]);
  await direct.zadd('series', ...members.flat());
  proxy = createServer((downstream) => {
    const upstream = connect(server.port, '127.0.0.1');
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => sockets.delete(socket));
    }
    downstream.pipe(upstream);
    let queue = Buffer.alloc(0);
    let timer: NodeJS.Timeout | undefined;
    const trickle = () => {
      const piece = queue.subarray(0, PIECE_BYTES);
      queue = queue.subarray(piece.length);
      downstream.write(piece);
      timer = queue.length > 0 ? setTimeout(trickle, PIECE_MS) : undefined;
    };
    upstream.on('data', (chunk: Buffer) => {
      queue = Buffer.concat([queue, chunk]);
      timer ??= setTimeout(trickle, PIECE_MS);
    });
    downstream.once('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  client = new RedisClient({ port: (proxy.address() as { port: number }).port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  await client.ping();
});
afterAll(async () => {
  client?.disconnect();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => proxy?.close(resolve));
});

const range = { key: 'series', limit: BARS };

describe('a read of a reply that arrives slowly but steadily', () => {
  it('is answered, although it takes several times the read timeout', async () => {
    const store = createRedisStore({ redis: client, readTimeoutMs: 50, readMaxMs: 5000 });
    const started = performance.now();
    const [members] = await store.rangeMany([range]);
    const ms = performance.now() - started;
    console.log(`[busy] ${BARS} bars arriving ${PIECE_BYTES} bytes every ${PIECE_MS} ms: read in ${ms.toFixed(0)} ms, read timeout 50 ms`);
    expect(members).toHaveLength(BARS);
    expect(ms).toBeGreaterThan(100);
  });

  it('fails as busy past its maximum, which does not open the circuit', async () => {
    const breaker = createCircuitBreakerStore(createRedisStore({ redis: client, readTimeoutMs: 50, readMaxMs: 100 }));
    for (let i = 0; i < 4; i++) {
      const failure = await breaker.rangeMany([range]).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(CacheUnavailableError);
      expect((failure as CacheUnavailableError).busy).toBe(true);
      expect((failure as Error).message).toBe('cache unavailable: Redis did not finish a read within 100 ms');
    }
    expect(breaker.state()).toBe('closed');
  });

  it('fails a write as busy when its deadline passes while replies are still arriving, without opening the circuit', async () => {
    const breaker = createCircuitBreakerStore(createRedisStore({ redis: client, readTimeoutMs: 50, readMaxMs: 5000, writeTimeoutMs: 20 }));
    for (let i = 0; i < 4; i++) {
      const reading = breaker.rangeMany([range]); // about 300 ms of reply queued ahead of the write's
      const failure = await breaker.set(`written-${i}`, 'value', 60_000).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(CacheUnavailableError);
      expect((failure as CacheUnavailableError).busy).toBe(true);
      expect(await reading).toEqual([expect.any(Array)]);
    }
    expect(breaker.state()).toBe('closed');
  });
});
