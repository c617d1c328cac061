import type { Redis } from 'ioredis';
import { WRITER_TOKEN } from './gateway.js';
import type { LiveGateway } from './live-gateway.js';
import { latencies, sleep, startLoad, within, type GraphQLBody, type Sample } from './load.js';

// One Redis outage under load, measured as clients of the gateway see it; test/faults.test.ts
// asserts on what this measures. The gateway runs with its default fault settings: read timeout
// 50 ms, circuit retried every 250 ms.

/** The gateway's default read timeout. */
export const READ_TIMEOUT_MS = 50;

export const CLIENTS = 20;
/**
 * Mean pause between a client's requests (drawn from 0-2x): about 300 requests/s in all, enough
 * for percentiles, and not so many that this thread (the gateway's) saturates on 2 cores and the
 * figures measure a queue rather than the gateway.
 */
const PAUSE_MS = 60;
const HEALTHY_MS = 400;
const OUTAGE_MS = 1800;
/**
 * By then the circuit is open and steady: 20 clients make its few failures of 50 ms within ~60 ms,
 * but the requests that waited them out come back together, and the clients they belong to take
 * a few hundred milliseconds to spread out again.
 */
const CIRCUIT_SETTLE_MS = 500;
/** The circuit lets one call through every CIRCUIT_OPEN_MS (default 250 ms) to try Redis again. */
const CIRCUIT_OPEN_MS = 250;
/** The open-circuit phase is measured in windows this long (see `openCircuitP99s`). */
const CIRCUIT_WINDOW_MS = 400;
/** How long recovery is watched for before it counts as not recovered. */
const RECOVERY_WATCH_MS = 3000;

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
  /** Every request of the load sent from the start of the outage to the end of the run. */
  all: Sample[];
  /** Sent after the outage began, answered before it ended. */
  outage: Sample[];
  /** The part of `outage` sent once the circuit had time to open. */
  circuitOpen: Sample[];
  /** p99 of each window of `circuitOpen`, trial calls left out (see `openCircuitP99s`). */
  circuitOpenP99s: number[];
  duringOutage: { ready: { status: number; body: unknown }; health: { status: number }; write: GraphQLBody & { status: number; ms: number } };
  /** From Redis coming back to fresh reads and /ready 200; undefined if not within RECOVERY_WATCH_MS. */
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
 * for OUTAGE_MS, a write and the probes are tried in the middle of it, and the outage ends while
 * the clients keep reading. `warmFirst: false` skips the healthy part (there is no Redis yet).
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
    const load = startLoad({ url: gateway.url, query: READ_WARM, clients: CLIENTS, pauseMs: PAUSE_MS, maxDurationMs: HEALTHY_MS });
    await sleep(HEALTHY_MS);
    healthy = await load.stop();
  }

  const logMark = logsFromStart ? 0 : gateway.logs.length;
  await outage.begin();
  const began = performance.now();
  const load = startLoad({
    url: gateway.url,
    query: READ,
    clients: CLIENTS,
    pauseMs: PAUSE_MS,
    maxDurationMs: OUTAGE_MS + RECOVERY_WATCH_MS + 1000,
  });
  await sleep(OUTAGE_MS / 2);
  const [ready, health, write] = await Promise.all([
    gateway.get('/ready'),
    gateway.get('/health'),
    gateway.gql(PUT_TICKER, { ticker: LOST }, WRITER_TOKEN),
  ]);
  await sleep(began + OUTAGE_MS - performance.now());

  const ended = performance.now();
  await outage.end();
  let readAt: number | undefined;
  let readyAt: number | undefined;
  while ((readAt === undefined || readyAt === undefined) && performance.now() - ended < RECOVERY_WATCH_MS) {
    const [read, readyNow] = await Promise.all([
      readAt === undefined ? gateway.gql(READ) : undefined,
      readyAt === undefined ? gateway.get('/ready') : undefined,
    ]);
    if (read && shape({ status: read.status, hung: false, body: read }) === FRESH) readAt = performance.now();
    if (readyNow?.status === 200) readyAt = performance.now();
    await sleep(10);
  }
  const recoveredInMs = readAt !== undefined && readyAt !== undefined ? Math.max(readAt, readyAt) - ended : undefined;
  await sleep(100); // the clients keep reading a little after recovery
  const all = await load.stop();

  const writeAfter = await gateway.gql(PUT_TICKER, { ticker: AFTER }, WRITER_TOKEN);
  const readAfterWrite = await gateway.gql(`{ after: ticker(symbol: "${AFTER.symbol}") { ${FIELDS} } }`);
  const direct = outage.direct();
  return {
    healthy,
    all,
    outage: within(all, began, ended),
    circuitOpen: within(all, began + CIRCUIT_SETTLE_MS, ended),
    circuitOpenP99s: openCircuitP99s(all, began + CIRCUIT_SETTLE_MS, ended),
    duringOutage: { ready, health, write },
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
 * The p99 of each window of an open-circuit phase, leaving out the circuit's trial calls.
 *
 * Every CIRCUIT_OPEN_MS the circuit lets one call try Redis (the contract's "trying again"), and
 * that request waits out the read timeout: by design, and not what "fails fast once open" is about.
 * Whichever requests those were, a window holds at most one per CIRCUIT_OPEN_MS of it (plus one),
 * so that many of its slowest are set aside; a gateway that made more requests wait still fails.
 *
 * Windows, because this machine has 2 cores shared by the gateway, the test runner, the clients,
 * redis-server and whatever else runs: a stall of the machine delays every request in flight and
 * says nothing about the gateway. A gateway that fails fast shows it in a window without one; a
 * gateway that waits for Redis has no fast window at all.
 */
function openCircuitP99s(samples: readonly Sample[], from: number, to: number): number[] {
  const p99s: number[] = [];
  for (let start = from; start + CIRCUIT_WINDOW_MS <= to + 1; start += CIRCUIT_WINDOW_MS) {
    const window = within(samples, start, start + CIRCUIT_WINDOW_MS);
    const trials = Math.ceil(CIRCUIT_WINDOW_MS / CIRCUIT_OPEN_MS) + 1;
    const fast = [...window].sort((a, b) => a.ms - b.ms).slice(0, Math.max(0, window.length - trials));
    p99s.push(latencies(fast).p99);
  }
  return p99s;
}

/** One line per scenario, to quote. */
export function report(name: string, m: Measured) {
  const f = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(1)} ms` : 'n/a');
  const healthy = latencies(m.healthy);
  const outage = latencies(m.outage);
  const open = latencies(m.circuitOpen);
  const stale = m.outage.filter((s) => s.body?.data?.warm?.stale === true).length;
  const hung = m.all.filter((s) => s.hung).length;
  const fiveXx = m.all.filter((s) => s.status >= 500).length;
  console.log(
    `[faults] ${name}: ${CLIENTS} clients | healthy p50 ${f(healthy.p50)} p99 ${f(healthy.p99)} (n=${healthy.count})` +
      ` | outage p50 ${f(outage.p50)} p99 ${f(outage.p99)} max ${f(outage.max)} (n=${outage.count})` +
      ` | circuit open p50 ${f(open.p50)} p99 ${f(open.p99)} (n=${open.count}; without trial calls, p99 by ${CIRCUIT_WINDOW_MS} ms window: ${m.circuitOpenP99s.map((p) => p.toFixed(1)).join(' ')} ms)` +
      ` | served stale ${stale}/${outage.count} | hung ${hung} | 5xx ${fiveXx}` +
      ` | recovered in ${m.recoveredInMs === undefined ? `> ${RECOVERY_WATCH_MS} ms` : f(m.recoveredInMs)}`,
  );
}

export const redisUnavailable = (logs: Array<Record<string, any>>) => logs.filter((entry) => /Redis unavailable/.test(entry.msg));
export const connectedToRedis = (logs: Array<Record<string, any>>) => logs.filter((entry) => /connected to Redis/.test(entry.msg));
