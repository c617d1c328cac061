import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { CacheUnavailableError } from '../../cache/cache-unavailable.js';
import { decodeFearGreed, decodeFundingRate, decodeOrderBook, decodeTicker, DecodeError, encode, stamp } from '../../cache/codec.js';
import type { FillableKey, KeyLayout } from '../../cache/keys.js';
import type { FearGreed, FundingRate, OrderBook, Ticker } from '../../cache/market-types.js';
import type { CacheStore, FillEntry } from '../../cache/store.js';
import type { TtlPolicy } from '../../cache/ttl-policy.js';
import { UpstreamError, type ExchangeSource, type FearGreedSource } from '../../sources/source.js';
import type { UpstreamGuard } from '../../sources/upstream-guard.js';
import { DEFAULTS } from '../../defaults.js';
import { createBarFiller } from './bars.js';
import { createTradeFiller } from './trades.js';
import { UpstreamUnavailableError } from './upstream-unavailable.js';

/**
 * What a fill gives a reader: the raw value now stored (to serve fresh; possibly the absent
 * marker), `null` when there is nothing to serve (an invalidation won), or the error to report.
 */
export type Filled = string | null | Error;

export interface FillerOptions {
  store: CacheStore;
  keys: KeyLayout;
  ttlSeconds: Readonly<TtlPolicy>;
  graceSeconds: Readonly<TtlPolicy>;
  exchange?: { source: ExchangeSource; guard: UpstreamGuard };
  fearGreed?: { source: FearGreedSource; guard: UpstreamGuard };
  /** How long a symbol the exchange does not list is remembered as absent. */
  negativeTtlMs: number;
  /** How long a lease holds: the upstream timeout and some slack. */
  leaseMs: number;
  barsMaxPerSeries: number;
  tradesMaxPerSymbol: number;
  openBarTtlMs: number;
  logger: Logger;
}

/** A fillable key, with the kind's grace. */
export interface Fillable {
  what: FillableKey;
  graceMs: number;
}

/** One value fetched for a key, ready to store. */
interface Fetched {
  key: string;
  /** The encoded value, or the absent marker. */
  value: string;
  /** How long Redis keeps it: freshness plus grace (or the negative TTL). */
  ttlMs: number;
}

/** What a source answered for one key: a value to store, or the error to report. */
type Outcome = Fetched | Error;

/**
 * The marker stored for a symbol the exchange does not list: read as `null`, with no upstream
 * call, until it expires or a write replaces it.
 */
export function isAbsent(raw: string): boolean {
  return raw.startsWith('{"absent":true');
}

/** The absent marker, stored at `nowMs` for `ttlMs`. */
export function absentMarker(nowMs: number, ttlMs: number): string {
  return encode({ absent: true, cachedAt: new Date(nowMs), expiresAt: new Date(nowMs + ttlMs) });
}

/** The freshness deadline a stored point value carries (`expiresAt`), in ms; NaN if none. */
export function expiresAtOf(raw: string): number {
  const at = raw.lastIndexOf('"expiresAt":"');
  if (at < 0) return Number.NaN;
  const start = at + '"expiresAt":"'.length;
  return Date.parse(raw.slice(start, raw.indexOf('"', start)));
}

/**
 * Fills misses from the configured sources, once. Within a process, concurrent fills of a key
 * share one promise; across the processes sharing a Redis, each key's fill takes a lease in Redis
 * (`SET NX PX`), so that one process calls the upstream and the others wait for its fill to be
 * announced (pub/sub), bounded by the lease. A waiter fetches for itself only once the lease has
 * gone (its holder died or overran). The value is stored only while the lease is still the one
 * taken: a write or an invalidation since then dropped it, and wins.
 *
 * Each gateway has one; the loaders of each request call it for the keys they found missing
 * (`fill`, awaited) or past their freshness (`refresh`, in the background).
 */
