import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WRITER_TOKEN } from './support/gateway.js';
import { startLiveGateway, type LiveGateway } from './support/live-gateway.js';
import { sleep } from './support/load.js';
import {
  AFTER,
  CIRCUIT_OPEN_MESSAGE,
  CIRCUIT_OPEN_MS,
  CLIENTS,
  COLD,
  connectedToRedis,
  countBy,
  HEALTHY_ROUNDS,
  LOST,
  measure,
  metTheCircuit,
  PUT_TICKER,
  READ,
  READ_TIMEOUT_MS,
  READ_WARM,
  RECONNECT_MAX_MS,
  redisUnavailable,
  report,
  SCHEDULING_ALLOWANCE_MS,
  seed,
  shape,
  trialsAtMost,
  WARM,
  WRITE_TIMEOUT_MS,
  type Measured,
} from './support/outage.js';
import { freePort, startRedisServer, type RedisServer } from './support/redis-server.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

// Redis outages under load, as a client of the gateway sees them: every read answers within the
// configured timeouts (with the value last served, marked stale, where there is one), nothing
// hangs or turns into a 5xx, the open circuit keeps reads away from Redis, and the gateway follows
// Redis back without a restart. The gateway runs in this process on a real port, with its default
// fault settings (read timeout 50 ms, circuit retried every 250 ms); Redis is a real
// redis-server, frozen, killed or cut off behind a TCP proxy.
//
// Latency is a benchmark figure, not a property: on 2 cores shared with other work a healthy read
// can take several hundred milliseconds. So the bounds asserted here are the configured timeouts plus a generous
// allowance for a loaded machine, which still fail a gateway that waits for a dead Redis's own
// timeouts (connect 2 s, command 5 s), and "fails fast once open" is asserted as what the circuit
// sent to Redis, not as milliseconds. Each scenario prints its figures (the issue's targets: p99
// under 100 ms frozen, under 10 ms with the circuit open), quoted in the notes; vitest runs this
// file alone, after the other tests (see vitest.config.ts), so that they are the gateway's own.

/** A scenario's hooks run for about 4 s. */
const HOOK_TIMEOUT_MS = 60_000;

/**
 * The longest a read may take, outage or not: it waits on Redis once, for at most the read
 * timeout (and once the circuit is open, only its trial calls wait at all); the retry period is
 * added for good measure. A read that waited for a dead Redis's own timeouts (connect 2 s, command
 * 5 s) takes longer.
 */
const READ_BOUND_MS = READ_TIMEOUT_MS + CIRCUIT_OPEN_MS + SCHEDULING_ALLOWANCE_MS;
/** A write waits for at most the write timeout. */
const WRITE_BOUND_MS = WRITE_TIMEOUT_MS + SCHEDULING_ALLOWANCE_MS;
/**
 * From Redis being back: the client's next reconnection attempt, its ready check, then the
 * circuit's next trial call, which closes it; a loaded machine delays each step.
 */
const RECOVERY_BOUND_MS = RECONNECT_MAX_MS + CIRCUIT_OPEN_MS + 2 * SCHEDULING_ALLOWANCE_MS;
/** How long start-up waits for a first Redis connection (src/main.ts) before listening anyway. */
const FIRST_CONNECTION_WAIT_MS = 2000;

interface OutageExpectations {
  /** The shape of every read during the outage. */
  expectedDuring: string;
  /** Whether the gateway's connection itself went away (and so must be logged as lost and regained). */
  connectionLost: boolean;
  /**
   * Redis still answers, this long after each command (a slow network, not a dead one). A read
   * waits while the connection keeps receiving (the README's "alive and busy"), so when replies
   * to earlier commands keep arriving, as they do when this thread stalls for about as long, a
   * read can wait for its own answer and be served fresh, a trial call can succeed and close the
   * circuit (each change logged), and a write can land.
   */
  answersAfterMs?: number;
}

