import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WRITER_TOKEN } from './support/gateway.js';
import { startLiveGateway, type LiveGateway } from './support/live-gateway.js';
import { latencies, sleep } from './support/load.js';
import {
  AFTER,
  CLIENTS,
  COLD,
  connectedToRedis,
  countBy,
  LOST,
  measure,
  PUT_TICKER,
  READ,
  READ_TIMEOUT_MS,
  READ_WARM,
  redisUnavailable,
  report,
  seed,
  shape,
  WARM,
  type Measured,
} from './support/outage.js';
import { freePort, startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

// Redis outages under load, as a client of the gateway sees them: every read answers within the
// bounds below (with the value last served, marked stale, where there is one), nothing hangs or
// turns into a 5xx, and the gateway follows Redis back without a restart. The gateway runs in this
// process on a real port, with its default fault settings (read timeout 50 ms, circuit retried
// every 250 ms); Redis is a real redis-server, frozen, killed or cut off behind a TCP proxy.
// Latency figures depend on the machine: vitest runs this file alone, after the other tests (see
// vitest.config.ts), and it prints one line of figures per scenario.

/** A scenario's hooks run for about 4 s. */
const HOOK_TIMEOUT_MS = 60_000;

/** The targets. */
// The bounds asserted are the ones documented in the README, with room for a 2-core machine that
// also runs the 20 clients. The targets (p99 under 100 ms frozen, under 10 ms with the
// circuit open) are measured, not asserted: each scenario prints its figures, quoted in the notes.
const OUTAGE_P99_MS = 250;
/** With the circuit open no read waits on Redis: typically a few ms, and never the read timeout. */
const OPEN_CIRCUIT_P50_MS = 10;
const OPEN_CIRCUIT_P99_MS = 50;
const RECOVERY_MS = 1000;

/**
 * The assertions every outage shares. `expectedDuring` is the shape of every read during it;
 * `connectionLost` says whether the gateway's connection itself went away (and so must be logged
 * as lost and regained).
 */
function itBehavesThroughTheOutage(
  get: () => Measured,
  { expectedDuring, connectionLost, writeMayLand = false }: { expectedDuring: string; connectionLost: boolean; writeMayLand?: boolean },
) {
  it('never hangs a request nor answers one with a 5xx, during the outage or after', () => {
    const { all } = get();
    expect(all.length).toBeGreaterThan(CLIENTS * 10);
    expect(countBy(all, (s) => (s.hung ? 'hung' : `HTTP ${s.status}`))).toEqual({ 'HTTP 200': all.length });
  });

  it(`answers reads during the outage within ${OUTAGE_P99_MS} ms at the 99th percentile`, () => {
    const { outage } = get();
    expect(outage.length).toBeGreaterThan(CLIENTS * 5);
    expect(latencies(outage).p99).toBeLessThan(OUTAGE_P99_MS);
  });

  it(`answers reads in under ${OPEN_CIRCUIT_P50_MS} ms at the median and ${OPEN_CIRCUIT_P99_MS} ms at the 99th percentile once the circuit is open, its trial calls aside`, () => {
    const { circuitOpen, circuitOpenP99s } = get();
    expect(circuitOpen.length).toBeGreaterThan(CLIENTS * 5);
    expect(circuitOpenP99s.length).toBeGreaterThanOrEqual(3);
    expect(latencies(circuitOpen).p50).toBeLessThan(OPEN_CIRCUIT_P50_MS);
    expect(Math.min(...circuitOpenP99s)).toBeLessThan(OPEN_CIRCUIT_P99_MS);
  });

  it(`answers every read during the outage as "${expectedDuring}"`, () => {
    const { outage } = get();
    expect(countBy(outage, (s) => shape(s))).toEqual({ [expectedDuring]: outage.length });
  });

  it('reports itself not ready (503) during the outage, while /health stays 200', () => {
    const { ready, health } = get().duringOutage;
    expect(ready.status).toBe(503);
    expect(ready.body).toBeTypeOf('object');
    expect(health.status).toBe(200);
  });

  if (writeMayLand) {
    it('either refuses a write during the outage with CACHE_UNAVAILABLE, leaving nothing, or acknowledges and stores it', () => {
      const { duringOutage, lostInRedis } = get();
      if (duringOutage.write.errors) {
        expect(duringOutage.write.errors.map((e) => e.extensions?.code)).toEqual(['CACHE_UNAVAILABLE']);
        expect(lostInRedis).toBeNull();
      } else {
        expect(duringOutage.write.data).toEqual({ putTicker: { ...LOST, stale: false } });
        expect(JSON.parse(lostInRedis!)).toMatchObject(LOST);
      }
    });
  } else {
    it('refuses a write during the outage with CACHE_UNAVAILABLE, and it leaves nothing in Redis', () => {
      const { duringOutage, lostInRedis } = get();
      expect(duringOutage.write).toMatchObject({ status: 200, data: null });
      expect(duringOutage.write.errors?.map((e) => e.extensions?.code)).toEqual(['CACHE_UNAVAILABLE']);
      expect(duringOutage.write.ms).toBeLessThan(1000);
      expect(lostInRedis).toBeNull();
    });
  }

  it(`serves fresh reads and answers /ready with 200 within ${RECOVERY_MS} ms of Redis coming back, with no restart`, () => {
    const m = get();
    expect(m.recoveredInMs).toBeDefined();
    expect(m.recoveredInMs!).toBeLessThan(RECOVERY_MS);
    expect(m.readyAfter).toBe(200);
  });

  it('stores and serves writes again after recovery', () => {
    const { writeAfter, readAfterWrite, afterInRedis } = get();
    expect(writeAfter).toMatchObject({ status: 200, data: { putTicker: { ...AFTER, stale: false } } });
    expect(readAfterWrite).toMatchObject({ status: 200, data: { after: { ...AFTER, stale: false } } });
    expect(JSON.parse(afterInRedis!)).toMatchObject(AFTER);
  });

  it('logs the outage once when it begins and once when it ends, not once per failed command or reconnect', () => {
    const { logs, all } = get();
    // Hundreds of reads failed: a line per failure or per reconnect attempt would show here.
    expect(all.length).toBeGreaterThan(100);
    const repeated = Object.entries(countBy(logs, (entry) => String(entry.msg))).filter(([, times]) => times > 1);
    expect(repeated).toEqual([]);
    expect(logs.length).toBeLessThanOrEqual(6);
    expect(logs.filter((entry) => entry.level >= 40).length).toBeGreaterThanOrEqual(1);
    if (connectionLost) {
      expect(redisUnavailable(logs)).toHaveLength(1);
      expect(redisUnavailable(logs)[0]!.level).toBe(40);
      expect(connectedToRedis(logs)).toHaveLength(1);
      expect(connectedToRedis(logs)[0]!.level).toBe(30);
    } else {
      expect(redisUnavailable(logs).length).toBeLessThanOrEqual(1);
      expect(connectedToRedis(logs).length).toBeLessThanOrEqual(1);
    }
  });
}

describe('reads while Redis is healthy', () => {
  let redis: RedisServer;
  let gateway: LiveGateway;
  beforeAll(async () => {
    redis = await startRedisServer();
    gateway = await startLiveGateway(redis.url);
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await gateway?.shutdown();
    await redis?.stop();
  });

  it('are marked stale: false, and /ready answers 200', async () => {
    await gateway.gql(PUT_TICKER, { ticker: WARM }, WRITER_TOKEN);
    await seed(redis.client(), COLD);
    const read = await gateway.gql(READ);
    expect(read).toMatchObject({ status: 200, data: { warm: { ...WARM, stale: false }, cold: { ...COLD, stale: false } } });
    expect(read.errors).toBeUndefined();
    expect(await gateway.get('/ready')).toEqual({ status: 200, body: expect.any(Object) });
  });
});

describe('Redis frozen (SIGSTOP), then resumed (SIGCONT)', () => {
  let redis: RedisServer;
  let gateway: LiveGateway;
  let measured: Measured;
  beforeAll(async () => {
    redis = await startRedisServer();
    gateway = await startLiveGateway(redis.url);
    const direct = redis.client();
    measured = await measure(gateway, { begin: () => redis.freeze(), end: () => redis.resume(), direct: () => direct });
    report('freeze (SIGSTOP) then SIGCONT', measured);
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    redis?.resume();
    await gateway?.shutdown();
    await redis?.stop();
  });

  it('serves fresh values, stale: false, before the outage', () => {
    // Stale only where Redis did not answer within the read timeout: on a loaded machine a stall
    // can make a healthy read miss it, and then the gateway must not wait.
    const unexpected = measured.healthy.filter((s) => {
      const kind = shape(s, ['warm']);
      return kind !== 'warm fresh' && !(kind === 'warm stale' && s.ms >= READ_TIMEOUT_MS);
    });
    expect(unexpected.map((s) => `${shape(s, ['warm'])} in ${s.ms.toFixed(1)} ms`)).toEqual([]);
  });
  itBehavesThroughTheOutage(() => measured, { expectedDuring: 'warm stale, cold null CACHE_UNAVAILABLE', connectionLost: false });
});

describe('Redis killed, then restarted on the same port', () => {
  let redis: RedisServer;
  let gateway: LiveGateway;
  let measured: Measured;
  beforeAll(async () => {
    redis = await startRedisServer();
    gateway = await startLiveGateway(redis.url);
    let direct = redis.client();
    const { port } = redis;
    measured = await measure(gateway, {
      begin: () => redis.stop(),
      async end() {
        // The restarted Redis is empty (nothing on disk): producers write again.
        redis = await startRedisServer({ port });
        direct = redis.client();
        await seed(direct, WARM);
        await seed(direct, COLD);
      },
      direct: () => direct,
    });
    report('kill (SIGKILL) then restart on the same port', measured);
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await gateway?.shutdown();
    await redis?.stop();
  });

  itBehavesThroughTheOutage(() => measured, { expectedDuring: 'warm stale, cold null CACHE_UNAVAILABLE', connectionLost: true });
});

describe('the gateway started before Redis exists', () => {
  let redis: RedisServer | undefined;
  let gateway: LiveGateway;
  let measured: Measured;
  let startedInMs: number;
  let readyBefore: number;
  beforeAll(async () => {
    const port = await freePort();
    const startedAt = performance.now();
    gateway = await startLiveGateway(`redis://127.0.0.1:${port}`);
    startedInMs = performance.now() - startedAt;
    readyBefore = (await gateway.get('/ready')).status;
    let direct: Redis | undefined;
    measured = await measure(
      gateway,
      {
        begin: () => {},
        async end() {
          redis = await startRedisServer({ port });
          direct = redis.client();
          await seed(direct, WARM);
          await seed(direct, COLD);
        },
        direct: () => direct!,
      },
      // The outage began before the gateway did: its logs count from start-up.
      { warmFirst: false, logsFromStart: true },
    );
    report('started before Redis exists, then Redis started on its port', measured);
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await gateway?.shutdown();
    await redis?.stop();
  });

  it('starts listening without Redis, not ready (503)', () => {
    expect(startedInMs).toBeLessThan(5000);
    expect(readyBefore).toBe(503);
  });
  itBehavesThroughTheOutage(() => measured, {
    expectedDuring: 'warm null CACHE_UNAVAILABLE, cold null CACHE_UNAVAILABLE',
    connectionLost: true,
  });
});

/**
 * An outage made by a TCP proxy between the gateway and a healthy Redis: `begin` cuts it off
 * (slows it, drops connections...), `restore` lets traffic through again.
 */
function describeProxyOutage(
  title: string,
  summary: string,
  begin: (proxy: TcpProxy) => void,
  expectations: Parameters<typeof itBehavesThroughTheOutage>[1],
) {
  describe(title, () => {
    let redis: RedisServer;
    let proxy: TcpProxy;
    let gateway: LiveGateway;
    let measured: Measured;
    beforeAll(async () => {
      redis = await startRedisServer();
      proxy = await startTcpProxy(redis.port);
      gateway = await startLiveGateway(proxy.url);
      const direct = redis.client();
      measured = await measure(gateway, { begin: () => begin(proxy), end: () => proxy.restore(), direct: () => direct });
      report(summary, measured);
    }, HOOK_TIMEOUT_MS);
    afterAll(async () => {
      await gateway?.shutdown();
      await proxy?.close();
      await redis?.stop();
    });

    itBehavesThroughTheOutage(() => measured, expectations);
  });
}

describeProxyOutage(
  'Redis behind a proxy adding 200 ms per chunk (read timeout 50 ms), then passing traffic again',
  'proxy latency 200 ms per chunk then restored',
  (proxy) => proxy.setLatency(200),
  // 200 ms each way is within the 500 ms write timeout: a write that happens to be the circuit's
  // trial call can land, and must then be acknowledged.
  { expectedDuring: 'warm stale, cold null CACHE_UNAVAILABLE', connectionLost: false, writeMayLand: true },
);

describeProxyOutage(
  'Redis behind a proxy that drops every connection and refuses new ones, then lets them through',
  'proxy drops connections and refuses new ones, then restored',
  (proxy) => {
    proxy.refuseNew();
    proxy.dropConnections();
  },
  { expectedDuring: 'warm stale, cold null CACHE_UNAVAILABLE', connectionLost: true },
);

describeProxyOutage(
  'Redis behind a proxy that drops every connection and leaves new ones unanswered, then lets them through',
  'proxy drops connections and blackholes new ones, then restored',
  (proxy) => {
    proxy.blackholeNew();
    proxy.dropConnections();
  },
  { expectedDuring: 'warm stale, cold null CACHE_UNAVAILABLE', connectionLost: true },
);

describe('a read Redis answers within the read timeout while the gateway is busy past it', () => {
  let redis: RedisServer;
  let proxy: TcpProxy;
  let gateway: LiveGateway;
  beforeAll(async () => {
    redis = await startRedisServer();
    proxy = await startTcpProxy(redis.port);
    gateway = await startLiveGateway(proxy.url);
    await gateway.gql(PUT_TICKER, { ticker: WARM }, WRITER_TOKEN);
    await gateway.gql(READ_WARM);
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await gateway?.shutdown();
    await proxy?.close();
    await redis?.stop();
  });

  // Replies take 30 ms to come back, well within the 50 ms read timeout; meanwhile this thread,
  // which the gateway shares, is kept busy for 90 ms, as a long garbage collection or a burst of
  // work would. The reply is waiting in the socket when the thread is free again: Redis answered
  // in time, and a gateway that times it out anyway counts a healthy Redis as failing (three such
  // stalls open the circuit).
  it('is served fresh, not failed as a timeout', async () => {
    proxy.setLatency(30, 'downstream');
    const answers: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const pending = gateway.gql(READ_WARM);
      // Long enough for the read to reach Redis and its answer the proxy (on a busy machine, 10 ms
      // was sometimes not): the stall must come after Redis answered, or it is not what is tested.
      await sleep(25);
      const busyUntil = performance.now() + 90;
      while (performance.now() < busyUntil) {
        // busy, as in a long garbage collection
      }
      const answer = await pending;
      answers.push(shape({ status: answer.status, hung: answer.status === 0, body: answer }, ['warm']));
      await sleep(100);
    }
    expect(answers).toEqual(['warm fresh', 'warm fresh', 'warm fresh']);
    expect((await gateway.get('/ready')).status).toBe(200);
  });
});
