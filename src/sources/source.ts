import type { Bar, FearGreed, FundingRate, OrderBook, Ticker, Timeframe, Trade } from '../cache/market-types.js';

/**
 * The upstreams the gateway reads through when its cache misses: an exchange (through ccxt),
 * alternative.me's Fear & Greed index, an OpenAI-compatible LLM. Each returns domain values,
 * already checked: nothing an upstream sends is trusted, and anything malformed is an
 * `UpstreamError`, never a value. Every call takes an `AbortSignal` (the source's timeout) and
 * must stop when it fires.
 */

/** An upstream failed: timeout, refused connection, 5xx, 429, a payload that does not check. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(
    /** Which source: `exchange`, `fear-greed`, `llm`. */
    readonly source: string,
    message: string,
    /** How long the upstream asked to be left alone (a 429's or 503's `Retry-After`), if it did. */
    readonly retryAfterMs?: number,
  ) {
    super(`${source}: ${message}`);
  }
}

export interface BarsRequest {
  /** The open time of the oldest bar wanted (inclusive), in ms; the newest bars when omitted. */
  sinceMs?: number;
  /** At most this many bars, oldest first from `sinceMs`, or the newest this many. */
  limit: number;
}

/** Market data from one exchange. A symbol the exchange does not list is `null`, not an error. */
export interface ExchangeSource {
  /** The ccxt exchange id, e.g. `binance`. */
  readonly id: string;
  /**
   * Tickers of `symbols`, by symbol (`null` where not listed): one upstream call where the
   * exchange can fetch several tickers at once, else one per symbol.
   */
  fetchTickers(symbols: readonly string[], signal: AbortSignal): Promise<Map<string, Ticker | null>>;
  fetchFundingRate(symbol: string, signal: AbortSignal): Promise<FundingRate | null>;
  /** Bars oldest first; `null` where not listed. Paginates up to `request.limit`. */
  fetchBars(symbol: string, timeframe: Timeframe, request: BarsRequest, signal: AbortSignal): Promise<Bar[] | null>;
  /**
   * The book's best `depth` levels a side (bids highest first, asks lowest first), checked: prices
   * > 0, amounts >= 0, no price twice on a side, not crossed; `null` where not listed.
   */
  fetchOrderBook(symbol: string, depth: number, signal: AbortSignal): Promise<OrderBook | null>;
  /** The most recent public trades, at most `limit`, newest first; `null` where not listed. */
  fetchTrades(symbol: string, limit: number, signal: AbortSignal): Promise<Trade[] | null>;
}

export interface FearGreedReading {
  value: FearGreed;
  /** How long until alternative.me publishes the next reading (`time_until_update`), in ms. */
  validForMs: number;
}

export interface FearGreedSource {
  fetch(signal: AbortSignal): Promise<FearGreedReading>;
}

export interface LlmAnswer {
  /** The model's JSON object. */
  result: Record<string, unknown>;
  model: string;
}

export interface LlmSource {
  /** Whether `analysisType` is configured (has a system prompt). */
  knows(analysisType: string): boolean;
  /** The TTL configured for `analysisType`, in seconds, if any. */
  ttlSecondsOf(analysisType: string): number | undefined;
  analyze(analysisType: string, input: string, signal: AbortSignal): Promise<LlmAnswer>;
}
