import type { Redis } from 'ioredis';
import { DEFAULTS } from '../../src/defaults.js';
import { WRITER_TOKEN } from './gateway.js';
import type { LiveGateway } from './live-gateway.js';
import { latencies, post, sleep, startLoad, within, type GraphQLBody, type Sample } from './load.js';

// One Redis outage under load, measured as clients of the gateway see it; test/faults.test.ts
// asserts on what this measures. The gateway runs with its default fault settings, read here
// from src/defaults.ts so that the bounds follow them.

/** The gateway's configured read timeout (REDIS_READ_TIMEOUT_MS). */
export const READ_TIMEOUT_MS = DEFAULTS.redis.readTimeoutMs;
/** The configured write timeout (REDIS_WRITE_TIMEOUT_MS). */
export const WRITE_TIMEOUT_MS = DEFAULTS.redis.writeTimeoutMs;
/** The open circuit lets one call through every CIRCUIT_OPEN_MS to try Redis again. */
export const CIRCUIT_OPEN_MS = DEFAULTS.redis.circuitOpenMs;
/** The longest the Redis client waits between reconnection attempts (its retryStrategy, src/cache/redis-client.ts). */
export const RECONNECT_MAX_MS = 500;
/**
 * What a loaded machine may add to an answer: this thread also runs the proxy and the probes, and
 * shares 2 cores with the clients, redis-server and whatever else runs (a healthy read took up to
 * a second while another process kept a core busy). Generous on purpose: the bounds built on it
 * are about never waiting for a dead Redis's own timeouts, not about speed, which each scenario
 * prints instead.
 */
export const SCHEDULING_ALLOWANCE_MS = 2000;
/**
 * A request with no answer within this long is recorded as hung: longer than any limit of the
 * gateway (REDIS_READ_MAX_MS, and the Redis client's own command timeout, both 5 s), so that a
 * slow answer on a loaded machine is measured, not mistaken for a hang.
 */
const HANG_MS = 6000;
/** The message of a call the open circuit refused without touching Redis. */
export const CIRCUIT_OPEN_MESSAGE = 'cache unavailable: circuit open after repeated Redis failures';

export const CLIENTS = 20;
/**
 * Mean pause between a client's requests (drawn from 0-2x): about 300 requests/s in all, enough
 * for percentiles, and not so many that this thread (the gateway's) saturates on 2 cores and the
 * figures measure a queue rather than the gateway.
 */
const PAUSE_MS = 60;
/** Reads each client makes before the outage: a count, not a time, so that a loaded machine cannot shrink it to nothing. */
export const HEALTHY_ROUNDS = 3;
const OUTAGE_MS = 1800;
/** /ready is asked from this long after the outage began (time for the gateway to notice it) to its end. */
const READY_PROBES_FROM_MS = 300;
const READY_PROBE_EVERY_MS = 50;
/** How long recovery is watched for, from Redis being back, before it counts as not recovered. */
const RECOVERY_WATCH_MS = 5000;

export const WARM = { symbol: 'WARM/USDT', last: 101.5 };
export const COLD = { symbol: 'COLD/USDT', last: 202.5 };
export const LOST = { symbol: 'LOST/USDT', last: 303.5 };
export const AFTER = { symbol: 'AFTER/USDT', last: 404.5 };
const FIELDS = 'symbol last stale';
export const READ = `{ warm: ticker(symbol: "${WARM.symbol}") { ${FIELDS} } cold: ticker(symbol: "${COLD.symbol}") { ${FIELDS} } }`;
export const READ_WARM = `{ warm: ticker(symbol: "${WARM.symbol}") { ${FIELDS} } }`;
export const PUT_TICKER = `mutation($ticker: TickerInput!) { putTicker(ticker: $ticker, ttlSeconds: 600) { ${FIELDS} } }`;
const tickerKey = (symbol: string) => `mdc:v1:ticker:{${symbol}}`;

/** Stores a ticker as a producer would have, straight into Redis: the gateway has never served it. */
export async function seed(redis: Redis, ticker: { symbol: string; last: number }) {
  const now = Date.now();
  const stamped = { ...ticker, time: new Date(now), cachedAt: new Date(now), expiresAt: new Date(now + 600_000) };
  await redis.set(tickerKey(ticker.symbol), JSON.stringify(stamped), 'PX', 600_000);
}