/** The assertions every outage shares. */
function itBehavesThroughTheOutage(get: () => Measured, { expectedDuring, connectionLost, answersAfterMs }: OutageExpectations) {
  it('never hangs a request nor answers one with a 5xx, during the outage or after', () => {
    const { all } = get();
    expect(all.length).toBeGreaterThan(CLIENTS * 2);
    expect(countBy(all, (s) => (s.hung ? 'hung' : `HTTP ${s.status}`))).toEqual({ 'HTTP 200': all.length });
  });

  const readBoundMs = READ_BOUND_MS + (answersAfterMs ?? 0);
  it(`answers every read, during the outage and after, within ${readBoundMs} ms: the read timeout${answersAfterMs ? ', the time Redis takes to answer' : ''} and the circuit's retry period, plus ${SCHEDULING_ALLOWANCE_MS} ms for a loaded machine`, () => {
    const { all, outage } = get();
    expect(outage.length).toBeGreaterThanOrEqual(CLIENTS);
    const slowest = [...all].sort((a, b) => b.ms - a.ms)[0]!;
    expect(slowest.ms, `slowest: ${shape(slowest)}`).toBeLessThan(readBoundMs);
  });

  it(`sends no read to Redis while the circuit is open but one trial call per ${CIRCUIT_OPEN_MS} ms: every other read is refused at once as "circuit open"`, () => {
    const { whileOpen, openPeriods } = get();
    // When the circuit was open is the gateway's own log of it: a loaded machine moves it, and
    // cannot blur what happened inside it. A gateway whose circuit never opens shows no reads
    // here, one that sent every read to Redis shows all of them as let through, and one whose
    // circuit never tries Redis again shows none.
    expect(whileOpen.length).toBeGreaterThanOrEqual(CLIENTS);
    const toRedis = whileOpen.filter((s) => metTheCircuit(s) === 'let through');
    const seen = JSON.stringify(countBy(toRedis, (s) => (s.body?.errors ?? []).map((error) => error.message).join('; ') || shape(s)));
    expect(toRedis.length, seen).toBeGreaterThanOrEqual(1);
    expect(toRedis.length, seen).toBeLessThanOrEqual(trialsAtMost(openPeriods));
  });

  // Marked as served: `stale: true` from the gateway's tier, `stale: false` only from Redis (COLD
  // never reaches the tier but from Redis).
  const allowed = answersAfterMs ? [expectedDuring, 'warm fresh, cold fresh', 'warm stale, cold stale'] : [expectedDuring];
  it(`answers every read during the outage as ${allowed.map((kind) => `"${kind}"`).join(' or ')}`, () => {
    const { outage } = get();
    const kinds = countBy(outage, (s) => shape(s));
    expect(Object.keys(kinds).filter((kind) => !allowed.includes(kind)), JSON.stringify(kinds)).toEqual([]);
    expect(kinds[expectedDuring]).toBeGreaterThanOrEqual(1);
  });

  // /ready answers 503 while Redis cannot be reached. Where the outage takes the connection down,
  // that holds for every probe. Where the connection stays up (a frozen Redis) the gateway knows
  // only once its circuit opens (the first probes may come before): from then on every probe is
  // 503, the probe past the open period being the circuit's trial. A slow Redis that does answer
  // (answersAfterMs) may rightly close the circuit again, and make the gateway ready again.
  it(`reports itself not ready (503) during the outage${connectionLost ? '' : ', from the moment its circuit opens'}, while /health stays 200`, () => {
    const { ready, health } = get().duringOutage;
    expect(ready.length).toBeGreaterThanOrEqual(5);
    const statuses = ready.map((answer) => `${answer.status} ${typeof answer.body}`);
    expect(statuses.filter((status) => status !== '503 object' && status !== '200 object')).toEqual([]);
    if (connectionLost) expect(statuses.filter((status) => status !== '503 object')).toEqual([]);
    else if (!answersAfterMs) {
      const firstNotReady = statuses.indexOf('503 object');
      expect(firstNotReady, statuses.join(', ')).toBeGreaterThanOrEqual(0);
      expect(statuses.slice(firstNotReady).filter((status) => status !== '503 object'), statuses.join(', ')).toEqual([]);
    }
    expect(health.status).toBe(200);
  });

  if (answersAfterMs) {
    it('either refuses a write during the outage with CACHE_UNAVAILABLE, leaving nothing, or acknowledges and stores it', () => {
      const { duringOutage, lostInRedis } = get();
      expect(duringOutage.write.ms).toBeLessThan(WRITE_BOUND_MS);
      if (duringOutage.write.errors) {
        expect(duringOutage.write.errors.map((e) => e.extensions?.code)).toEqual(['CACHE_UNAVAILABLE']);
        expect(lostInRedis).toBeNull();
      } else {
        expect(duringOutage.write.data).toEqual({ putTicker: { ...LOST, stale: false } });
        expect(JSON.parse(lostInRedis!)).toMatchObject(LOST);
      }
    });
  } else {
    it(`refuses a write during the outage with CACHE_UNAVAILABLE within ${WRITE_BOUND_MS} ms, and it leaves nothing in Redis`, () => {
      const { duringOutage, lostInRedis } = get();
      expect(duringOutage.write).toMatchObject({ status: 200, data: null });
      expect(duringOutage.write.errors?.map((e) => e.extensions?.code)).toEqual(['CACHE_UNAVAILABLE']);
      expect(duringOutage.write.ms).toBeLessThan(WRITE_BOUND_MS);
      expect(lostInRedis).toBeNull();
    });
  }

  it(`serves fresh reads and answers /ready with 200 within ${RECOVERY_BOUND_MS} ms of Redis being back, with no restart`, () => {
    const m = get();
    expect(m.recoveredInMs).toBeDefined();
    expect(m.recoveredInMs!).toBeLessThan(RECOVERY_BOUND_MS);
    expect(m.readyAfter).toBe(200);
  });

  it('stores and serves writes again after recovery', () => {
    const { writeAfter, readAfterWrite, afterInRedis } = get();
    expect(writeAfter).toMatchObject({ status: 200, data: { putTicker: { ...AFTER, stale: false } } });
    expect(readAfterWrite).toMatchObject({ status: 200, data: { after: { ...AFTER, stale: false } } });
    expect(JSON.parse(afterInRedis!)).toMatchObject(AFTER);
  });

  it('logs each change of state once, not once per failed command or reconnect', () => {
    const { logs, all } = get();
    // Scores of reads failed: a line per failure or per reconnect attempt would show here.
    expect(all.length).toBeGreaterThan(CLIENTS * 2);
    expect(logs.filter((entry) => entry.level >= 40).length).toBeGreaterThanOrEqual(1);
    // The circuit opens once and closes once, unless Redis still answers (then it may close and
    // open again): either way, each line is a change of state.
    const circuit = logs.filter((entry) => /^cache circuit/.test(entry.msg)).map((entry) => (/opened/.test(entry.msg) ? 'opened' : 'closed'));
    expect(circuit.length).toBeGreaterThanOrEqual(1);
    expect(circuit.filter((change, i) => change !== (i % 2 === 0 ? 'opened' : 'closed'))).toEqual([]);
    if (!answersAfterMs) expect(circuit.length).toBeLessThanOrEqual(2);
    const others = logs.filter((entry) => !/^cache circuit/.test(entry.msg));
    expect(Object.entries(countBy(others, (entry) => String(entry.msg))).filter(([, times]) => times > 1)).toEqual([]);
    // Once connected, a gateway reads Redis's memory settings once: a test Redis has no maxmemory.
    expect(others.filter((entry) => !/maxmemory/.test(entry.msg)).length).toBeLessThanOrEqual(4);
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
    expect(measured.healthy).toHaveLength(CLIENTS * HEALTHY_ROUNDS);
    expect(measured.healthy.filter((s) => shape(s, ['warm']) === 'warm fresh').length).toBeGreaterThan(0);
    const unexpected = measured.healthy.filter((s) => {
      const kind = shape(s, ['warm']);
      return kind !== 'warm fresh' && !(kind === 'warm stale' && s.ms >= READ_TIMEOUT_MS);
    });
    expect(unexpected.map((s) => `${shape(s, ['warm'])} in ${s.ms.toFixed(1)} ms`)).toEqual([]);
  });
  itBehavesThroughTheOutage(() => measured, { expectedDuring: 'warm stale, cold null CACHE_UNAVAILABLE', connectionLost: false });
});

