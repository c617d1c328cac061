import type { Logger } from 'pino';
import { CacheUnavailableError } from '../../cache/cache-unavailable.js';
import { decodeTrade, DecodeError, encodeLogStamp, encodeTrade, isLogStamp, stamp } from '../../cache/codec.js';
import type { KeyLayout } from '../../cache/keys.js';
import type { CacheStore, SeriesRange } from '../../cache/store.js';
import { UpstreamError, type ExchangeSource } from '../../sources/source.js';
import type { UpstreamGuard } from '../../sources/upstream-guard.js';
import { absentMarker, expiresAtOf, isAbsent } from './filler.js';
import { readAgain, type Found } from './read-again.js';
import { createSeriesFills } from './series-fills.js';

export interface TradeFillerOptions {
  store: CacheStore;
  keys: KeyLayout;
  exchange: { source: ExchangeSource; guard: UpstreamGuard };
  ttlMs: number;
  graceMs: number;
  /** Trades a fill fetches, and a log keeps. */
  maxPerSymbol: number;
  negativeTtlMs: number;
  leaseMs: number;
  logger: Logger;
}


/**
 * Read-through for trades, by the rules of every point kind: a symbol's log carries a stamp (its
 * member at +inf) with its freshness; a log that is missing is fetched (`fetchTrades`) now, under
 * the log's fill lease, and the read answers from the log afterwards; one past its freshness is
 * served stale while one refresh runs; one the tier serves while Redis is unavailable is served
 * only within grace; a symbol the exchange does not list leaves an absent marker as its stamp
 * for `NEGATIVE_TTL_SECONDS`. Concurrent misses of a log share one fill, across processes too.
 */
export function createTradeFiller({ store, keys, exchange, ttlMs, graceMs, maxPerSymbol, negativeTtlMs, leaseMs, logger }: TradeFillerOptions) {
  const fills = createSeriesFills({ store, keys, leaseMs, logger, what: 'trades' });

  function symbolOf(key: string): string | undefined {
    const what = keys.describe(key);
    return what?.kind === 'trades' ? what.symbol : undefined;
  }

  /** Once at a time per log: fetch the symbol's recent trades and append them. Resolves to the error, if any. */
  function fillLog(key: string, symbol: string): Promise<Error | undefined> {
    return fills.fill(key, async (lease) => {
      const trades = await exchange.guard.run((signal) => exchange.source.fetchTrades(symbol, maxPerSymbol, signal));
      const now = Date.now();
      const members = (trades ?? []).map((trade) => {
        const member = encodeTrade(trade);
        try {
          decodeTrade(member);
        } catch (error) {
          if (error instanceof DecodeError) throw new UpstreamError('exchange', `malformed trade for ${symbol}: ${error.message}`);
          throw error;
        }
        return { score: trade.time.getTime(), member, id: trade.id };
      });
      const listed = trades !== null;
      // -1: a write or an invalidation dropped the lease meanwhile, and wins.
      await store.appendLog({
        key,
        idsKey: keys.tradeIds(symbol),
        members,
        stamp: listed ? encodeLogStamp(stamp({}, now, ttlMs)) : absentMarker(now, negativeTtlMs),
        ttlMs: listed ? ttlMs + graceMs : negativeTtlMs,
        maxMembers: maxPerSymbol,
        lease,
        index: listed ? keys.indexRefOf(key) : undefined,
      });
    });
  }

  return {
    /**
     * `found` for log ranges completed from the exchange: missing logs filled and read again,
     * stale ones marked and refreshed in the background. Other ranges are returned as found.
     */
    async completeLogs(ranges: readonly SeriesRange[], found: readonly Found[]): Promise<Found[]> {
      const now = Date.now();
      const answers = [...found];
      const pending: Array<Promise<void>> = [];
      ranges.forEach((range, i) => {
        const answer = found[i];
        const symbol = range.log ? symbolOf(range.key) : undefined;
        if (symbol === undefined || answer === null || answer === undefined || answer instanceof Error) return;
        const first = answer.value[0];
        if (first !== undefined && isLogStamp(first)) {
          if (isAbsent(first)) return;
          const expiresAt = expiresAtOf(first);
          if (!(expiresAt <= now)) {
            if (answer.stale) answers[i] = { value: answer.value, stale: false };
            return;
          }
          if (!answer.stale) {
            answers[i] = { value: answer.value, stale: true };
            if (!fills.running(range.key)) void fillLog(range.key, symbol);
            return;
          }
          // From the tier while Redis is unavailable: never past grace.
          if (expiresAt + graceMs <= now) answers[i] = new CacheUnavailableError('Redis is unavailable, and the last trades served are past their grace');
          return;
        }
        if (answer.stale) return;
        pending.push(
          (async () => {
            const error = await fillLog(range.key, symbol);
            if (error !== undefined) {
              answers[i] = error;
              return;
            }
            answers[i] = await readAgain(store, range);
          })(),
        );
      });
      await Promise.all(pending);
      return answers;
    },
  };
}

export type TradeFiller = ReturnType<typeof createTradeFiller>;
