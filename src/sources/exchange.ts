import { BadSymbol, BaseError, ExchangeNotAvailable, NetworkError, RateLimitExceeded, DDoSProtection, RequestTimeout, exchanges } from 'ccxt';
import type { Exchange, Market as MaybeMarket } from 'ccxt';
import type { Bar, FundingRate, Ticker, Timeframe } from '../cache/market-types.js';
import { isFloat } from '../cache/value-rules.js';
import { checker, describe, isTimeMs, timeOf, toBar, toOrderBook, toTicker, toTrade } from './exchange-values.js';
import { UpstreamError, type BarsRequest, type ExchangeSource } from './source.js';

export interface ExchangeSourceOptions {
  /** A ccxt exchange id: `binance`, `bybit`, `okx`... */
  exchangeId: string;
  /**
   * Replaces the origin (scheme, host, port) of every REST endpoint, keeping its path
   * (`EXCHANGE_API_URL`): a proxy, or a test server. The exchange's own when omitted.
   */
  apiUrl?: string;
  /** ccxt's own timeout for each HTTP request, in ms. A call's `AbortSignal` may end it sooner. */
  timeoutMs: number;
}

/**
 * Options per exchange, so that loading markets calls only public endpoints that this gateway
 * reads. binance's `loadMarkets` then calls `GET /api/v3/exchangeInfo` (spot) and
 * `GET /fapi/v1/exchangeInfo` (USDⓈ-M perpetuals) and nothing else: not `/dapi` (coin-margined)
 * nor `/eapi` (options), and never `sapi` (currencies, margin pairs), which needs keys (ccxt
 * skips those without keys already; the options say so rather than rely on it).
 */
const EXCHANGE_OPTIONS: Readonly<Record<string, Record<string, unknown>>> = {
  binance: { fetchMarkets: { types: ['spot', 'linear'], loadAllOptions: false }, fetchCurrencies: false, fetchMargins: false },
};

type Market = NonNullable<MaybeMarket>;

/**
 * What one call of an exchange accepts, where ccxt passes our number through unchecked. binance:
 * USDⓈ-M `/fapi/v1/depth` answers -4021 "Invalid depth limit" to a limit not in its list (spot
 * `/api/v3/depth` takes any up to 5000), and `aggTrades` (ccxt's `fetchTrades`) serves at most
 * 1000, a limit ccxt caps for perpetuals but sends as it is for spot.
 */
interface CallLimits {
  /** The `limit`s the order book endpoint accepts, ascending, by kind of market; any where absent. */
  bookLimits?: Partial<Record<'spot' | 'linear' | 'inverse', readonly number[]>>;
  /** The most trades one `fetchTrades` call serves. */
  maxTrades?: number;
}

const CALL_LIMITS: Readonly<Record<string, CallLimits>> = {
  binance: { bookLimits: { linear: [5, 10, 20, 50, 100, 500, 1000] }, maxTrades: 1000 },
};

/** How many `fetchTicker` calls run at once on an exchange that cannot fetch several tickers in one. */
const TICKER_CONCURRENCY = 4;

/** Why `exchangeId` cannot be used, or `undefined` when ccxt knows it. */
export function exchangeIdProblem(exchangeId: string): string | undefined {
  return Object.hasOwn(exchanges, exchangeId) ? undefined : unknownExchange(exchangeId);
}

function unknownExchange(exchangeId: string): string {
  return `EXCHANGE_ID: expected a ccxt exchange id such as binance, bybit or okx, received ${JSON.stringify(exchangeId)}`;
}

/**
 * An `ExchangeSource` through ccxt: public market data, no keys, ccxt's rate limiter on. Every
 * answer is checked by the value rules of the API's scalars before it is returned, and every
 * failure, ccxt's or ours, is an `UpstreamError`: no ccxt error leaves this file.
 */