// An idle gateway must judge its readiness by Redis itself: a circuit past its open period says
// nothing about whether Redis answers, so /ready's probe is then the circuit's trial.
describe('a frozen Redis behind an idle gateway (circuit retried every 2 s)', () => {
  const OPEN_MS = 2000;
  let redis: RedisServer;
  let gateway: LiveGateway;
  const refusals: Array<string | undefined> = [];
  let readyOnceOpen: number;
  let readyAfterRetryPeriod: number;
  let readyOnceBack: number;
  beforeAll(async () => {
    redis = await startRedisServer();
    gateway = await startLiveGateway(redis.url, { CIRCUIT_OPEN_MS: String(OPEN_MS) });
    await gateway.gql(READ_WARM);
    redis.freeze();
    // Three reads time out and open the circuit; the fourth is refused by it.
    for (let i = 0; i < 4; i++) refusals.push((await gateway.gql(READ_WARM)).errors?.[0]?.message);
    readyOnceOpen = (await gateway.get('/ready')).status;
    await sleep(OPEN_MS + 200);
    readyAfterRetryPeriod = (await gateway.get('/ready')).status;
    redis.resume();
    await sleep(OPEN_MS + 200);
    readyOnceBack = (await gateway.get('/ready')).status;
  }, HOOK_TIMEOUT_MS);
  afterAll(async () => {
    redis?.resume();
    await gateway?.shutdown();
    await redis?.stop();
  });

  it('reports itself not ready (503) once the circuit opens', () => {
    expect(refusals.at(-1)).toBe(CIRCUIT_OPEN_MESSAGE);
    expect(readyOnceOpen).toBe(503);
  });

  it('stays not ready (503) while Redis is frozen, though no request comes to try it', () => {
    expect(readyAfterRetryPeriod).toBe(503);
  });

  it('is ready (200) again once Redis answers, though no request came in between', () => {
    expect(readyOnceBack).toBe(200);
  });
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
    expect(startedInMs).toBeLessThan(FIRST_CONNECTION_WAIT_MS + SCHEDULING_ALLOWANCE_MS);
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
  expectations: OutageExpectations,
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
  { expectedDuring: 'warm stale, cold null CACHE_UNAVAILABLE', connectionLost: false, answersAfterMs: 400 },
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
