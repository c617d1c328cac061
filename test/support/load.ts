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
  body?: GraphQLBody;
}

export interface LoadOptions {
  url: string;
  query: string;
  variables?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** @default 20 */
  clients?: number;
  /** Mean pause between a client's requests; each is drawn from 0 to twice this. @default 5 */
  pauseMs?: number;
  /** @default 2000 */
  hangMs?: number;
  /** A bound on the run even if `stop` is never called. */
  maxDurationMs: number;
}

export interface Load {
  /** Stops sending, waits for the requests in flight (each bounded by `hangMs`), returns every sample. */
  stop(): Promise<Sample[]>;
}

// Plain JavaScript: a worker started from a string is not compiled by the test runner.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, body, headers, clients, pauseMs, hangMs, maxDurationMs } = workerData;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const samples = [];
const deadline = now() + maxDurationMs;
let stopped = false;
const running = () => !stopped && now() < deadline;
const pause = () => sleep(Math.random() * 2 * pauseMs);
async function post() {
  const startedAt = now();
  let status = 0, hung = false, parsed;
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(hangMs) });
    status = response.status;
    parsed = await response.json();
  } catch (error) {
    hung = error.name === 'TimeoutError';
  }
  const endedAt = now();
  return { startedAt, endedAt, ms: endedAt - startedAt, status, hung, body: parsed };
}
async function client() {
  await pause();
  while (running()) {
    samples.push(await post());
    if (running()) await pause();
  }
}
const done = Promise.all(Array.from({ length: clients }, client));
parentPort.on('message', () => { stopped = true; });
done.then(() => parentPort.postMessage(samples));
`;

export function startLoad({ url, query, variables, headers = {}, clients = 20, pauseMs = 5, hangMs = 2000, maxDurationMs }: LoadOptions): Load {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { url, body: JSON.stringify({ query, variables }), headers, clients, pauseMs, hangMs, maxDurationMs },
  });
  const finished = new Promise<Sample[]>((resolve, reject) => {
    worker.once('message', (samples: Sample[]) => {
      // Back to this thread's clock.
      const origin = performance.timeOrigin;
      resolve(samples.map((s) => ({ ...s, startedAt: s.startedAt - origin, endedAt: s.endedAt - origin })));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the load worker exited (code ${code}) before reporting`)));
  });
  finished.catch(() => {}); // reported by `stop`; a run abandoned by a failing test must not crash the file
  worker.unref();
  return {
    async stop() {
      worker.postMessage('stop');
      try {
        return await finished;
      } finally {
        await worker.terminate();
      }
    },
  };
}

/** One POST of a GraphQL operation, recorded as a sample; never throws, never outlives `hangMs`. */
export async function post(url: string, body: string, headers: Record<string, string>, hangMs = 2000): Promise<Sample> {
  const startedAt = performance.now();
  let status = 0;
  let hung = false;
  let parsed: GraphQLBody | undefined;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(hangMs),
    });
    status = response.status;
    parsed = (await response.json()) as GraphQLBody;
  } catch (error) {
    hung = (error as Error).name === 'TimeoutError';
  }
  const endedAt = performance.now();
  return { startedAt, endedAt, ms: endedAt - startedAt, status, hung, body: parsed };
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