export function createExchangeSource({ exchangeId, apiUrl, timeoutMs }: ExchangeSourceOptions): ExchangeSource {
  const ExchangeClass = Object.hasOwn(exchanges, exchangeId) ? exchanges[exchangeId as keyof typeof exchanges] : undefined;
  if (ExchangeClass === undefined) throw new Error(unknownExchange(exchangeId));
  const exchange: Exchange = new ExchangeClass({ enableRateLimit: true, timeout: timeoutMs, options: EXCHANGE_OPTIONS[exchangeId] ?? {} });
  if (apiUrl !== undefined) exchange.urls = { ...exchange.urls, api: replaceApiOrigin(exchange.urls['api'], apiUrl) };

  // ccxt keeps the headers of the last response on the exchange (`last_response_headers`),
  // which a concurrent request may overwrite before our catch reads them. Reading them from the
  // very response whose handling failed ties a 429's Retry-After to its own error.
  const retryAfterOf = new WeakMap<object, number>();
  const handleRestResponse = exchange.handleRestResponse.bind(exchange);
  exchange.handleRestResponse = (response: unknown, url: unknown, method?: string, headers?: unknown, body?: unknown) =>
    Promise.resolve(handleRestResponse(response, url, method, headers, body)).catch((error: unknown) => {
      const retryAfterMs = parseRetryAfter(exchange.getResponseHeaders(response)['Retry-After']);
      if (retryAfterMs !== undefined && typeof error === 'object' && error !== null) retryAfterOf.set(error, retryAfterMs);
      throw error;
    });

  // ccxt's own `loadMarkets` shares one promise too, but keeps a rejected one forever: a failed
  // first load would fail every later call. Ours forgets a failure, and retries with `reload`.
  let markets: Promise<Record<string, MaybeMarket>> | undefined;
  let loadFailed = false;
  function loadMarkets(): Promise<Record<string, MaybeMarket>> {
    if (markets !== undefined) return markets;
    markets = exchange.loadMarkets(loadFailed).then(
      (loaded) => {
        // An exchange with no markets answered something else (an error page, a changed API):
        // caching it would make every symbol "not listed" until a restart.
        if (Object.keys(loaded).length === 0) throw new UpstreamError('exchange', `${exchangeId} listed no markets`);
        return loaded;
      },
    ).catch((error: unknown) => {
      markets = undefined;
      loadFailed = true;
      throw error;
    });
    return markets;
  }

  /**
   * Runs `work` until it settles or `signal` fires, whichever comes first. ccxt takes no signal:
   * an abandoned request runs on inside it (bounded by its own timeout) and its result is dropped.
   */
  async function upstream<T>(what: string, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    const stopped = () => new UpstreamError('exchange', `${exchangeId} ${what}: stopped (${describe(signal.reason)})`);
    if (signal.aborted) throw stopped();
    let onAbort!: () => void;
    const aborted = new Promise<never>((_, reject) => (onAbort = () => reject(stopped())));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await Promise.race([work().catch((error: unknown) => Promise.reject(toUpstreamError(error, what))), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  function toUpstreamError(error: unknown, what: string): UpstreamError {
    if (error instanceof UpstreamError) return error;
    const detail = `${exchangeId} ${what}: ${kindOf(error)}: ${brief(error)}`;
    return new UpstreamError('exchange', detail, typeof error === 'object' && error !== null ? retryAfterOf.get(error) : undefined);
  }

  /**
   * Tickers of one kind of market (spot, linear swaps...): ccxt's `fetchTickers` refuses a mix,
   * since exchanges such as binance answer each kind from its own endpoint.
   */
  async function tickersOf(symbols: string[]): Promise<Array<[string, Ticker | null]>> {
    if (exchange.has['fetchTickers']) {
      const answer = await exchange.fetchTickers(symbols);
      return symbols.map((symbol) => {
        const raw = answer[symbol];
        if (raw === undefined) throw new UpstreamError('exchange', `malformed tickers: no ticker for ${symbol} in the answer`);
        return [symbol, toTicker(symbol, raw)];
      });
    }
    return mapBounded(symbols, TICKER_CONCURRENCY, async (symbol) => {
      const raw = await exchange.fetchTicker(symbol).catch(nullIfBadSymbol);
      return [symbol, raw === null ? null : toTicker(symbol, raw)];
    });
  }

  /** The most bars one call returns for `market`, where ccxt knows it (binance spot: 1000). */
  function pageLimit(market: Market): number | undefined {
    const features = exchange.features?.[market.type ?? 'spot'] as Record<string, any> | undefined;
    const byKind = market.spot ? features : features?.[market.linear ? 'linear' : 'inverse'];
    const limit = byKind?.['fetchOHLCV']?.['limit'];
    return typeof limit === 'number' && limit > 0 ? limit : undefined;
  }

  /** The limit to ask for `depth` levels: the smallest the endpoint accepts that covers it, else its largest. */
  function bookLimit(market: Market, depth: number): number {
    const accepted = CALL_LIMITS[exchangeId]?.bookLimits?.[market.spot ? 'spot' : market.linear ? 'linear' : 'inverse'];
    if (accepted === undefined) return depth;
    return accepted.find((limit) => limit >= depth) ?? accepted.at(-1) ?? depth;
  }

  /**
   * Bars oldest first, each checked as soon as it arrives (before paging looks at its time). From
   * `sinceMs`, pages run forwards after the newest bar so far; without it, the newest bars come
   * first and pages run backwards before the oldest (ccxt's `until`). Paging stops at `limit`
   * bars, at a short page, or at one that adds nothing: an exchange that ignores `since` or
   * `until` would otherwise be asked the same page forever.
   */
  async function barsOf(market: Market, timeframe: Timeframe, { sinceMs, limit }: BarsRequest): Promise<Bar[]> {
    const pageSize = pageLimit(market) ?? Infinity;
    let bars: Bar[] = [];
    while (bars.length < limit) {
      const want = Math.min(limit - bars.length, pageSize);
      const page = async (since: number | undefined, params = {}) =>
        (await exchange.fetchOHLCV(market.symbol, timeframe, since, want, params)).map((row) => toBar(market.symbol, timeframe, row));
      let received: Bar[];
      let fresh: Bar[];
      if (sinceMs === undefined) {
        const oldestMs = bars[0]?.openTime.getTime();
        received = await page(undefined, oldestMs === undefined ? {} : { until: oldestMs - 1 });
        fresh = received.filter((bar) => oldestMs === undefined || bar.openTime.getTime() < oldestMs).slice(-want);
        bars = [...fresh, ...bars];
      } else {
        const fromMs = (bars.at(-1)?.openTime.getTime() ?? sinceMs - 1) + 1;
        received = await page(fromMs);
        fresh = received.filter((bar) => bar.openTime.getTime() >= fromMs).slice(0, want);
        bars = [...bars, ...fresh];
      }
      if (fresh.length === 0 || received.length < want) break;
    }
    return bars;
  }

  return {
    id: exchangeId,

    fetchTickers(symbols, signal) {
      return upstream('fetchTickers', signal, async () => {
        const result = new Map<string, Ticker | null>(symbols.map((symbol) => [symbol, null]));
        if (symbols.length === 0) return result;
        const listed = await loadMarkets();
        const groups = new Map<string, string[]>();
        for (const symbol of result.keys()) {
          const market = listed[symbol];
          if (market === undefined) continue;
          const kind = `${market.type}:${market.linear ? 'linear' : market.inverse ? 'inverse' : ''}`;
          groups.set(kind, [...(groups.get(kind) ?? []), symbol]);
        }
        const answers = await Promise.all([...groups.values()].map(tickersOf));
        for (const [symbol, ticker] of answers.flat()) result.set(symbol, ticker);
        return result;
      });
    },

    fetchFundingRate(symbol, signal) {
      return upstream('fetchFundingRate', signal, async () => {
        const market = (await loadMarkets())[symbol];
        if (market === undefined || !market.swap) return null;
        if (!exchange.has['fetchFundingRate']) throw new UpstreamError('exchange', `${exchangeId} offers no funding rates`);
        const raw = await exchange.fetchFundingRate(symbol).catch(nullIfBadSymbol);
        if (raw === null) return null;
        const check = checker('funding rate', symbol);
        const nextFundingMs = raw.nextFundingTimestamp ?? raw.fundingTimestamp;
        return {
          symbol,
          rate: check('fundingRate', raw.fundingRate, isFloat, true),
          nextFundingTime: nextFundingMs == null ? null : new Date(check('nextFundingTimestamp', nextFundingMs, isTimeMs, true)),
          time: timeOf(check('timestamp', raw.timestamp, isTimeMs, false)),
        } satisfies FundingRate;
      });
    },

    fetchBars(symbol, timeframe, request, signal) {
      return upstream('fetchBars', signal, async () => {
        if (!exchange.has['fetchOHLCV']) throw new UpstreamError('exchange', `${exchangeId} offers no bars`);
        if (exchange.timeframes?.[timeframe] === undefined) {
          const offered = Object.keys(exchange.timeframes ?? {}).join(', ');
          throw new UpstreamError('exchange', `${exchangeId} offers no ${timeframe} bars (its timeframes: ${offered})`);
        }
        const market = (await loadMarkets())[symbol];
        if (market === undefined) return null;
        return barsOf(market, timeframe, request).catch(nullIfBadSymbol);
      });
    },

    fetchOrderBook(symbol, depth, signal) {
      return upstream('fetchOrderBook', signal, async () => {
        if (!exchange.has['fetchOrderBook']) throw new UpstreamError('exchange', `${exchangeId} offers no order books`);
        const market = (await loadMarkets())[symbol];
        if (market === undefined) return null;
        const raw = await exchange.fetchOrderBook(symbol, bookLimit(market, depth)).catch(nullIfBadSymbol);
        return raw === null ? null : toOrderBook(symbol, raw, depth);
      });
    },

    fetchTrades(symbol, limit, signal) {
      return upstream('fetchTrades', signal, async () => {
        if (!exchange.has['fetchTrades']) throw new UpstreamError('exchange', `${exchangeId} offers no trades`);
        const market = (await loadMarkets())[symbol];
        if (market === undefined) return null;
        const want = Math.min(limit, CALL_LIMITS[exchangeId]?.maxTrades ?? Infinity);
        const raw = await exchange.fetchTrades(symbol, undefined, want).catch(nullIfBadSymbol);
        if (raw === null) return null;
        // ccxt's `parseTrades` sorts oldest first (ties by id) and keeps the newest `want`.
        return raw.map((trade) => toTrade(symbol, trade)).reverse().slice(0, limit);
      });
    },
  };
}

/**
 * `api` (an exchange's `urls.api`: a URL, or objects of them nested) with `apiUrl` in place of
 * each URL's origin: `https://fapi.binance.com/fapi/v1` becomes `<apiUrl>/fapi/v1`. Strings that
 * are not http(s) URLs stay as they are; ccxt's `{hostname}` placeholders count as a host.
 */
export function replaceApiOrigin<T>(api: T, apiUrl: string): T {
  if (!/^https?:\/\/[^/]+/i.test(apiUrl)) {
    throw new Error(`EXCHANGE_API_URL: expected an http(s) URL such as http://127.0.0.1:8080, received ${JSON.stringify(apiUrl)}`);
  }
  const origin = apiUrl.replace(/\/+$/, '');
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replace(/^https?:\/\/[^/]+/i, origin);
    if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, walk(inner)]));
    return value;
  };
  return walk(api) as T;
}

function nullIfBadSymbol(error: unknown): null {
  if (error instanceof BadSymbol) return null;
  throw error;
}

function kindOf(error: unknown): string {
  if (error instanceof RateLimitExceeded || error instanceof DDoSProtection) return 'rate limited';
  if (error instanceof RequestTimeout) return 'timed out';
  if (error instanceof ExchangeNotAvailable) return 'unavailable';
  if (error instanceof NetworkError) return 'unreachable';
  if (error instanceof BaseError) return 'error from the exchange';
  // Not ccxt's own: its parsing tripped on an answer it did not expect (`Cannot convert abc to
  // a BigInt`), or a bug.
  return 'malformed answer';
}

/** An error's message, cut short: ccxt quotes whole response bodies (an HTML page, say). */
function brief(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 300 ? `${message.slice(0, 300)}...` : message;
}

/** `Retry-After` as seconds or an HTTP date, in ms; `undefined` when absent or unreadable. */
function parseRetryAfter(header: unknown): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** `fn` over `items`, at most `concurrency` at a time, results in the order of `items`. */
async function mapBounded<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
