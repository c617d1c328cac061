import type { CacheStore } from './store.js';

/** Where each call's duration goes: the store operation's name, seconds, and whether it failed. */
export type StoreCallObserver = (operation: string, seconds: number, failed: boolean) => void;

/**
 * Wraps a store so that each call is timed by operation name, and each failure counted: one call
 * is one round trip to Redis (see store.ts), so this is Redis's latency as the gateway sees it.
 *
 * `awaitFill` and `onChange` are passed through untimed: they wait for other processes' writes,
 * they are not commands.
 */
export function createMeteredStore(inner: CacheStore, observe: StoreCallObserver): CacheStore {
  function metered<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    return call().then(
      (result) => {
        observe(operation, (performance.now() - started) / 1000, false);
        return result;
      },
      (error: unknown) => {
        observe(operation, (performance.now() - started) / 1000, true);
        throw error;
      },
    );
  }

  return {
    getMany: (keys) => metered('getMany', () => inner.getMany(keys)),
    rangeMany: (ranges) => metered('rangeMany', () => inner.rangeMany(ranges)),
    set: (key, value, ttlMs, leaseKey, index) => metered('set', () => inner.set(key, value, ttlMs, leaseKey, index)),
    setMany: (entries) => metered('setMany', () => inner.setMany(entries)),
    lease: (leaseKeys, token, ttlMs) => metered('lease', () => inner.lease(leaseKeys, token, ttlMs)),
    fill: (entries, token) => metered('fill', () => inner.fill(entries, token)),
    awaitFill: (key, ms) => inner.awaitFill(key, ms),
    onChange: (listener, options) => inner.onChange(listener, options),
    upsertSeries: (write) => metered('upsertSeries', () => inner.upsertSeries(write)),
    appendLog: (write) => metered('appendLog', () => inner.appendLog(write)),
    delete: (keys, index) => metered('delete', () => inner.delete(keys, index)),
    indexed: (indexKeys) => metered('indexed', () => inner.indexed(indexKeys)),
    deleteByPrefix: (prefix, counts, indexOf) => metered('deleteByPrefix', () => inner.deleteByPrefix(prefix, counts, indexOf)),
    discard: (key, raw) => metered('discard', () => inner.discard(key, raw)),
    close: () => inner.close(),
  };
}
