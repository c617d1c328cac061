import DataLoader from 'dataloader';
import { CacheUnavailableError } from '../cache/cache-unavailable.js';
import { isLogStamp } from '../cache/codec.js';
import { rangeKeyOf, type StaleTier } from '../cache/stale-tier.js';
import type { CacheStore, SeriesRange } from '../cache/store.js';
import type { ReadResult } from '../metrics/metrics.js';
import { expiresAtOf, isAbsent, type Filler } from './fill/filler.js';

/** A value as read: from Redis, or from the in-process tier while Redis is unavailable. */
export interface Served<T> {
  value: T;
  stale: boolean;
}

/**
 * How long what a request was served stays fresh, for HTTP caching (`src/edge/http-caching.ts`).
 * Point values carry their own `expiresAt`, and so does a trades log (its stamp); bar ranges,
 * latest bars and nulls have none that says when the answer changes.
 */
export interface Freshness {
  /** The earliest `expiresAt` among the values served, in ms since the epoch; `undefined` when none carried one. */
  expiresAtMs: number | undefined;
  /** A value was served stale (past its `expiresAt`, or from the stale tier while Redis is unavailable), or a read failed. */
  stale: boolean;
  /**
   * Something served has no known freshness: a bar range, a null (nothing cached, or a symbol
   * the exchange does not list), a point without `expiresAt` (a latest bar), an empty trades log,
   * a value that did not decode.
   */
  unknown: boolean;
}

/**
 * A request's loaders. Every point read of the request (tickers, funding rates, Fear & Greed,
 * LLM analyses, latest bars) goes through `points`, and every bar range through `ranges`.
 * DataLoader collects the loads made while the executor resolves sibling fields and dispatches
 * them together once the current promise jobs have run, so a whole query level costs one `MGET`
 * and one pipeline, however many fields, aliases and list entries ask.
 *
 * What Redis answers is remembered in the stale tier; when Redis is unavailable, each key is
 * answered from the tier (marked stale) or fails alone with `CacheUnavailableError`, so the rest
 * of the query still resolves.
 *
 * A read plan reads through the same two functions (`readPoints`, `readRanges`), all at once,
 * and when it hands the request to the executor it hands over what it read (`handOver`),
 * so that the executor reports it without reading Redis again.
 *
 * Loaders live for one request only: their memo must never outlive it, or one client would see
 * values another has since invalidated.
 */
