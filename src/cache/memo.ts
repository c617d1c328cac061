import { LRUCache } from 'lru-cache';
import { heapBytesOf } from './heap-bytes.js';

/** What an entry costs besides its key and what `sizeOf` counts: the LRU's slot and the entry. */
const ENTRY_OVERHEAD_BYTES = 96;

/**
 * A memo bounded by the bytes it holds: its keys, each entry's bookkeeping, and what `sizeOf`
 * counts of each value (in bytes, e.g. with `heapBytesOf`). Once full, the least recently used
 * entries go first, in O(1) each.
 */
export function createMemo<V extends {}>(maxBytes: number, sizeOf: (value: V) => number, { dispose }: { dispose?: (value: V, key: string) => void } = {}) {
  const entries = new LRUCache<string, V>({
    maxSize: maxBytes,
    sizeCalculation: (value, key) => ENTRY_OVERHEAD_BYTES + heapBytesOf(key) + sizeOf(value),
    // Called for every entry that leaves: evicted, replaced or deleted.
    ...(dispose && { dispose }),
  });
  return {
    get: (key: string): V | undefined => entries.get(key),
    set(key: string, value: V) {
      entries.set(key, value);
    },
    delete(key: string) {
      entries.delete(key);
    },
    /** Whether `key` is held (an entry larger than the whole memo never is). */
    has: (key: string): boolean => entries.has(key),
  };
}
