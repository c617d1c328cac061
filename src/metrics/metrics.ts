import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CircuitState } from '../cache/circuit-breaker-store.js';
import { CACHE_KINDS, type CacheKind } from '../cache/market-types.js';
import { LIVE_FIELDS, type LiveStats } from '../live/live-updates.js';

/** What a cache read answered for one key (or range): see src/read/loaders.ts. */
export const READ_RESULTS = ['hit', 'miss', 'stale', 'negative', 'error'] as const;
export type ReadResult = (typeof READ_RESULTS)[number];

export type OperationType = 'query' | 'mutation' | 'subscription' | 'none';
export type Outcome = 'ok' | 'error';
export type UpstreamSource = 'exchange' | 'fear-greed' | 'llm';
/** `rejected`: refused by the guard's queue or back-off, without calling the upstream. */
export type UpstreamOutcome = 'ok' | 'error' | 'timeout' | 'rejected';
const CIRCUIT_STATES: readonly CircuitState[] = ['closed', 'open', 'half-open'];

/**
 * One gateway's metrics, in Prometheus's text format. Every label value comes from a fixed set
 * (the types above, the store's method names): never a symbol, a key or anything a client sends,
 * so the number of series is bounded whatever the traffic.
 *
 * Node's default metrics (CPU, memory, event loop, GC) describe the process, not a gateway: they
 * are collected once per process and listed by every gateway's registry, since each collection
 * starts an event-loop monitor and a GC observer that nothing can stop.
 */
