import autocannon from 'autocannon';
import type { Workload } from './workloads.js';

export interface LoadFigures {
  /** Answers with a 2xx status whose body is data without errors. */
  requests: number;
  seconds: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests that failed: a non-2xx status, a socket error, a timeout, or a body with errors or stale values. */
  failures: { non2xx: number; errors: number; timeouts: number; mismatches: number };
}

export interface LoadOptions {
  connections: number;
  /** Run for this long; in-flight requests at the end are cut off (fine for a warm-up). */
  seconds?: number;
  /**
   * Or send exactly this many requests and wait for every answer, so that what the server did
   * (Redis commands) divides exactly by the requests served.
   */
  amount?: number;
}

/** A request that is slower than this counts as a timeout: far beyond any p99 worth reporting. */
const TIMEOUT_SECONDS = 10;

/**
 * Drives `url` with autocannon: `connections` keep-alive connections, each sending the next
 * request as soon as the previous answer is complete, for `seconds` or `amount` requests. A
 * random workload builds a new body for every request.
 *
 * Latencies are taken from each response as autocannon measures it (fractional milliseconds);
 * its own histogram keeps whole milliseconds, too coarse for sub-millisecond answers. A body that
 * is not `{"data":...}`, that carries `errors` or that is marked `stale` is counted as a failure,
 * not as a request served: a server answering fast with errors or from its stale tier (a tripped
 * circuit breaker, say) must not look fast.
 */
export function drive(url: string, workload: Workload, { connections, seconds, amount }: LoadOptions): Promise<LoadFigures> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: workload.body(),
        ...(workload.random && { requests: [{ setupRequest: (request: object) => ({ ...request, body: workload.body() }) }] }),
        connections,
        ...(amount === undefined ? { duration: seconds } : { amount }),
        timeout: TIMEOUT_SECONDS,
        // Redis is up throughout: an answer marked stale means a read timed out under load.
        verifyBody: (body: string) => body.startsWith('{"data":') && !body.includes('"errors":') && !body.includes('"stale":true'),
      },
      (error, result) => {
        if (error) return reject(error);
        latencies.sort((a, b) => a - b);
        const failures = { non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, mismatches: result.mismatches };
        const requests = latencies.length - failures.mismatches;
        resolve({
          requests,
          seconds: result.duration,
          reqPerSec: requests / result.duration,
          p50Ms: percentile(latencies, 0.5),
          p99Ms: percentile(latencies, 0.99),
          failures,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTimeMs);
    });
  });
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}