/**
 * What a response says about each field, e.g. `warm stale, cold null CACHE_UNAVAILABLE`: the
 * samples of a phase are counted by shape, so a failure shows every kind of answer seen.
 */
export function shape(sample: Pick<Sample, 'status' | 'hung' | 'body'>, fields = ['warm', 'cold']): string {
  if (sample.hung) return 'hung';
  if (sample.status !== 200) return `HTTP ${sample.status}`;
  const { data, errors = [] } = sample.body ?? {};
  const expected: Record<string, number> = { warm: WARM.last, cold: COLD.last };
  const parts = fields.map((field) => {
    const value = data?.[field];
    const codes = errors.filter((error) => error.path?.[0] === field).map((error) => error.extensions?.code ?? error.message);
    if (value) return `${field} ${value.stale === true ? 'stale' : value.stale === false ? 'fresh' : `stale=${value.stale}`}${value.last === expected[field] ? '' : ` last=${value.last}`}${codes.length ? ` ${codes}` : ''}`;
    return `${field} ${value === null ? 'null' : 'missing'}${codes.length ? ` ${codes}` : ''}`;
  });
  const other = errors.filter((error) => !fields.includes(String(error.path?.[0])));
  return [...parts, ...other.map((error) => `error ${error.extensions?.code ?? ''} ${error.message}`)].join(', ');
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

const FRESH = 'warm fresh, cold fresh';

/** How an outage is made and ended; `end` is called when Redis (or the way to it) comes back. */
export interface Outage {
  begin(): Promise<void> | void;
  end(): Promise<void> | void;
  /** A client on the real Redis (not through a proxy), for checking what it holds. */
  direct(): Redis;
}

export interface Measured {
  healthy: Sample[];
  /** Every request of the load, sent from the start of the outage to the end of the run. */
  all: Sample[];
  /** Sent after the outage began, answered before it ended. */
  outage: Sample[];
  /** When the circuit was open during the run, from the gateway's log of its changes of state. */
  openPeriods: Array<{ from: number; to: number }>;
  /** The reads of `all` sent and answered within one of `openPeriods`: refused at once, or trial calls. */
  whileOpen: Sample[];
  duringOutage: {
    /** /ready, asked every READY_PROBE_EVERY_MS through the outage once it had time to be noticed. */
    ready: Array<{ status: number; body: unknown }>;
    health: { status: number };
    write: GraphQLBody & { status: number; ms: number };
  };
  /** How long `end` took: starting a killed Redis again, with its data, takes time of its own. */
  backInMs: number;
  /** From Redis being back (`end` done) to fresh reads and /ready 200; undefined if not within RECOVERY_WATCH_MS. */
  recoveredInMs: number | undefined;
  readyAfter: number;
  writeAfter: GraphQLBody & { status: number };
  readAfterWrite: GraphQLBody & { status: number };
  lostInRedis: string | null;
  afterInRedis: string | null;
  /** Log entries from the start of the outage to the end of the run. */
  logs: Array<Record<string, any>>;
}

/**
 * One outage under load: a producer writes WARM through the gateway and clients read it (its last
 * served value), COLD is in Redis but never read; then the outage begins, 20 clients read both
 * for OUTAGE_MS, /ready is asked all through it, a write and /health are tried in the middle of
 * it, and the outage ends while the clients keep reading. `warmFirst: false` skips the healthy
 * part (there is no Redis yet).
 */
export async function measure(
  gateway: LiveGateway,
  outage: Outage,
  { warmFirst = true, logsFromStart = false }: { warmFirst?: boolean; logsFromStart?: boolean } = {},
): Promise<Measured> {
  let healthy: Sample[] = [];
  if (warmFirst) {
    const written = await gateway.gql(PUT_TICKER, { ticker: WARM }, WRITER_TOKEN);
    if (written.errors) throw new Error(`could not write WARM before the outage: ${JSON.stringify(written)}`);
    await seed(outage.direct(), COLD);
    healthy = await startLoad({ url: gateway.url, query: READ_WARM, clients: CLIENTS, pauseMs: PAUSE_MS, hangMs: HANG_MS, rounds: HEALTHY_ROUNDS, maxDurationMs: 30_000 }).done;
  }

  const logMark = logsFromStart ? 0 : gateway.logs.length;
  await outage.begin();
  const began = performance.now();
  const ends = began + OUTAGE_MS;
  // A backstop only: `stop` ends the load once recovery has been watched, however long that took.
  const load = startLoad({ url: gateway.url, query: READ, clients: CLIENTS, pauseMs: PAUSE_MS, hangMs: HANG_MS, maxDurationMs: 60_000 });
  // One probe of /ready says little: the circuit is half-open for a moment of every
  // CIRCUIT_OPEN_MS, and a probe can fall into it. Asked all through the outage, it shows how
  // /ready answers the whole time. The probes do not wait for each other, so that a loaded
  // machine makes them slower, not fewer; all are answered before the outage ends.
  const readyProbes = (async () => {
    const answers: Array<Promise<{ status: number; body: unknown }>> = [];
    await sleep(began + READY_PROBES_FROM_MS - performance.now());
    while (performance.now() < ends - READY_PROBE_EVERY_MS) {
      answers.push(gateway.get('/ready'));
      await sleep(READY_PROBE_EVERY_MS);
    }
    return Promise.all(answers);
  })();
  await sleep(OUTAGE_MS / 2);
  const [health, written] = await Promise.all([
    gateway.get('/health'),
    post(gateway.url, JSON.stringify({ query: PUT_TICKER, variables: { ticker: LOST } }), { authorization: `Bearer ${WRITER_TOKEN}` }, HANG_MS),
  ]);
  const ready = await readyProbes;
  await sleep(ends - performance.now());

  const ended = performance.now();
  await outage.end();
  const back = performance.now();
  let readAt: number | undefined;
  let readyAt: number | undefined;
  while ((readAt === undefined || readyAt === undefined) && performance.now() - back < RECOVERY_WATCH_MS) {
    const [read, readyNow] = await Promise.all([
      readAt === undefined ? gateway.gql(READ) : undefined,
      readyAt === undefined ? gateway.get('/ready') : undefined,
    ]);
    if (read && shape({ status: read.status, hung: false, body: read }) === FRESH) readAt = performance.now();
    if (readyNow?.status === 200) readyAt = performance.now();
    await sleep(10);
  }
  const recoveredInMs = readAt !== undefined && readyAt !== undefined ? Math.max(readAt, readyAt) - back : undefined;
  await sleep(100); // the clients keep reading a little after recovery
  const all = await load.stop();
  const openPeriods = circuitOpenPeriods(gateway.logs, performance.now());

  const writeAfter = await gateway.gql(PUT_TICKER, { ticker: AFTER }, WRITER_TOKEN);
  const readAfterWrite = await gateway.gql(`{ after: ticker(symbol: "${AFTER.symbol}") { ${FIELDS} } }`);
  const direct = outage.direct();
  return {
    healthy,
    all,
    outage: within(all, began, ended),
    openPeriods,
    whileOpen: all.filter((s) => openPeriods.some(({ from, to }) => s.startedAt >= from && s.endedAt <= to)),
    duringOutage: { ready, health, write: { status: written.status, ms: written.ms, ...written.body } },
    backInMs: back - ended,
    recoveredInMs,
    readyAfter: (await gateway.get('/ready')).status,
    writeAfter,
    readAfterWrite,
    lostInRedis: await direct.get(tickerKey(LOST.symbol)),
    afterInRedis: await direct.get(tickerKey(AFTER.symbol)),
    logs: gateway.logs.slice(logMark),
  };
}

/**
 * When the circuit was open, in `performance.now()` time, from the gateway's log lines "cache
 * circuit opened" and "cache circuit closed" (it logs each change of state, synchronously with it).
 * A log's `time` is whole milliseconds of the wall clock: each period is narrowed by 1 ms at both
 * ends, so that a request inside it certainly met the open circuit.
 */
function circuitOpenPeriods(logs: ReadonlyArray<Record<string, any>>, now: number): Array<{ from: number; to: number }> {
  const wallClockAt = Date.now() - now;
  const periods: Array<{ from: number; to: number }> = [];
  let openedAt: number | undefined;
  for (const entry of logs) {
    if (/^cache circuit opened/.test(entry.msg) && openedAt === undefined) openedAt = entry.time - wallClockAt + 1;
    if (/^cache circuit closed/.test(entry.msg) && openedAt !== undefined) {
      periods.push({ from: openedAt, to: entry.time - wallClockAt - 1 });
      openedAt = undefined;
    }
  }
  if (openedAt !== undefined) periods.push({ from: openedAt, to: now });
  return periods;
}

/** At most how many calls the open circuit let through to try Redis during `periods`: one per CIRCUIT_OPEN_MS of each. */
export function trialsAtMost(periods: ReadonlyArray<{ from: number; to: number }>): number {
  return periods.reduce((sum, { from, to }) => sum + Math.ceil((to - from) / CIRCUIT_OPEN_MS) + 1, 0);
}

/**
 * How a read met the circuit, from what the README says of each failure: one the open circuit
 * refused without touching Redis says "circuit open"; one with any other failure ("did not
 * answer", "not connected"), a value from Redis (`stale: false`) or no answer at all was let
 * through. During these outages COLD is never in the gateway's tier, so each read says one or the
 * other; only where Redis still answers can a read come whole from the tier, with no error, and
 * that does not say whether Redis was tried first.
 */
export function metTheCircuit(sample: Sample): 'refused' | 'let through' | 'cannot tell' {
  const { data, errors = [] } = sample.body ?? {};
  if (errors.some((error) => error.message === CIRCUIT_OPEN_MESSAGE)) return 'refused';
  if (sample.status !== 200 || errors.length > 0 || Object.values(data ?? {}).some((value) => value?.stale !== true)) return 'let through';
  return 'cannot tell';
}

/** One line per scenario, to quote. */
export function report(name: string, m: Measured) {
  const f = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(1)} ms` : 'n/a');
  const healthy = latencies(m.healthy);
  const outage = latencies(m.outage);
  const refused = latencies(m.whileOpen.filter((s) => metTheCircuit(s) === 'refused'));
  const trials = m.whileOpen.filter((s) => metTheCircuit(s) === 'let through').length;
  const openMs = m.openPeriods.reduce((sum, { from, to }) => sum + to - from, 0);
  const stale = m.outage.filter((s) => s.body?.data?.warm?.stale === true).length;
  const ready = countBy(m.duringOutage.ready, (answer) => String(answer.status));
  console.log(
    `[faults] ${name}: ${CLIENTS} clients | healthy p50 ${f(healthy.p50)} p99 ${f(healthy.p99)} (n=${healthy.count})` +
      ` | outage p50 ${f(outage.p50)} p99 ${f(outage.p99)} max ${f(outage.max)} (n=${outage.count})` +
      ` | circuit open ${f(openMs)} in ${m.openPeriods.length} period(s): refused at once p50 ${f(refused.p50)} p99 ${f(refused.p99)} (n=${refused.count}), let through to try Redis ${trials} (at most ${trialsAtMost(m.openPeriods)})` +
      ` | served stale ${stale}/${outage.count} | hung ${m.all.filter((s) => s.hung).length} | 5xx ${m.all.filter((s) => s.status >= 500).length}` +
      ` | slowest answer of the run ${f(latencies(m.all).max)}` +
      ` | /ready during the outage ${Object.entries(ready).map(([status, times]) => `${status} x${times}`).join(', ')}` +
      ` | write during the outage ${m.duringOutage.write.errors ? 'refused' : 'stored'} in ${f(m.duringOutage.write.ms)}` +
      ` | recovered ${m.recoveredInMs === undefined ? `not within ${RECOVERY_WATCH_MS} ms` : `in ${f(m.recoveredInMs)}`} of Redis being back (back in ${f(m.backInMs)})`,
  );
}

export const redisUnavailable = (logs: Array<Record<string, any>>) => logs.filter((entry) => /Redis unavailable/.test(entry.msg));
export const connectedToRedis = (logs: Array<Record<string, any>>) => logs.filter((entry) => /connected to Redis/.test(entry.msg));
