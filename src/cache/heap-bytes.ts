/** A string's header in V8's heap (map, hash, length), rounded up. */
const STRING_HEADER_BYTES = 16;

/**
 * At most what V8 keeps for `text`: two bytes a character (one when all are Latin-1), plus the
 * header. The bounded caches count this, not `text.length`, so that their bounds are bytes of
 * memory. Counting the worst case keeps it O(1): it is paid on every read the stale tier keeps.
 */
export function heapBytesOf(text: string): number {
  return STRING_HEADER_BYTES + 2 * text.length;
}
