/**
 * A memo bounded by the characters it holds, as `sizeOf` counts them: once full, the oldest
 * entries go first. A hit does not reorder, so that it costs one lookup; setting a key again
 * replaces its entry and makes it the newest.
 */
export function createMemo<V>(maxChars: number, sizeOf: (key: string, value: V) => number) {
  const entries = new Map<string, { value: V; size: number }>();
  let chars = 0;
  return {
    get: (key: string): V | undefined => entries.get(key)?.value,
    set(key: string, value: V) {
      const old = entries.get(key);
      if (old !== undefined) {
        entries.delete(key);
        chars -= old.size;
      }
      const size = sizeOf(key, value);
      if (size > maxChars) return;
      entries.set(key, { value, size });
      chars += size;
      for (const [oldKey, entry] of entries) {
        if (chars <= maxChars) break;
        entries.delete(oldKey);
        chars -= entry.size;
      }
    },
  };
}