export function createMetrics() {
  const register = new Registry();
  const registers = [register];

  // Counted by hand and handed to prom-client at scrape time: a read costs a Map lookup and an
  // increment, where prom-client's own `inc` builds a hash of the labels every time.
  const reads = new Map<CacheKind, Record<ReadResult, number>>(
    CACHE_KINDS.map((kind) => [kind, { hit: 0, miss: 0, stale: 0, negative: 0, error: 0 }]),
  );
  new Counter({
    name: 'mdc_cache_reads_total',
    help: 'Keys (and bar or trade ranges) read by requests, by kind and by what the cache answered.',
    labelNames: ['kind', 'result'] as const,
    registers,
    collect() {
      this.reset();
      for (const [kind, counts] of reads) for (const result of READ_RESULTS) this.inc({ kind, result }, counts[result]);
    },
  });

  // By hand as reads are: counted on every request to the endpoint.
  const fastLane = { answered: 0, handed_over: 0 };
  new Counter({
    name: 'mdc_fast_lane_requests_total',
    help: 'Requests to /graphql by what the fast lane did: answered them itself, or handed them to yoga (everything but a known document served by a read plan).',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      this.reset();
      for (const [outcome, count] of Object.entries(fastLane)) this.inc({ outcome }, count);
    },
  });

  const requests = new Counter({
    name: 'mdc_graphql_requests_total',
    help: 'GraphQL requests by operation type (none: refused before one was chosen) and outcome (error: the result has errors).',
    labelNames: ['operation', 'outcome'] as const,
    registers,
  });
  const requestSeconds = new Histogram({
    name: 'mdc_graphql_request_duration_seconds',
    help: 'Time from a GraphQL request arriving to its result, by operation type and outcome.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const upstreamCalls = new Counter({
    name: 'mdc_upstream_calls_total',
    help: 'Calls to the upstream sources by source and outcome (rejected: refused by the queue or the back-off without calling).',
    labelNames: ['source', 'outcome'] as const,
    registers,
  });
  const upstreamSeconds = new Histogram({
    name: 'mdc_upstream_call_duration_seconds',
    help: 'Duration of upstream calls (for rejected ones, the time spent waiting for a slot).',
    labelNames: ['source', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const storeSeconds = new Histogram({
    name: 'mdc_redis_command_duration_seconds',
    help: 'Duration of each call of the Redis store (one round trip: a command, a pipeline or a script), by store operation.',
    labelNames: ['operation'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers,
  });
  const storeErrors = new Counter({
    name: 'mdc_redis_command_errors_total',
    help: 'Calls of the Redis store that failed (timed out, not connected, or an error reply), by store operation.',
    labelNames: ['operation'] as const,
    registers,
  });

  let circuitState: (() => CircuitState) | undefined;
  new Gauge({
    name: 'mdc_cache_circuit_state',
    help: "The Redis circuit breaker's state: 1 for the current one (absent on the in-memory store).",
    labelNames: ['state'] as const,
    registers,
    collect() {
      if (circuitState === undefined) return;
      const now = circuitState();
      for (const state of CIRCUIT_STATES) this.set({ state }, state === now ? 1 : 0);
    },
  });
  let staleTier: (() => { bytes: number; entries: number }) | undefined;
  new Gauge({
    name: 'mdc_stale_tier_bytes',
    help: 'Bytes the in-process stale tier holds, as it counts them.',
    registers,
    collect() {
      if (staleTier !== undefined) this.set(staleTier().bytes);
    },
  });
  new Gauge({
    name: 'mdc_stale_tier_entries',
    help: 'Values (and bar or trade ranges) the in-process stale tier holds.',
    registers,
    collect() {
      if (staleTier !== undefined) this.set(staleTier().entries);
    },
  });

  let live: (() => LiveStats) | undefined;
  new Gauge({
    name: 'mdc_live_subscribers',
    help: 'Subscriptions this gateway serves now (over SSE and WebSocket), by subscription field.',
    labelNames: ['field'] as const,
    registers,
    collect() {
      if (live === undefined) return;
      const { subscribers } = live();
      for (const field of LIVE_FIELDS) this.set({ field }, subscribers[field]);
    },
  });
  new Counter({
    name: 'mdc_live_messages_total',
    help: 'Live update messages by subscription field and outcome: sent to the transport, or dropped (a newer value replaced it before a slow client took it, or the subscription ended first).',
    labelNames: ['field', 'outcome'] as const,
    registers,
    collect() {
      if (live === undefined) return;
      this.reset();
      const { sent, dropped } = live();
      for (const field of LIVE_FIELDS) {
        this.inc({ field, outcome: 'sent' }, sent[field]);
        this.inc({ field, outcome: 'dropped' }, dropped[field]);
      }
    },
  });

  new Counter({
    name: 'mdc_live_changes_total',
    help: 'Changes of keys live subscriptions follow, by outcome: read again and sent to each subscription (read), or merged into a read already due, so that subscribers see only the newer value (coalesced: writes faster than this process reads them).',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      if (live === undefined) return;
      this.reset();
      const { read, coalesced } = live().changes;
      this.inc({ outcome: 'read' }, read);
      this.inc({ outcome: 'coalesced' }, coalesced);
    },
  });

  const exposed = Registry.merge([register, processMetrics()]);
  return {
    contentType: exposed.contentType,
    /** Every metric, in Prometheus's text format. */
    exposition: () => exposed.metrics(),
    read(kind: CacheKind, result: ReadResult) {
      reads.get(kind)![result] += 1;
    },
    /** Reads of `kind` since start, and how many were hits. */
    readsOf(kind: CacheKind): { reads: number; hits: number } {
      const counts = reads.get(kind)!;
      return { reads: READ_RESULTS.reduce((n, result) => n + counts[result], 0), hits: counts.hit };
    },
    fastLane(outcome: keyof typeof fastLane) {
      fastLane[outcome] += 1;
    },
    /** Requests the fast lane answered and handed over since start. */
    fastLaneCounts: () => ({ ...fastLane }),
    request(operation: OperationType, outcome: Outcome, seconds: number) {
      requests.inc({ operation, outcome });
      requestSeconds.observe({ operation, outcome }, seconds);
    },
    upstream(source: UpstreamSource, outcome: UpstreamOutcome, seconds: number) {
      upstreamCalls.inc({ source, outcome });
      upstreamSeconds.observe({ source, outcome }, seconds);
    },
    storeCall(operation: string, seconds: number, failed: boolean) {
      storeSeconds.observe({ operation }, seconds);
      if (failed) storeErrors.inc({ operation });
    },
    /** Reports the circuit breaker's state, read at each scrape. */
    watchCircuit(state: () => CircuitState) {
      circuitState = state;
    },
    /** Reports live updates' subscribers and messages, read at each scrape. */
    watchLive(stats: () => LiveStats) {
      live = stats;
    },
    /** Reports the stale tier's size, read at each scrape. */
    watchStaleTier(stats: () => { bytes: number; entries: number }) {
      staleTier = stats;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

let processRegistry: Registry | undefined;

/** Node's default metrics, collected once per process (see `createMetrics`). */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}
