import { Worker } from 'node:worker_threads';

/**
 * A small load driver: `clients` workers, each posting the same GraphQL operation in a loop (with
 * a random pause between its requests, so that the clients do not move in lockstep and the
 * figures measure the gateway rather than bursts queueing), until `stop` or `maxDurationMs`.
 * Every request is recorded; one with no complete answer within `hangMs` is aborted and recorded
 * as hung, so a hang is detected, never waited for.
 *
 * The clients run on a worker thread: the gateway under test shares this thread and its heap, and
 * the clients' own parsing and garbage would otherwise show up in the gateway's latency.
 */

export interface GraphQLBody {
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string } }>;
}

export interface Sample {
  /** `performance.now()` (of this thread) when the request was sent and when its answer was complete. */
  startedAt: number;
  endedAt: number;
  ms: number;
  /** HTTP status; 0 when there was no answer (hung, or the connection failed). */
  status: number;
  hung: boolean;
  /** Why there was no answer, when the request failed rather than hung (e.g. `ECONNRESET`). */
  failure?: string;
  /** Length of the response body, in characters. */
  bytes: number;
  /** `extensions.code` (or else the message) of each error in the body. */
  codes: string[];
  /** Whether any value in the body is marked `"stale": true`: served from the stale tier because a read failed. */
  stale: boolean;
  /** The parsed body, when it is under 64 KiB (larger ones are not copied back from the worker). */
  body?: GraphQLBody;
}

export interface LoadOptions {
  url: string;
  query: string;
  variables?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** @default 20 */
  clients?: number;
  /** Mean pause before each of a client's requests; each is drawn from 0 to twice this. @default 5 */
  pauseMs?: number;
  /** @default 2000 */
  hangMs?: number;
  /** Requests per client, at most. @default unbounded (until `stop` or `maxDurationMs`) */
  rounds?: number;
  /** A bound on the run even if `stop` is never called. */
  maxDurationMs: number;
}

export interface Load {
  /** Settles once every client has sent its `rounds` (or time ran out), with every sample. */
  done: Promise<Sample[]>;
  /** Stops sending, waits for the requests in flight (each bounded by `hangMs`), returns every sample. */
  stop(): Promise<Sample[]>;
}

// Plain JavaScript: a worker started from a string is not compiled by the test runner.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, body, headers, clients, pauseMs, hangMs, rounds, maxDurationMs } = workerData;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const samples = [];
const deadline = now() + maxDurationMs;
let stopped = false;
const running = () => !stopped && now() < deadline;
async function post() {
  const startedAt = now();
  let status = 0, hung = false, failure, bytes = 0, codes = [], stale = false, parsed;
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(hangMs) });
    status = response.status;
    const text = await response.text();
    bytes = text.length;
    stale = text.includes('"stale":true');
    try {
      const json = JSON.parse(text);
      codes = (json.errors ?? []).map((error) => (error.extensions && error.extensions.code) || error.message);
      if (bytes < 65536) parsed = json;
    } catch {
      codes = ['(not JSON)'];
    }
  } catch (error) {
    hung = error.name === 'TimeoutError';
    if (!hung) failure = (error.cause && (error.cause.code || error.cause.message)) || error.message;
  }
  const endedAt = now();
  return { startedAt, endedAt, ms: endedAt - startedAt, status, hung, failure, bytes, codes, stale, body: parsed };
}
async function client() {
  for (let sent = 0; sent < rounds && running(); sent++) {
    if (pauseMs > 0) await sleep(Math.random() * 2 * pauseMs);
    if (running()) samples.push(await post());
  }
}
const done = Promise.all(Array.from({ length: clients }, client));
parentPort.on('message', () => { stopped = true; });
done.then(() => parentPort.postMessage(samples));
`;

export function startLoad({
  url,
  query,
  variables,
  headers = {},
  clients = 20,
  pauseMs = 5,
  hangMs = 2000,
  rounds = Number.MAX_SAFE_INTEGER,
  maxDurationMs,
}: LoadOptions): Load {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { url, body: JSON.stringify({ query, variables }), headers, clients, pauseMs, hangMs, rounds, maxDurationMs },
  });
  const done = new Promise<Sample[]>((resolve, reject) => {
    worker.once('message', (samples: Sample[]) => {
      // Back to this thread's clock.
      const origin = performance.timeOrigin;
      resolve(samples.map((s) => ({ ...s, startedAt: s.startedAt - origin, endedAt: s.endedAt - origin })));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the load worker exited (code ${code}) before reporting`)));
  }).finally(() => void worker.terminate());
  done.catch(() => {}); // reported by `done` or `stop`; a run abandoned by a failing test must not crash the file
  worker.unref();
  return {
    done,
    stop() {
      worker.postMessage('stop');
      return done;
    },
  };
}

/** How many samples there are of each kind, e.g. `{ 'HTTP 200': 40, 'HTTP 200 stale': 2, 'HTTP 200 CACHE_UNAVAILABLE': 3, hung: 1 }`. */
export function kinds(samples: readonly Sample[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of samples) {
    const kind = s.hung
      ? 'hung'
      : s.status === 0
        ? `failed ${s.failure}`
        : [`HTTP ${s.status}`, ...(s.stale ? ['stale'] : []), ...new Set(s.codes)].join(' ');
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/** One POST of a GraphQL operation, recorded as a sample; never throws, never outlives `hangMs`. */
export async function post(url: string, body: string, headers: Record<string, string>, hangMs = 2000): Promise<Sample> {
  const startedAt = performance.now();
  let status = 0;
  let hung = false;
  let failure: string | undefined;
  let text = '';
  let parsed: GraphQLBody | undefined;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(hangMs),
    });
    status = response.status;
    text = await response.text();
    parsed = JSON.parse(text) as GraphQLBody;
  } catch (error) {
    const { name, message, cause } = error as Error & { cause?: { code?: string } };
    hung = name === 'TimeoutError';
    if (!hung && status === 0) failure = cause?.code ?? message;
  }
  const endedAt = performance.now();
  const codes = (parsed?.errors ?? []).map((error) => error.extensions?.code ?? error.message);
  return { startedAt, endedAt, ms: endedAt - startedAt, status, hung, failure, bytes: text.length, codes, stale: text.includes('"stale":true'), body: parsed };
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function latencies(samples: readonly Sample[]): LatencySummary {
  const sorted = samples.map((sample) => sample.ms).sort((a, b) => a - b);
  const at = (p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
  return { count: sorted.length, p50: at(50), p99: at(99), max: sorted.at(-1) ?? NaN };
}

/** Samples sent at or after `from` and complete before `to` (both `performance.now()` values). */
export function within(samples: readonly Sample[], from: number, to = Infinity): Sample[] {
  return samples.filter((sample) => sample.startedAt >= from && sample.endedAt <= to);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
