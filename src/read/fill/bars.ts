import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { decodeBar, DecodeError, encodeBar } from '../../cache/codec.js';
import type { KeyLayout } from '../../cache/keys.js';
import type { Bar, Timeframe } from '../../cache/market-types.js';
import type { CacheStore, SeriesRange } from '../../cache/store.js';
import { UpstreamError, type BarsRequest, type ExchangeSource } from '../../sources/source.js';
import type { UpstreamGuard } from '../../sources/upstream-guard.js';
import { readAgain, type Found } from './read-again.js';
import { createSeriesFills } from './series-fills.js';

export interface BarFillerOptions {
  store: CacheStore;
  keys: KeyLayout;
  exchange: { source: ExchangeSource; guard: UpstreamGuard };
  barsTtlMs: number;
  barsMaxPerSeries: number;
  /** How often, at most, the open candle of a series is fetched again. */
  openBarTtlMs: number;
  /** How long a series the exchange has nothing more for is not asked again. */
  negativeTtlMs: number;
  leaseMs: number;
  logger: Logger;
}

/** Series whose checks are remembered, at most (an in-process throttle of upstream calls). */
const CHECKED_MAX = 10_000;

const MINUTE = 60_000;
const DURATION_MS: Record<Timeframe, number> = {
  '1m': MINUTE,
  '3m': 3 * MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '30m': 30 * MINUTE,
  '1h': 60 * MINUTE,
  '2h': 120 * MINUTE,
  '4h': 240 * MINUTE,
  '6h': 360 * MINUTE,
  '8h': 480 * MINUTE,
  '12h': 720 * MINUTE,
  '1d': 1440 * MINUTE,
  '3d': 3 * 1440 * MINUTE,
  '1w': 7 * 1440 * MINUTE,
  '1M': 31 * 1440 * MINUTE,
};
/** Exchanges open weekly candles on Monday, 00:00 UTC; 1970-01-05 was one. */
const FIRST_MONDAY_MS = 4 * 1440 * MINUTE;

/** When the candle of `timeframe` that is open at `nowMs` opened (UTC, as exchanges count). */
export function periodStartOf(timeframe: Timeframe, nowMs: number): number {
  if (timeframe === '1M') {
    const now = new Date(nowMs);
    return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  }
  const duration = DURATION_MS[timeframe];
  const offset = timeframe === '1w' ? FIRST_MONDAY_MS : 0;
  return Math.floor((nowMs - offset) / duration) * duration + offset;
}

/** A stored bar's open time, in ms (the codec writes `openTime` first); NaN if it has none. */
export function openTimeOf(raw: string): number {
  const at = raw.indexOf('"openTime":"');
  if (at < 0) return Number.NaN;
  const start = at + '"openTime":"'.length;
  return Date.parse(raw.slice(start, raw.indexOf('"', start)));
}


/**
 * Read-through for bars. Closed candles never change, so a series lives `TTL_BARS_SECONDS`; what
 * goes upstream is only what a read's window lacks: a series that is empty, one whose newest bar
 * is older than the current period, or one that holds nothing as old as a `since` asks. Those are
 * fetched (paginated, bounded by `BARS_MAX_PER_SERIES`), upserted under the series' fill lease
 * (so an invalidation or a write in between wins) and the read answers from the series afterwards,
 * in the same request. The open candle is fetched again in the background, at most every
 * `TTL_OPEN_BAR_SECONDS`. A check that found nothing more upstream is not repeated for
 * `NEGATIVE_TTL_SECONDS`, so a delisted symbol or a `since` before its listing costs one call.
 */
