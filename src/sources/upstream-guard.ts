import type { Logger } from 'pino';
import { DEFAULTS } from '../defaults.js';
import type { UpstreamOutcome } from '../metrics/metrics.js';
import { UpstreamError } from './source.js';

export interface UpstreamGuardOptions {
  /** The source's name, in errors and logs: `exchange`, `fear-greed`, `llm`. */
  source: string;
  timeoutMs?: number;
  maxConcurrency?: number;
  /** How long a call waits for a free slot before it fails fast. */
  queueMs?: number;
  failureThreshold?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  logger?: Logger;
  /**
   * Told of every call: its outcome, and how long the upstream took (for a call refused without
   * calling, how long it waited for a slot).
   */
  observe?: (outcome: UpstreamOutcome, seconds: number) => void;
  /** For tests: the jitter factor in [0, 1) (`Math.random` by default). */
  random?: () => number;
}

/**
 * What stands between anonymous readers and an upstream: every call has a timeout (an
 * `AbortSignal` the source must obey, and a race in case it does not), at most `maxConcurrency`
 * calls are in flight (more wait up to `queueMs` for a slot, as many as can be in flight, then fail
 * fast), and after `failureThreshold` failures in a row the source is left alone for an
 * exponential, jittered back-off, or for as long as its `Retry-After` asked, whichever is longer.
 * So a flood of distinct misses queues briefly and fails fast: it can neither exhaust the
 * exchange's rate limit nor the process. Calls it refuses fail with `UpstreamError` at once.
 */
export function createUpstreamGuard({
  source,
  timeoutMs = DEFAULTS.upstream.timeoutMs,
  maxConcurrency = DEFAULTS.upstream.maxConcurrency,
  queueMs = DEFAULTS.upstream.queueMs,
  failureThreshold = DEFAULTS.upstream.failureThreshold,
  backoffBaseMs = DEFAULTS.upstream.backoffBaseMs,
  backoffMaxMs = DEFAULTS.upstream.backoffMaxMs,
  logger,
  observe = () => {},
  random = Math.random,
}: UpstreamGuardOptions) {
  let inFlight = 0;
  const queue: Array<() => void> = [];
  let failures = 0;
  let leftAloneUntil = 0;

  function release() {
    inFlight -= 1;
    queue.shift()?.();
  }

  /** Resolves once a slot is free (and taken), or rejects after `queueMs` or when the queue is full. */
  function slot(): Promise<void> {
    if (inFlight < maxConcurrency) {
      inFlight += 1;
      return Promise.resolve();
    }
    if (queue.length >= maxConcurrency) return Promise.reject(new UpstreamError(source, `busy: ${inFlight} calls in flight and ${queue.length} waiting`));
    return new Promise((resolve, reject) => {
      const take = () => {
        clearTimeout(timer);
        inFlight += 1;
        resolve();
      };
      const timer = setTimeout(() => {
        queue.splice(queue.indexOf(take), 1);
        reject(new UpstreamError(source, `busy: no free slot within ${queueMs} ms`));
      }, queueMs);
      queue.push(take);
    });
  }

  function failed(error: UpstreamError) {
    failures += 1;
    if (failures < failureThreshold && error.retryAfterMs === undefined) return;
    const exponent = Math.max(0, failures - failureThreshold);
    const backoffMs = Math.min(backoffMaxMs, backoffBaseMs * 2 ** exponent) * (0.8 + 0.4 * random());
    const waitMs = Math.max(backoffMs, Math.min(error.retryAfterMs ?? 0, DEFAULTS.upstream.retryAfterMaxMs));
    if (leftAloneUntil <= Date.now()) logger?.warn({ source, reason: error.message, waitMs: Math.round(waitMs) }, 'upstream failing: left alone for a while');
    leftAloneUntil = Date.now() + waitMs;
  }

  function succeeded() {
    if (failures >= failureThreshold) logger?.info({ source }, 'upstream answers again');
    failures = 0;
    leftAloneUntil = 0;
  }

  return {
    source,
    timeoutMs,
    /** Runs `call` under the guard; its failures, whatever they are, reject as `UpstreamError`. */
    async run<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
      const waitMs = leftAloneUntil - Date.now();
      if (waitMs > 0) {
        observe('rejected', 0);
        throw new UpstreamError(source, `backing off for ${Math.ceil(waitMs)} ms after failures`);
      }
      let started = performance.now();
      try {
        await slot();
      } catch (error) {
        observe('rejected', (performance.now() - started) / 1000);
        throw error;
      }
      started = performance.now();
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // Rejected first, so that the race reports the timeout and not the abort it causes.
          reject(new UpstreamError(source, `no answer within ${timeoutMs} ms`));
          controller.abort();
        }, timeoutMs);
      });
      try {
        const result = await Promise.race([call(controller.signal), timedOut]);
        observe('ok', (performance.now() - started) / 1000);
        succeeded();
        return result;
      } catch (error) {
        observe(controller.signal.aborted ? 'timeout' : 'error', (performance.now() - started) / 1000);
        const upstreamError = error instanceof UpstreamError ? error : new UpstreamError(source, error instanceof Error ? error.message : String(error));
        failed(upstreamError);
        throw upstreamError;
      } finally {
        clearTimeout(timer);
        release();
      }
    },
  };
}

export type UpstreamGuard = ReturnType<typeof createUpstreamGuard>;
