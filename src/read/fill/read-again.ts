import type { CacheStore, SeriesRange } from '../../cache/store.js';

/** What a read found of a series or a log: its members, newest first, or a failure. */
export type Found = { value: string[]; stale: boolean } | null | Error;

/** `range` read again from the store once a fill has stored it: fresh, or the failure. */
export async function readAgain(store: CacheStore, range: SeriesRange): Promise<Found> {
  try {
    const [again] = await store.rangeMany([range]);
    return again === null || again === undefined ? null : { value: again, stale: false };
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
