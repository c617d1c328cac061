import type { Logger } from 'pino';
import { CacheUnavailableError } from './cache-unavailable.js';
import type { CacheStore } from './store.js';
import { DEFAULTS } from '../defaults.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /**
   * Consecutive `CacheUnavailableError`s that open the circuit.
   * @default 3
   */
  failureThreshold?: number;
  /**
   * How long the circuit stays open before one call is let through to try Redis again.
   * @default 250
   */
  openMs?: number;
  logger?: Logger;
}

/**
 * Wraps a store so that, once it keeps failing as unavailable, calls fail at once instead of each
 * waiting out its own timeout: a Redis outage then costs requests microseconds, not the read
 * timeout. Every `openMs` a single call is let through; its success closes the circuit, so
 * recovery follows Redis within `openMs` plus one round trip.
 *
 * Errors Redis replies with (a bad command, WRONGTYPE) say nothing about availability and leave
 * the circuit as it is; so does a read that timed out while Redis was still sending (`busy`): a
 * client asking for large replies is load it creates, not an outage, and must not be able to
 * make every other client fail fast.
 */
export function createCircuitBreakerStore(
  inner: CacheStore,
  { failureThreshold = DEFAULTS.redis.circuitFailureThreshold, openMs = DEFAULTS.redis.circuitOpenMs, logger }: CircuitBreakerOptions = {},
): CacheStore & { state(): CircuitState } {
  let state: CircuitState = 'closed';
  let failures = 0;
  let openedAtMs = 0;

  const open = (reason: string) => {
    if (state === 'closed') logger?.warn({ reason }, 'cache circuit opened: failing fast until Redis answers');
    state = 'open';
    openedAtMs = Date.now();
  };
  const close = () => {
    if (state !== 'closed') logger?.info('cache circuit closed: Redis answers again');
    state = 'closed';
    failures = 0;
  };

  async function guarded<T>(call: () => Promise<T>): Promise<T> {
    if (state === 'half-open' || (state === 'open' && Date.now() - openedAtMs < openMs)) {
      throw new CacheUnavailableError('circuit open after repeated Redis failures');
    }
    const trial = state === 'open';
    if (trial) state = 'half-open';
    try {
      const result = await call();
      close();
      return result;
    } catch (error) {
      if (!(error instanceof CacheUnavailableError) || error.busy) {
        // Redis answered (with an error) or is busy sending: alive either way.
        if (trial) close();
      } else if (trial) {
        open(error.message);
      } else if (state === 'closed' && ++failures >= failureThreshold) {
        open(error.message);
      }
      // A call that was already in flight when the circuit opened, failing late, changes nothing:
      // it must neither log the outage again nor push the next trial back.
      throw error;
    }
  }

  return {
    getMany: (keys) => guarded(() => inner.getMany(keys)),
    rangeMany: (ranges) => guarded(() => inner.rangeMany(ranges)),
    set: (key, value, ttlMs, leaseKey, index) => guarded(() => inner.set(key, value, ttlMs, leaseKey, index)),
    setMany: (entries) => guarded(() => inner.setMany(entries)),
    lease: (leaseKeys, token, ttlMs) => guarded(() => inner.lease(leaseKeys, token, ttlMs)),
    fill: (entries, token) => guarded(() => inner.fill(entries, token)),
    awaitFill: (key, ms) => inner.awaitFill(key, ms),
    onChange: (listener, options) => inner.onChange(listener, options),
    upsertSeries: (write) => guarded(() => inner.upsertSeries(write)),
    appendLog: (write) => guarded(() => inner.appendLog(write)),
    delete: (keys, index) => guarded(() => inner.delete(keys, index)),
    indexed: (indexKeys) => guarded(() => inner.indexed(indexKeys)),
    deleteByPrefix: (prefix, counts, indexOf) => guarded(() => inner.deleteByPrefix(prefix, counts, indexOf)),
    discard: (key, raw) => guarded(() => inner.discard(key, raw)),
    close: () => inner.close(),
    state: () => (state === 'open' && Date.now() - openedAtMs >= openMs ? 'half-open' : state),
  };
}
