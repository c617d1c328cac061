import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { KeyLayout } from '../../cache/keys.js';
import type { CacheStore } from '../../cache/store.js';
import { UpstreamError } from '../../sources/source.js';
import { UpstreamUnavailableError } from './upstream-unavailable.js';

export interface SeriesFillsOptions {
  store: CacheStore;
  keys: KeyLayout;
  leaseMs: number;
  logger: Logger;
  /** What is filled, for the log: `bar`, `trades`. */
  what: string;
}

/**
 * The fills of series and logs (bars, trades), each at most once at a time: within this process,
 * a fill of a key already running is shared; across processes, a fill takes the key's lease in
 * Redis, and a process that finds it taken waits for that fill to be announced (bounded by the
 * lease) instead of calling the upstream too. `fetchAndWrite` writes only while the lease it is
 * given holds (a write or an invalidation since dropped it, and wins). An upstream failure
 * resolves to `UpstreamUnavailableError`, any other to its error; success to `undefined`.
 */
export function createSeriesFills({ store, keys, leaseMs, logger, what }: SeriesFillsOptions) {
  const inFlight = new Map<string, Promise<Error | undefined>>();

  async function leased(key: string, fetchAndWrite: (lease: { key: string; token: string }) => Promise<unknown>): Promise<Error | undefined> {
    const lease = { key: keys.lease(key), token: randomUUID() };
    try {
      const [taken] = await store.lease([lease.key], lease.token, leaseMs);
      if (!taken) {
        // Another process is filling it: its fill is announced, or the lease expires.
        await store.awaitFill(key, leaseMs).catch(() => {});
        return undefined;
      }
      await fetchAndWrite(lease);
      return undefined;
    } catch (error) {
      if (error instanceof UpstreamError) {
        logger.debug({ source: error.source, reason: error.message }, `${what} fill failed`);
        return new UpstreamUnavailableError(error);
      }
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  return {
    /** Whether a fill of `key` is running in this process. */
    running: (key: string) => inFlight.has(key),
    /** Fills `key` with `fetchAndWrite`, or joins the fill of it already running here. */
    fill(key: string, fetchAndWrite: (lease: { key: string; token: string }) => Promise<unknown>): Promise<Error | undefined> {
      const running = inFlight.get(key);
      if (running !== undefined) return running;
      const filling = leased(key, fetchAndWrite);
      inFlight.set(key, filling);
      void filling.finally(() => inFlight.delete(key));
      return filling;
    },
  };
}
