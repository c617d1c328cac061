import type { CacheStore } from '../../src/cache/store.js';

export interface RecordedCall {
  method: keyof CacheStore;
  args: unknown[];
}

/** Wraps a store and records every call, to prove how reads were batched. */
export function recordingStore(inner: CacheStore): CacheStore & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const wrapped = { calls } as CacheStore & { calls: RecordedCall[] };
  for (const method of Object.keys(inner) as Array<keyof CacheStore>) {
    (wrapped as any)[method] = (...args: unknown[]) => {
      calls.push({ method, args });
      return (inner[method] as (...a: unknown[]) => unknown)(...args);
    };
  }
  return wrapped;
}
