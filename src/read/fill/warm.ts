import type { Logger } from 'pino';
import type { KeyLayout } from '../../cache/keys.js';
import type { Timeframe } from '../../cache/market-types.js';
import type { CacheStore } from '../../cache/store.js';
import { expiresAtOf, isAbsent, type Filler } from './filler.js';

export interface WarmResult {
  /** Values fetched and stored. */
  warmed: number;
  /** Values already fresh, left alone. */
  skipped: number;
  /** Values that could not be fetched; each is logged with its reason. */
  failed: number;
}

/**
 * Warm-up (the write-ups' `warm_cache`): fills the tickers of `symbols`, the funding rates of
 * those that are perpetuals (`BTC/USDT:USDT`), and their bars at each of `timeframes` (the newest
 * `barsLimit`), through the same fills as reads, so a warm-up racing readers, other processes or
 * an invalidation behaves as they do. What is fresh already is skipped.
 */
export async function warmCache(
  { store, keys, filler, barsLimit, logger }: { store: CacheStore; keys: KeyLayout; filler: Filler; barsLimit: number; logger: Logger },
  symbols: readonly string[],
  timeframes: readonly Timeframe[],
): Promise<WarmResult> {
  const result: WarmResult = { warmed: 0, skipped: 0, failed: 0 };
  const failed = (what: string, reason: string) => {
    result.failed += 1;
    logger.warn({ warm: what, reason }, 'warm-up could not fill a value');
  };

  const points = symbols.flatMap((symbol) => [keys.ticker(symbol), ...(symbol.includes(':') ? [keys.fundingRate(symbol)] : [])]);
  const current = points.length === 0 ? [] : await store.getMany(points);
  const now = Date.now();
  const stale = points.filter((key, i) => {
    const raw = current[i];
    const fresh = raw != null && !isAbsent(raw) && expiresAtOf(raw) > now;
    if (fresh) result.skipped += 1;
    return !fresh;
  });
  if (stale.length > 0) {
    // Stored values past their freshness are replaced: a fill stores over what it finds.
    const filled = await filler.fill(stale);
    filled.forEach((value, i) => {
      if (value instanceof Error) failed(stale[i]!, value.message);
      else if (value === null || isAbsent(value)) failed(stale[i]!, 'not listed by the exchange');
      else result.warmed += 1;
    });
  }

  for (const symbol of symbols) {
    for (const timeframe of timeframes) {
      const outcome = await filler.bars!.warmSeries(symbol, timeframe, barsLimit).catch((error: unknown) => error as Error);
      if (outcome === 'warmed') result.warmed += 1;
      else if (outcome === 'skipped') result.skipped += 1;
      else failed(keys.bars(symbol, timeframe), outcome.message);
    }
  }
  return result;
}
