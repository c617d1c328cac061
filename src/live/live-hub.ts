import type { Logger } from 'pino';
import { CacheUnavailableError } from '../cache/cache-unavailable.js';
import type { CacheStore, Change, SeriesRange } from '../cache/store.js';
import { DEFAULTS } from '../defaults.js';

/** Keys read again in one store call at most. */
const READ_CHUNK = 1000;

/** One key a subscription follows, and what to do with the key's value after each change of it. */
export interface Watch {
  key: string;
  /**
   * A series or log key is read as this range, newest first (the same range for every watch of a
   * key); without one, the key is a point value, read with the others in one `MGET`.
   */
  range?: SeriesRange;
  /**
   * Called with what the key holds after a change of it (`null`: nothing, as after an
   * invalidation; for a range, its members). `resend`: changes may have been missed (the store's
   * subscription was lost), so what is current must be sent even if it was sent before.
   */
  deliver(value: string | string[] | null, resend: boolean): void;
}

export interface LiveHubOptions {
  store: CacheStore;
  logger: Logger;
  /**
   * How long after a failed read (Redis unavailable) the keys it was for are read again.
   * @default 1000
   */
  retryMs?: number;
}

/**
 * Where this process's live subscriptions hear of changes. It listens to every change the store
 * announces, this process's own writes and fills as much as any other instance's (on Redis they
 * all come through the changes channel, so an instance pushes what was written through any
 * other), and reads again each key that subscriptions follow once it changed: the keys changed
 * since the last read are read together in the next turn of the event loop, points in one `MGET`
 * and series in one pipeline, whatever the number of subscriptions following them, and every
 * watch of a key is handed the one value read.
 *
 * A change is a key name, not a value, so reading it again always gives the newest value: a key
 * written a thousand times between two reads is read once. Reads never overlap, so no watch is
 * handed an older value after a newer one. A read Redis could not answer is made again later, for
 * every key it was for. After the store says changes may have been missed, every key is read
 * again and resent.
 */
export function createLiveHub({ store, logger, retryMs = DEFAULTS.live.retryMs }: LiveHubOptions) {
  const watched = new Map<string, { range?: SeriesRange; watches: Set<Watch> }>();
  // Keys changed since the last read, each with whether it must be resent.
  let changed = new Map<string, boolean>();
  let reading = false;
  let scheduled = false;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;
  // Changes of followed keys: each read again, or merged into a read already due (a client then
  // sees the newest value only, as for a slow client; under load, most are merged).
  const changes = { read: 0, coalesced: 0 };

  const mark = (key: string, resend: boolean) => {
    const due = changed.get(key);
    if (due !== undefined) changes.coalesced += 1;
    changed.set(key, resend || due === true);
    schedule();
  };
  const schedule = () => {
    if (scheduled || reading || retry !== undefined || closed) return;
    scheduled = true;
    setImmediate(() => void read());
  };

  store.onChange(
    (change: Change) => {
      if ('key' in change) {
        if (watched.has(change.key)) mark(change.key, false);
        return;
      }
      // '' means changes may have been missed: every key, resent.
      for (const key of watched.keys()) if (key.startsWith(change.prefix)) mark(key, change.prefix === '');
    },
    { own: true },
  );

  async function read() {
    scheduled = false;
    if (closed || changed.size === 0) return;
    reading = true;
    const batch = changed;
    changed = new Map();
    const points: string[] = [];
    const ranges: string[] = [];
    for (const key of batch.keys()) {
      const entry = watched.get(key);
      if (entry !== undefined) (entry.range === undefined ? points : ranges).push(key);
    }
    try {
      // In chunks, so that no one command or reply grows with the number of keys followed.
      const [values, members] = await Promise.all([
        inChunks(points, (keys) => store.getMany(keys)),
        inChunks(ranges, (keys) => store.rangeMany(keys.map((key) => watched.get(key)!.range!))),
      ]);
      changes.read += points.length + ranges.length;
      points.forEach((key, i) => deliver(key, values[i]!, batch.get(key)!));
      ranges.forEach((key, i) => deliver(key, members[i] ?? null, batch.get(key)!));
    } catch (error) {
      // Read again later, with whatever changed meanwhile.
      for (const [key, resend] of batch) {
        if (!watched.has(key)) continue;
        if (changed.has(key)) changes.coalesced += 1;
        changed.set(key, resend || changed.get(key) === true);
      }
      if (!(error instanceof CacheUnavailableError)) logger.error({ err: error }, 'live updates: could not read changed keys');
      if (!closed) {
        retry = setTimeout(() => {
          retry = undefined;
          schedule();
        }, retryMs).unref();
      }
    } finally {
      reading = false;
      if (changed.size > 0) schedule();
    }
  }

  function deliver(key: string, value: string | string[] | null, resend: boolean) {
    for (const watch of watched.get(key)?.watches ?? []) {
      try {
        watch.deliver(value, resend);
      } catch (error) {
        logger.error({ err: error, key }, 'live updates: a subscription failed to take a change');
      }
    }
  }

  return {
    /** Follows each of `watches` until the returned function is called. */
    watch(watches: readonly Watch[]): () => void {
      for (const watch of watches) {
        const entry = watched.get(watch.key);
        if (entry === undefined) watched.set(watch.key, { range: watch.range, watches: new Set([watch]) });
        else entry.watches.add(watch);
      }
      return () => {
        for (const watch of watches) {
          const entry = watched.get(watch.key);
          if (entry === undefined) continue;
          entry.watches.delete(watch);
          if (entry.watches.size === 0) watched.delete(watch.key);
        }
      };
    },
    /**
     * Reads `keys` again in the next turn, as if they had changed: for a subscription whose first
     * read failed (it is then made again until Redis answers).
     */
    reread(keys: readonly string[]) {
      for (const key of keys) if (watched.has(key)) mark(key, false);
    },
    /** Keys followed now. */
    get keys() {
      return watched.size;
    },
    /** Changes of followed keys since start: read again, or merged into a read already due. */
    changes: () => changes,
    close() {
      closed = true;
      clearTimeout(retry);
    },
  };
}

export type LiveHub = ReturnType<typeof createLiveHub>;

/** `read` of `keys`, READ_CHUNK at a time, all sent at once; the answers in order. */
async function inChunks<T>(keys: readonly string[], read: (keys: readonly string[]) => Promise<T[]>): Promise<T[]> {
  const chunks: Array<Promise<T[]>> = [];
  for (let i = 0; i < keys.length; i += READ_CHUNK) chunks.push(read(keys.slice(i, i + READ_CHUNK)));
  return (await Promise.all(chunks)).flat();
}