export function createLoaders(store: CacheStore, tier: StaleTier, filler?: Filler, countRead?: CountRead) {
  // What the request was served, for `freshness()`: each batch's answers as they are (ranges with
  // their stamps), judged only if asked. Every read passes through `readPoints` or `readRanges`
  // exactly once (what a plan hands over is not read again), so nothing counts twice; and this
  // holds nothing the loaders' memo does not hold already.
  const servedPoints: Array<ReadonlyArray<Served<string> | null | Error>> = [];
  const servedRanges: Array<{ list: readonly SeriesRange[]; served: ReadonlyArray<Served<string[]> | null | Error> }> = [];
  let failed = false;
  let undecodable = false;
  const readPoints = async (keys: readonly string[]) => {
    try {
      const served = await readThrough(tier, keys, pointKeyOf, store.getMany);
      const answers = filler === undefined ? served : await readThroughSources(filler, tier, keys, served);
      if (countRead !== undefined) keys.forEach((key, i) => countRead(key, resultOf(served[i]!, answers[i]!)));
      servedPoints.push(answers);
      return answers;
    } catch (error) {
      failed = true;
      throw error;
    }
  };
  const readRanges = async (list: readonly SeriesRange[]) => {
    try {
      const read = await readThrough(tier, list, rangeKeyOf, store.rangeMany);
      const served = await completeRanges(list, read);
      if (countRead !== undefined) list.forEach((range, i) => countRead(range.key, resultOf(read[i]!, served[i]!)));
      servedRanges.push({ list, served });
      return withoutStamps(list, served);
    } catch (error) {
      failed = true;
      throw error;
    }
  };
  /** `read` completed from the sources, for the kinds that have one. */
  const completeRanges = async (list: readonly SeriesRange[], read: Array<Served<string[]> | null | Error>) => {
    if (filler?.bars === undefined && filler?.trades === undefined) return read;
    // What a fill stored and was read again is remembered in the tier as any read is, unless
    // invalidated meanwhile.
    const ticket = tier.begin();
    try {
      let served = read;
      if (filler.bars !== undefined) served = await filler.bars.completeRanges(list, served);
      if (filler.trades !== undefined) served = await filler.trades.completeLogs(list, served);
      served.forEach((answer, i) => {
        const before = read[i];
        const fromRedis = before === null || (before !== undefined && !(before instanceof Error) && !before.stale);
        if (answer !== before && fromRedis && answer !== null && !(answer instanceof Error) && !answer.stale) {
          tier.remember(rangeKeyOf(list[i]!), answer.value, ticket);
        }
      });
      return served;
    } finally {
      tier.end(ticket);
    }
  };
  // What a read plan read before it handed the request over, by key (or range key). Made by
  // `handOver`: a request a plan answers (most of them) never needs it.
  let readAhead: { points: Map<string, Served<string> | null | Error>; ranges: Map<string, Served<string[]> | null | Error> } | undefined;
  // Made on first use: a query answered by a read plan needs neither.
  let points: DataLoader<string, Served<string> | null> | undefined;
  let ranges: DataLoader<SeriesRange, Served<string[]> | null, string> | undefined;
  return {
    get points() {
      return (points ??= new DataLoader((keys) => answer(keys, pointKeyOf, readAhead?.points ?? NOTHING_READ, readPoints)));
    },
    get ranges() {
      return (ranges ??= new DataLoader((list) => answer(list, rangeKeyOf, readAhead?.ranges ?? NOTHING_READ, readRanges), { cacheKeyFn: rangeKeyOf }));
    },
    readPoints,
    readRanges,
    /**
     * What a read plan read, by key and by range key (an `Error` where the read failed): the
     * loaders answer those keys from here instead of Redis, in their batches, exactly as if they
     * had read them, so that the executor reports them in the same order and with the same errors.
     */
    handOver(pointValues: ReadonlyMap<string, Served<string> | null | Error>, rangeValues: ReadonlyMap<string, Served<string[]> | null | Error>) {
      readAhead ??= { points: new Map(), ranges: new Map() };
      for (const [key, value] of pointValues) readAhead.points.set(key, value);
      for (const [key, value] of rangeValues) readAhead.ranges.set(key, value);
    },
    /**
     * Forgets a value that does not decode, and deletes it from the store unless it was served
     * from the tier (Redis is unavailable then) or has been rewritten meanwhile.
     */
    async discard(key: string, raw: string | null, stale: boolean) {
      undecodable = true;
      tier.forget(key);
      if (!stale) await store.discard(key, raw);
    },
    /** How long everything this request was served so far stays fresh (see `Freshness`). */
    freshness(): Freshness {
      const freshness: Freshness = { expiresAtMs: undefined, stale: failed, unknown: undecodable };
      /** `stamp`: the stored JSON that carries the answer's `expiresAt`, if any. */
      const see = (answer: Served<unknown> | null | Error, stamp: string | undefined) => {
        if (answer instanceof Error) return void (freshness.stale = true);
        if (answer?.stale) freshness.stale = true;
        const expiresAtMs = stamp === undefined ? Number.NaN : expiresAtOf(stamp);
        if (Number.isNaN(expiresAtMs)) freshness.unknown = true;
        else if (freshness.expiresAtMs === undefined || expiresAtMs < freshness.expiresAtMs) freshness.expiresAtMs = expiresAtMs;
      };
      for (const answers of servedPoints) for (const answer of answers) see(answer, answer === null || answer instanceof Error ? undefined : answer.value);
      for (const { list, served } of servedRanges) {
        served.forEach((answer, i) => {
          // A bar range has no expiry; a trades log has its stamp's (an absent marker serves no trades).
          const first = list[i]!.log && answer !== null && !(answer instanceof Error) ? answer.value[0] : undefined;
          see(answer, first !== undefined && isLogStamp(first) && !isAbsent(first) ? first : undefined);
        });
      }
      return freshness;
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

const NOTHING_READ: ReadonlyMap<string, never> = new Map<string, never>();

/** Told what the cache answered for each key (or range, by its series' key) a request reads, once. */
export type CountRead = (key: string, result: ReadResult) => void;

/**
 * What the cache answered, judged from what it held (`read`) and what the request was served
 * (`served`): `miss` when it held nothing (even if a source then filled it), `negative` when it
 * held the absent marker, `error` when nothing could be served, `stale` or `hit` as served.
 */
function resultOf(read: Served<string | string[]> | null | Error, served: Served<string | string[]> | null | Error): ReadResult {
  if (read instanceof Error) return 'error';
  if (read === null || read.value.length === 0) return 'miss';
  // A log's absent marker is its stamp, its first member.
  if (isAbsent(typeof read.value === 'string' ? read.value : read.value[0]!)) return 'negative';
  if (served === null) return 'miss';
  if (served instanceof Error) return 'error';
  return served.stale ? 'stale' : 'hit';
}

/** Log ranges as they are served: without the stamp each starts with, at most the `limit` asked for. */
function withoutStamps(list: readonly SeriesRange[], served: Array<Served<string[]> | null | Error>) {
  return served.map((answer, i) => {
    const range = list[i]!;
    if (!range.log || answer === null || answer instanceof Error) return answer;
    const first = answer.value[0];
    const members = first !== undefined && isLogStamp(first) ? answer.value.slice(1) : answer.value.slice(0, range.limit - 1);
    return { value: members, stale: answer.stale };
  });
}

const pointKeyOf = (key: string) => key;

/**
 * What the cache answered for `keys`, completed from the sources (for the kinds that have one):
 * a miss is filled and answered fresh, in this request; a value past its freshness is answered at
 * once, marked stale, while one refresh runs in the background; a value served from the stale
 * tier (Redis unavailable) is served only within its kind's grace, and marked stale only past its
 * TTL, like any other; the absent marker of a symbol
 * the exchange does not list reads as `null`.
 */
async function readThroughSources(filler: Filler, tier: StaleTier, keys: readonly string[], served: Array<Served<string> | null | Error>) {
  const now = Date.now();
  const misses: number[] = [];
  const stale: string[] = [];
  const answers = served.map((answer, i): Served<string> | null | Error => {
    const key = keys[i]!;
    const fillable = filler.fillable(key);
    if (fillable === undefined) return answer;
    if (answer === null) {
      misses.push(i);
      return null;
    }
    if (answer instanceof Error) return answer;
    if (isAbsent(answer.value)) return null;
    if (fillable.what.kind === 'latestBar') {
      // A bar carries no expiry: a pointer older than the current period is filled now.
      if (!answer.stale && filler.bars!.latestState(key, answer.value) === 'behind') misses.push(i);
      return answer;
    }
    const expiresAt = expiresAtOf(answer.value);
    // `stale` means older than its TTL, whatever the reason: a value the tier serves while Redis
    // is unavailable is not stale while it is still fresh.
    if (!(expiresAt <= now)) return answer.stale ? { value: answer.value, stale: false } : answer;
    if (!answer.stale) {
      stale.push(key);
      return { value: answer.value, stale: true };
    }
    // From the tier while Redis is unavailable: never past the kind's grace.
    return expiresAt + fillable.graceMs > now ? answer : new CacheUnavailableError('Redis is unavailable, and the last value served is past its grace');
  });
  if (stale.length > 0) filler.refresh(stale);
  if (misses.length > 0) {
    // What a fill stores is remembered in the tier as any read is, unless invalidated meanwhile.
    const ticket = tier.begin();
    try {
      const filled = await filler.fill(misses.map((i) => keys[i]!));
      misses.forEach((i, j) => {
        const value = filled[j]!;
        if (typeof value === 'string' && !isAbsent(value)) tier.remember(keys[i]!, value, ticket);
        answers[i] = typeof value === 'string' ? (isAbsent(value) ? null : { value, stale: false }) : value;
      });
    } finally {
      tier.end(ticket);
    }
  }
  return answers;
}

/** The answers to `keys`: what was read ahead, and the rest read now. */
async function answer<K, V>(
  keys: readonly K[],
  idOf: (key: K) => string,
  readAhead: ReadonlyMap<string, V>,
  read: (keys: readonly K[]) => Promise<V[]>,
): Promise<V[]> {
  if (readAhead.size === 0) return read(keys);
  const ids = keys.map(idOf);
  const unread = keys.filter((_, i) => !readAhead.has(ids[i]!));
  const fresh = unread.length === 0 ? [] : await read(unread);
  const freshById = new Map(unread.map((key, i) => [idOf(key), fresh[i]!]));
  return ids.map((id) => (readAhead.has(id) ? readAhead.get(id)! : freshById.get(id)!));
}

/**
 * Reads `keys` with `read` (one store call), remembering each answer in the tier under
 * `tierKey(key)` (unless an invalidation forgot it while the read was out); when the store is
 * unavailable, answers each key from the tier (marked stale) or with the `CacheUnavailableError`.
 * Any other failure rejects.
 */
export async function readThrough<K, V extends string | string[]>(
  tier: StaleTier,
  keys: readonly K[],
  tierKey: (key: K) => string,
  read: (keys: readonly K[]) => Promise<Array<V | null>>,
): Promise<Array<Served<V> | null | Error>> {
  const ticket = tier.begin();
  try {
    const values = await read(keys);
    keys.forEach((key, i) => tier.remember(tierKey(key), values[i] ?? null, ticket));
    return values.map((value) => (value === null ? null : { value, stale: false }));
  } catch (error) {
    if (!(error instanceof CacheUnavailableError)) throw error;
    return keys.map((key) => {
      const value = tier.recall(tierKey(key)) as V | undefined;
      return value === undefined ? error : { value, stale: true };
    });
  } finally {
    tier.end(ticket);
  }
}