export function createFiller(options: FillerOptions) {
  const { store, keys, ttlSeconds, graceSeconds, exchange, fearGreed, negativeTtlMs, leaseMs, logger } = options;
  const inFlight = new Map<string, Promise<Filled>>();
  const bars =
    exchange &&
    createBarFiller({
      store,
      keys,
      exchange,
      barsTtlMs: ttlSeconds.bars * 1000,
      barsMaxPerSeries: options.barsMaxPerSeries,
      openBarTtlMs: options.openBarTtlMs,
      negativeTtlMs,
      leaseMs,
      logger,
    });
  const trades =
    exchange &&
    createTradeFiller({
      store,
      keys,
      exchange,
      ttlMs: ttlSeconds.trades * 1000,
      graceMs: graceSeconds.trades * 1000,
      maxPerSymbol: options.tradesMaxPerSymbol,
      negativeTtlMs,
      leaseMs,
      logger,
    });

  function fillable(key: string): Fillable | undefined {
    const what = keys.describe(key);
    // Trades are a log, filled through `trades` as their ranges are read.
    if (what === undefined || what.kind === 'trades') return undefined;
    if (what.kind === 'fearGreed' ? fearGreed === undefined : exchange === undefined) return undefined;
    const kind = what.kind === 'latestBar' ? 'bars' : what.kind;
    return { what, graceMs: graceSeconds[kind] * 1000 };
  }

  /**
   * Fills `wanted` (each fillable, no repeats): one promise per key, shared with concurrent fills.
   * With `mayWait`, a key another process is filling is waited for; without, it is left to it.
   */
  function fill(wanted: readonly string[], mayWait = true): Promise<Filled[]> {
    const fresh = wanted.filter((key) => !inFlight.has(key));
    // Latest-bar pointers are filled through their series, which leases itself.
    for (const key of fresh.filter((key) => keys.describe(key)?.kind === 'latestBar')) {
      const filled = bars!.fillLatest(key);
      inFlight.set(key, filled);
      void filled.finally(() => inFlight.get(key) === filled && inFlight.delete(key));
    }
    const points = fresh.filter((key) => !inFlight.has(key));
    if (points.length > 0) {
      const batch = fillBatch(points, mayWait);
      for (const key of points) {
        const filled = batch.then((results) => results.get(key)!);
        inFlight.set(key, filled);
        void filled.finally(() => inFlight.get(key) === filled && inFlight.delete(key));
      }
    }
    return Promise.all(wanted.map((key) => inFlight.get(key)!));
  }

  /** Leases what it can, fetches and stores that, and waits for the fills of the rest. Never rejects. */
  async function fillBatch(batch: readonly string[], mayWait: boolean): Promise<Map<string, Filled>> {
    const token = randomUUID();
    let taken: boolean[];
    try {
      taken = await store.lease(batch.map(keys.lease), token, leaseMs);
    } catch (error) {
      return new Map(batch.map((key) => [key, asError(error)]));
    }
    const mine = batch.filter((_, i) => taken[i]);
    const theirs = batch.filter((_, i) => !taken[i]);
    const [fetched, waited] = await Promise.all([fetchAndStore(mine, token), mayWait ? waitFor(theirs) : busy(theirs)]);
    return new Map([...fetched, ...waited]);
  }

  async function fetchAndStore(mine: readonly string[], token: string): Promise<Map<string, Filled>> {
    const results = new Map<string, Filled>();
    if (mine.length === 0) return results;
    const outcomes = await fetchAll(mine);
    const entries: FillEntry[] = [];
    for (const key of mine) {
      const outcome = outcomes.get(key)!;
      if (outcome instanceof Error) results.set(key, outcome);
      else {
        // An absent marker is not listed as cached.
        const index = isAbsent(outcome.value) ? undefined : keys.indexRefOf(key);
        entries.push({ key, leaseKey: keys.lease(key), value: outcome.value, ttlMs: outcome.ttlMs, index });
      }
    }
    // A failed fetch keeps its lease until it expires: the other processes do not all try the
    // failing upstream at once, and meanwhile fail fast.
    if (entries.length === 0) return results;
    let stored: boolean[];
    try {
      stored = await store.fill(entries, token);
    } catch (error) {
      for (const { key } of entries) results.set(key, asError(error));
      return results;
    }
    const lost = entries.filter((_, i) => !stored[i]).map(({ key }) => key);
    entries.forEach(({ key, value }, i) => stored[i] && results.set(key, value));
    // A write or an invalidation came in meanwhile: serve what it left, never what was fetched.
    if (lost.length > 0) for (const [key, value] of await readNow(lost)) results.set(key, value);
    return results;
  }

  /** Waits (bounded by the lease) for other processes' fills, then reads what they stored. */
  async function waitFor(theirs: readonly string[]): Promise<Map<string, Filled>> {
    if (theirs.length === 0) return new Map();
    const before = await readNow(theirs);
    const pending = theirs.filter((key) => before.get(key) === null);
    await Promise.all(pending.map((key) => store.awaitFill(key, leaseMs).catch(() => {})));
    const after = pending.length === 0 ? before : new Map([...before, ...(await readNow(pending))]);
    // Still nothing: the holder failed, died or overran. Whoever can take the lease now fetches.
    const missing = theirs.filter((key) => after.get(key) === null);
    if (missing.length > 0) for (const [key, value] of await fillBatch(missing, false)) after.set(key, value);
    return after;
  }

  function busy(theirs: readonly string[]): Map<string, Filled> {
    return new Map(theirs.map((key) => [key, new UpstreamUnavailableError('another process is filling it, or failed to')]));
  }

  async function readNow(batch: readonly string[]): Promise<Map<string, Filled>> {
    try {
      const values = await store.getMany(batch);
      return new Map(batch.map((key, i) => [key, values[i] ?? null]));
    } catch (error) {
      return new Map(batch.map((key) => [key, asError(error)]));
    }
  }

  /** Fetches every key from its source: a kind's keys in as few upstream calls as it allows. */
  async function fetchAll(batch: readonly string[]): Promise<Map<string, Outcome>> {
    const outcomes = new Map<string, Outcome>();
    const tickers: string[] = [];
    const calls: Array<Promise<void>> = [];
    for (const key of batch) {
      const what = keys.describe(key)!;
      if (what.kind === 'ticker') tickers.push(what.symbol);
      else if (what.kind === 'fundingRate') calls.push(outcomeOf(key, () => fetchFundingRate(what.symbol)).then((o) => void outcomes.set(key, o)));
      else if (what.kind === 'orderBook') calls.push(outcomeOf(key, () => fetchOrderBook(what.symbol)).then((o) => void outcomes.set(key, o)));
      else calls.push(outcomeOf(key, fetchFearGreed).then((o) => void outcomes.set(key, o)));
    }
    if (tickers.length > 0) {
      calls.push(
        fetchTickers(tickers).then(
          (bySymbol) => tickers.forEach((symbol) => outcomes.set(keys.ticker(symbol), checkedOutcome(keys.ticker(symbol), bySymbol.get(symbol)!))),
          (error) => tickers.forEach((symbol) => outcomes.set(keys.ticker(symbol), unavailable(error))),
        ),
      );
    }
    await Promise.all(calls);
    return outcomes;
  }

  type Made = () => { value: string; ttlMs: number };

  async function fetchTickers(symbols: readonly string[]): Promise<Map<string, Made>> {
    const { source, guard } = exchange!;
    const tickers = await guard.run((signal) => source.fetchTickers(symbols, signal));
    return new Map(symbols.map((symbol) => [symbol, () => made(tickers.get(symbol) ?? null, ttlSeconds.ticker * 1000, graceSeconds.ticker, decodeTicker, (t: Ticker) => t.symbol === symbol)]));
  }

  async function fetchFundingRate(symbol: string): Promise<Made> {
    const { source, guard } = exchange!;
    const rate = await guard.run((signal) => source.fetchFundingRate(symbol, signal));
    // A funding rate never outlives its next funding time.
    // Measured from the moment it is stamped, so that expiresAt never passes nextFundingTime.
    const nextMs = rate?.nextFundingTime ? rate.nextFundingTime.getTime() : Infinity;
    const freshMs = (nowMs: number) => Math.max(1000, Math.min(ttlSeconds.fundingRate * 1000, nextMs - nowMs));
    return () => made(rate, freshMs, graceSeconds.fundingRate, decodeFundingRate, (r: FundingRate) => r.symbol === symbol);
  }

  async function fetchOrderBook(symbol: string): Promise<Made> {
    const { source, guard } = exchange!;
    const book = await guard.run((signal) => source.fetchOrderBook(symbol, DEFAULTS.upstream.orderBookDepth, signal));
    return () => made(book, ttlSeconds.orderBook * 1000, graceSeconds.orderBook, decodeOrderBook, (b: OrderBook) => b.symbol === symbol);
  }

  async function fetchFearGreed(): Promise<Made> {
    const { source, guard } = fearGreed!;
    const { value, validForMs } = await guard.run((signal) => source.fetch(signal));
    // Fear & Greed never outlives alternative.me's next reading.
    const freshMs = Math.max(1000, Math.min(ttlSeconds.fearGreed * 1000, validForMs));
    return () => made<FearGreed>(value, freshMs, graceSeconds.fearGreed, decodeFearGreed, () => true);
  }

  /**
   * Stamps and encodes `value` as a write would, and reads it back through the kind's decoder: a
   * value the source should never have returned is an upstream error, never a stored value.
   */
  function made<T extends object>(
    value: T | null,
    freshFor: number | ((nowMs: number) => number),
    graceS: number,
    decode: (raw: string) => unknown,
    belongs: (value: T) => boolean,
  ) {
    const now = Date.now();
    const freshMs = typeof freshFor === 'number' ? freshFor : freshFor(now);
    if (value === null) {
      return { value: absentMarker(now, negativeTtlMs), ttlMs: negativeTtlMs };
    }
    if (!belongs(value)) throw new UpstreamError('exchange', 'answered for another symbol');
    const encoded = encode(stamp(value, now, freshMs));
    try {
      decode(encoded);
    } catch (error) {
      if (error instanceof DecodeError) throw new UpstreamError('upstream', `malformed value: ${error.message}`);
      throw error;
    }
    return { value: encoded, ttlMs: freshMs + graceS * 1000 };
  }

  async function outcomeOf(key: string, fetch: () => Promise<Made>): Promise<Outcome> {
    try {
      return checkedOutcome(key, await fetch());
    } catch (error) {
      return unavailable(error);
    }
  }

  function checkedOutcome(key: string, make: Made): Outcome {
    try {
      return { key, ...make() };
    } catch (error) {
      return unavailable(error);
    }
  }

  function unavailable(error: unknown): Error {
    if (error instanceof UpstreamError) {
      logger.debug({ source: error.source, reason: error.message }, 'fill failed');
      return new UpstreamUnavailableError(error);
    }
    return asError(error);
  }

  return {
    fillable,
    fill,
    /** The bar filler, with an exchange. */
    bars,
    /** The trades filler, with an exchange. */
    trades,
    /**
     * Fills `stale` keys in the background, at most once at a time each, and only those no other
     * process is refreshing already; failures are only logged.
     */
    refresh(stale: readonly string[]) {
      void fill(stale.filter((key) => !inFlight.has(key)), false);
    },
  };
}

export type Filler = ReturnType<typeof createFiller>;

function asError(error: unknown): Error {
  if (error instanceof Error) return error;
  return new CacheUnavailableError(String(error));
}
