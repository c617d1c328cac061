import { CacheUnavailableError } from '../../src/cache/cache-unavailable.js';
import type { CacheStore } from '../../src/cache/store.js';

/** Wrappers of a real store that let a test see or steer what reaches it. */

export interface RecordedCall {
  method: keyof CacheStore;
  args: unknown[];
}

/**
 * Each method of `inner` (every one of the contract: `setMany`, `appendLog` and `indexed` as much
 * as `getMany`), wrapped by `wrap`.
 */
function wrapEach(inner: CacheStore, wrap: (method: keyof CacheStore, call: (...args: unknown[]) => Promise<unknown>) => (...args: unknown[]) => Promise<unknown>) {
  const methods = Object.entries(inner) as Array<[keyof CacheStore, (...args: unknown[]) => Promise<unknown>]>;
  // `onChange` registers a listener, once, when a gateway is made: no call to Redis to see or steer.
  return Object.fromEntries(methods.map(([method, call]) => [method, method === 'onChange' ? call : wrap(method, call)])) as unknown as CacheStore;
}

/** Records every call, to prove how reads were batched. */
export function recordingStore(inner: CacheStore): CacheStore & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const store = wrapEach(inner, (method, call) => (...args) => {
    calls.push({ method, args });
    return call(...args);
  });
  return Object.assign(store, { calls });
}

/**
 * A store that can be taken down and brought back between two calls exactly: while it is down,
 * every call fails with `CacheUnavailableError`, as the Redis store's calls do when Redis does not
 * answer in time. (Real outages of a real Redis are test/faults.test.ts's business.) `calls`
 * counts the calls that reached it, down or not.
 */
export function interruptible(inner: CacheStore) {
  let down = false;
  const state = { calls: 0 };
  const store = wrapEach(inner, (_method, call) => (...args) => {
    state.calls += 1;
    return down ? Promise.reject(new CacheUnavailableError('Redis did not answer (taken down by the test)')) : call(...args);
  });
  const controls = {
    takeDown: () => void (down = true),
    bringBack: () => void (down = false),
  };
  // Not Object.assign: it would copy the getter's value of the moment, not the getter.
  return Object.defineProperty(Object.assign(store, controls), 'calls', { get: () => state.calls }) as CacheStore &
    typeof controls & { readonly calls: number };
}

/**
 * A store whose reads (`getMany`, `rangeMany`, `indexed`), while held, go to the inner store and
 * come back as usual but reach their caller only once released: a read that Redis answered before
 * an invalidation ran, delivered after it, every time.
 */
export function holdingReads(inner: CacheStore) {
  let gate: Promise<void> | undefined;
  let open = () => {};
  let waiting = 0;
  const held =
    <A extends unknown[], R>(read: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const until = gate;
      const answer = read(...args);
      if (until !== undefined) {
        await answer.catch(() => {}); // its failure, if any, is the caller's, once released
        waiting += 1;
        await until;
        waiting -= 1;
      }
      return answer;
    };
  const store: CacheStore = { ...inner, getMany: held(inner.getMany), rangeMany: held(inner.rangeMany), indexed: held(inner.indexed) };
  return {
    store,
    hold: () => void (gate = new Promise((resolve) => (open = resolve))),
    release() {
      gate = undefined;
      open();
    },
    /** Reads the inner store has answered that wait to be released. */
    waiting: () => waiting,
  };
}