export function createBarFiller({ store, keys, exchange, barsTtlMs, barsMaxPerSeries, openBarTtlMs, negativeTtlMs, leaseMs, logger }: BarFillerOptions) {
  const fills = createSeriesFills({ store, keys, leaseMs, logger, what: 'bar' });
  // What was checked upstream lately, by series and reason: answered from the cache until it expires.
  const checked = new LRUCache<string, true>({ max: CHECKED_MAX, ttlAutopurge: false });

  function seriesOf(key: string) {
    const what = keys.describe(key);
    if (what?.kind !== 'bars' && what?.kind !== 'latestBar') return undefined;
    return { symbol: what.symbol, timeframe: what.timeframe, key: keys.bars(what.symbol, what.timeframe) };
  }

  /** Once at a time per series: fetch `request` and upsert it. Resolves to the error, if any. */
  function fillSeries(seriesKey: string, symbol: string, timeframe: Timeframe, request: BarsRequest): Promise<Error | undefined> {
    return fills.fill(seriesKey, async (lease) => {
      const bars = await exchange.guard.run((signal) => exchange.source.fetchBars(symbol, timeframe, request, signal));
      if (bars === null || bars.length === 0) return; // not listed, or nothing in that window
      const members = bars.map((bar) => ({ score: bar.openTime.getTime(), member: checkedBar(bar, symbol, timeframe) }));
      // -1: a write or an invalidation dropped the lease meanwhile, and wins.
      await store.upsertSeries({
        key: seriesKey,
        latestKey: keys.latestBar(symbol, timeframe),
        members,
        ttlMs: barsTtlMs,
        maxMembers: barsMaxPerSeries,
        lease,
        index: keys.indexRefOf(seriesKey),
      });
    });
  }

  /** What `range` lacks that the exchange may have, or nothing; `reason` keys the throttle. */
  function lacking(range: SeriesRange, timeframe: Timeframe, members: readonly string[], nowMs: number): { request: BarsRequest; reason: string } | undefined {
    const duration = DURATION_MS[timeframe];
    const periodStart = periodStartOf(timeframe, nowMs);
    const wantsNow = range.maxScore === undefined || range.maxScore >= periodStart;
    if (members.length === 0) {
      const request = range.minScore === undefined ? { limit: Math.min(range.limit, barsMaxPerSeries) } : { sinceMs: range.minScore, limit: Math.min(range.limit, barsMaxPerSeries) };
      return { request, reason: `empty ${range.minScore ?? ''}` };
    }
    const newest = openTimeOf(members[0]!);
    if (wantsNow && newest < periodStart) {
      const missing = Math.ceil((periodStart - newest) / duration) + 1;
      return { request: { sinceMs: newest + duration, limit: Math.min(missing, barsMaxPerSeries) }, reason: `behind ${periodStart}` };
    }
    const oldest = openTimeOf(members.at(-1)!);
    if (range.minScore !== undefined && members.length < range.limit && oldest > range.minScore) {
      const missing = Math.ceil((oldest - range.minScore) / duration);
      return { request: { sinceMs: range.minScore, limit: Math.min(missing, barsMaxPerSeries) }, reason: `since ${range.minScore}` };
    }
    return undefined;
  }

  function throttled(key: string, ttlMs: number): boolean {
    if (checked.has(key)) return true;
    checked.set(key, true, { ttl: ttlMs });
    return false;
  }

  /** Fetches the open candle again in the background, at most every `openBarTtlMs` per series. */
  function refreshOpenCandle(seriesKey: string, symbol: string, timeframe: Timeframe, newestMs: number, nowMs: number) {
    const periodStart = periodStartOf(timeframe, nowMs);
    if (newestMs !== periodStart || throttled(`${seriesKey} open`, openBarTtlMs)) return;
    // The previous candle too: it may have closed since it was last fetched.
    void fillSeries(seriesKey, symbol, timeframe, { sinceMs: periodStart - DURATION_MS[timeframe], limit: 2 });
  }

  return {
    /** Whether `key` is a series (or latest-bar pointer) this filler fills. */
    fills: (key: string) => seriesOf(key) !== undefined,

    /**
     * Completes what a request read of its ranges: fills what each range lacks and reads it again,
     * in this request; refreshes open candles in the background. A range whose fill failed keeps
     * what was cached, marked stale, or fails with `UPSTREAM_UNAVAILABLE` if that was nothing.
     */
    async completeRanges(ranges: readonly SeriesRange[], found: Found[]): Promise<Found[]> {
      const nowMs = Date.now();
      const answers = [...found];
      const refills: Array<Promise<void>> = [];
      ranges.forEach((range, i) => {
        const answer = found[i];
        const series = seriesOf(range.key);
        if (series === undefined || answer === null || answer === undefined || answer instanceof Error || answer.stale) return;
        const need = lacking(range, series.timeframe, answer.value, nowMs);
        if (need === undefined) {
          if (answer.value.length > 0) refreshOpenCandle(series.key, series.symbol, series.timeframe, openTimeOf(answer.value[0]!), nowMs);
          return;
        }
        if (throttled(`${series.key} ${need.reason}`, need.reason.startsWith('behind') ? openBarTtlMs : negativeTtlMs)) return;
        refills.push(
          (async () => {
            const error = await fillSeries(series.key, series.symbol, series.timeframe, need.request);
            if (error !== undefined) {
              answers[i] = answer.value.length > 0 ? { value: answer.value, stale: true } : error;
              return;
            }
            answers[i] = await readAgain(store, range);
          })(),
        );
      });
      await Promise.all(refills);
      return answers;
    },

    /**
     * Fills a latest-bar pointer that is missing or older than the current period: the newest
     * bars of its series, then the pointer as it is afterwards (`null` if there is none).
     */
    async fillLatest(latestKey: string): Promise<string | null | Error> {
      const series = seriesOf(latestKey)!;
      if (!throttled(`${series.key} latest ${periodStartOf(series.timeframe, Date.now())}`, openBarTtlMs)) {
        const error = await fillSeries(series.key, series.symbol, series.timeframe, { limit: 2 });
        if (error !== undefined) return error;
      }
      try {
        const [value] = await store.getMany([latestKey]);
        return value ?? null;
      } catch (error) {
        return error instanceof Error ? error : new Error(String(error));
      }
    },

    /**
     * Warm-up of one series: `skipped` when its newest bar is the current period's, else the
     * newest `limit` bars are fetched and upserted (`warmed`), or the error says why not.
     */
    async warmSeries(symbol: string, timeframe: Timeframe, limit: number): Promise<'warmed' | 'skipped' | Error> {
      const seriesKey = keys.bars(symbol, timeframe);
      const [newest] = await store.rangeMany([{ key: seriesKey, limit: 1 }]);
      if (newest?.[0] !== undefined && openTimeOf(newest[0]) >= periodStartOf(timeframe, Date.now())) return 'skipped';
      const error = await fillSeries(seriesKey, symbol, timeframe, { limit: Math.min(limit, barsMaxPerSeries) });
      if (error !== undefined) return error;
      const [after] = await store.rangeMany([{ key: seriesKey, limit: 1 }]);
      return after?.length ? 'warmed' : new Error(`the exchange has no ${timeframe} bars of ${symbol}`);
    },

    /** Whether a latest-bar value is older than its period (to be filled) or the open candle (to refresh). */
    latestState(latestKey: string, raw: string): 'behind' | 'open' | 'closed' {
      const series = seriesOf(latestKey)!;
      const nowMs = Date.now();
      const openTime = openTimeOf(raw);
      const periodStart = periodStartOf(series.timeframe, nowMs);
      if (openTime < periodStart) return 'behind';
      if (openTime === periodStart) refreshOpenCandle(series.key, series.symbol, series.timeframe, openTime, nowMs);
      return openTime === periodStart ? 'open' : 'closed';
    },
  };
}

export type BarFiller = ReturnType<typeof createBarFiller>;

/** A bar as the codec stores it, read back through the decoder a read uses. */
function checkedBar(bar: Bar, symbol: string, timeframe: Timeframe): string {
  const member = encodeBar(bar);
  try {
    decodeBar(member, symbol, timeframe);
  } catch (error) {
    if (error instanceof DecodeError) throw new UpstreamError('exchange', `malformed bar: ${error.message}`);
    throw error;
  }
  return member;
}
