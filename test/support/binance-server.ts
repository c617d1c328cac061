import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Binance REST API on loopback, for testing the exchange source through ccxt without the
 * internet: a real `node:http` server answering in Binance's documented wire format, as far as
 * ccxt's binance reads it (node_modules/ccxt/js/src/binance.js: `fetchMarkets`, `parseMarket`,
 * `parseTicker`, `parseOHLCV`, `parseFundingRate`, `fetchOrderBook`, `parseTrade`). It serves the spot API (`/api/v3`) and the
 * USDⓈ-M futures API (`/fapi/v1`), both on one origin, as the source's `apiUrl` rewrite expects.
 *
 * Trades are served from `aggTrades`, the endpoint ccxt's `fetchTrades` calls by default (its
 * `fetchTradesMethod` option), not `trades` nor `historicalTrades`.
 *
 * Every request is counted by path (and by symbol where it names some); a path it does not
 * serve is answered 404 and recorded in `unexpected()`, so that a test can fail on a call it did
 * not foresee. Faults (`mode`) apply to one path or to all.
 */
export interface BinanceServer {
  /** The origin to give the source as `apiUrl`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /**
   * Requests received (faulted ones included): all of them, those to `path`, or those to `path`
   * that named `symbol` (a Binance id such as `BTCUSDT`, in `symbol=` or in `symbols=[...]`).
   */
  calls(path?: string, symbol?: string): number;
  /** The paths requested that this server does not serve, in order (each answered 404). */
  unexpected(): string[];
  /** The query of each request to `path`, in order: which `limit` ccxt sent, say. */
  queries(path: string): URLSearchParams[];
  /** Overrides fields of a symbol's 24 h ticker (spot and futures), as wire strings or numbers. */
  setTicker(id: string, fields: Partial<Record<keyof Ticker24h, string | number>>): void;
  /** The bars of `id` at `interval` (`1m`, `1h`...), replacing any; sorted by open time here. */
  setBars(id: string, interval: string, bars: readonly BarRow[]): void;
  /** Overrides fields of a perpetual's premium index (funding), as wire strings or numbers. */
  setFunding(id: string, fields: Partial<Record<keyof PremiumIndex, string | number>>): void;
  /**
   * The book of `id` (spot and futures), each side served in the order given, so that a test can
   * send a misordered or crossed one. Until set, 1000 levels a side a cent apart around its price.
   */
  setBook(id: string, book: { bids: readonly LevelRow[]; asks: readonly LevelRow[] }): void;
  /** The trades of `id` (spot and futures), replacing any; sorted by id here. None until set. */
  setTrades(id: string, trades: readonly TradeRow[]): void;
  /**
   * Applies `fault` to `path` (e.g. `/api/v3/ticker/24hr`), or to every path without a fault of
   * its own; `{}` clears the fault of `path` (or the one of every path).
   */
  mode(fault: Fault, path?: string): void;
  /** Back to the initial prices, bars, funding, books and trades, no faults, no counts, nothing unexpected. */
  reset(): void;
  /** Closes the server and every connection, answering nothing still delayed. */
  stop(): Promise<void>;
}

/** What a path does instead of (or before) answering normally. */
export interface Fault {
  /** Waits this long before answering (or failing), in ms. */
  delayMs?: number;
  /** Answers 429 with `Retry-After: retryAfterSeconds` and Binance's -1003 body. */
  status429?: { retryAfterSeconds: number };
  /** Answers 500 with Binance's -1000 body. */
  status500?: boolean;
  /** Answers 200 with this body instead of the documented one (HTML, JSON of another shape...). */
  garbage?: string;
  /** Destroys the socket without answering. */
  close?: boolean;
}

/** `[openTime ms, open, high, low, close, volume]`: the part of a kline the tests choose. */
export type BarRow = readonly [number, number | string, number | string, number | string, number | string, number | string];

/** `[price, quantity]` of one book level, sent as strings. */
export type LevelRow = readonly [number | string, number | string];

/** One trade, served as an aggregate trade of one trade (`a`, `p`, `q`, `f`, `l`, `T`, `m`). */
export interface TradeRow {
  id: number;
  price: number | string;
  qty: number | string;
  time: number;
  /** Whether the buyer was the maker, i.e. the taker sold. */
  isBuyerMaker: boolean;
}

/** `GET /api/v3/ticker/24hr`, as documented (`FULL`); futures omit the book fields. */
export interface Ticker24h {
  symbol: string;
  priceChange: string;
  priceChangePercent: string;
  weightedAvgPrice: string;
  prevClosePrice: string;
  lastPrice: string;
  lastQty: string;
  bidPrice: string;
  bidQty: string;
  askPrice: string;
  askQty: string;
  openPrice: string;
  highPrice: string;
  lowPrice: string;
  volume: string;
  quoteVolume: string;
  openTime: number;
  closeTime: number;
  firstId: number;
  lastId: number;
  count: number;
}

/** `GET /fapi/v1/premiumIndex`, as documented. */
export interface PremiumIndex {
  symbol: string;
  markPrice: string;
  indexPrice: string;
  estimatedSettlePrice: string;
  lastFundingRate: string;
  interestRate: string;
  nextFundingTime: number;
  time: number;
}

/** Spot markets: three real ones and 50 synthetic ones (`S00USDT`..`S49USDT`), with a price each. */
const SPOT_PRICES: ReadonlyMap<string, number> = new Map([
  ['BTCUSDT', 65_000],
  ['ETHUSDT', 3_500],
  ['SOLUSDT', 150],
  ...Array.from({ length: 50 }, (_, i): [string, number] => [`S${String(i).padStart(2, '0')}USDT`, 1 + i]),
]);
/** USDⓈ-M perpetuals (ccxt: `BTC/USDT:USDT`, `ETH/USDT:USDT`). */
const PERPETUALS: readonly string[] = ['BTCUSDT', 'ETHUSDT'];

/** Binance's interval names, in ms (`1M` as 30 days: only the close time uses it). */
const INTERVAL_MS: Readonly<Record<string, number>> = {
  '1s': 1_000, '1m': 60_000, '3m': 180_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000,
  '1h': 3_600_000, '2h': 7_200_000, '4h': 14_400_000, '6h': 21_600_000, '8h': 28_800_000,
  '12h': 43_200_000, '1d': 86_400_000, '3d': 259_200_000, '1w': 604_800_000, '1M': 2_592_000_000,
};

/** A fixed clock, so that tests can expect exact times: 2025-01-01T00:00:00Z. */
export const SERVER_TIME_MS = Date.UTC(2025, 0, 1);

/** `count` rising bars of `intervalMs` from `startMs`, each one consistent (low <= open, close <= high). */
export function syntheticBars(count: number, startMs: number, intervalMs: number): BarRow[] {
  return Array.from({ length: count }, (_, i) => {
    const open = 100 + i;
    return [startMs + i * intervalMs, open, open + 2, open - 1, open + 1, 10 + (i % 7)] as const;
  });
}

export async function startBinanceServer(): Promise<BinanceServer> {
  let tickers = new Map<string, Partial<Record<keyof Ticker24h, string | number>>>();
  let funding = new Map<string, Partial<Record<keyof PremiumIndex, string | number>>>();
  let bars = new Map<string, BarRow[]>();
  let books = new Map<string, { bids: readonly LevelRow[]; asks: readonly LevelRow[] }>();
  let trades = new Map<string, TradeRow[]>();
  let queries = new Map<string, URLSearchParams[]>();
  let faults = new Map<string | undefined, Fault>();
  let counts = new Map<string, number>();
  let unexpected: string[] = [];
  const delays = new Set<NodeJS.Timeout>();

  const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

  function ticker24h(id: string, futures: boolean): Record<string, string | number> {
    const price = SPOT_PRICES.get(id) ?? 1;
    const full: Ticker24h = {
      symbol: id,
      priceChange: (price * 0.01).toFixed(8),
      priceChangePercent: '1.010',
      weightedAvgPrice: price.toFixed(8),
      prevClosePrice: (price * 0.99).toFixed(8),
      lastPrice: price.toFixed(8),
      lastQty: '0.50000000',
      bidPrice: (price - 0.01).toFixed(8),
      bidQty: '1.20000000',
      askPrice: (price + 0.01).toFixed(8),
      askQty: '0.80000000',
      openPrice: (price * 0.99).toFixed(8),
      highPrice: (price * 1.02).toFixed(8),
      lowPrice: (price * 0.97).toFixed(8),
      volume: '1234.50000000',
      quoteVolume: (price * 1234.5).toFixed(8),
      openTime: SERVER_TIME_MS - 86_400_000,
      closeTime: SERVER_TIME_MS,
      firstId: 1,
      lastId: 1000,
      count: 1000,
    };
    const answer: Record<string, string | number> = { ...full, ...tickers.get(id) };
    if (futures) for (const key of ['prevClosePrice', 'bidPrice', 'bidQty', 'askPrice', 'askQty']) delete answer[key];
    return answer;
  }

  function premiumIndex(id: string): Record<string, string | number> {
    const price = SPOT_PRICES.get(id) ?? 1;
    const index: PremiumIndex = {
      symbol: id,
      markPrice: price.toFixed(8),
      indexPrice: price.toFixed(8),
      estimatedSettlePrice: price.toFixed(8),
      lastFundingRate: '0.00010000',
      interestRate: '0.00010000',
      nextFundingTime: SERVER_TIME_MS + 8 * 3_600_000,
      time: SERVER_TIME_MS,
    };
    return { ...index, ...funding.get(id) };
  }

  /** Binance's kline selection: from `startTime` forwards, else the newest up to `endTime`. */
  function klines(id: string, query: URLSearchParams, maxLimit: number): unknown[] {
    const interval = query.get('interval') ?? '';
    const intervalMs = INTERVAL_MS[interval];
    if (intervalMs === undefined) throw new WireError(400, -1120, 'Invalid interval.');
    const limit = Math.min(Number(query.get('limit') ?? 500), maxLimit);
    const start = query.has('startTime') ? Number(query.get('startTime')) : -Infinity;
    const end = query.has('endTime') ? Number(query.get('endTime')) : Infinity;
    const inRange = (bars.get(`${id}@${interval}`) ?? []).filter(([openTime]) => openTime >= start && openTime <= end);
    const chosen = query.has('startTime') ? inRange.slice(0, limit) : inRange.slice(-limit);
    return chosen.map(([openTime, open, high, low, close, volume]) => [
      openTime, String(open), String(high), String(low), String(close), String(volume),
      openTime + intervalMs - 1, '0.00000000', 100, '0.00000000', '0.00000000', '0',
    ]);
  }

  /** A wire `limit` in 1..`max` (`fallback` when absent), or Binance's -1130. */
  function limitOf(query: URLSearchParams, fallback: number, max: number): number {
    if (!query.has('limit')) return fallback;
    const limit = Number(query.get('limit'));
    if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new WireError(400, -1130, "Data sent for parameter 'limit' is not valid.");
    return limit;
  }

  /**
   * `GET /api/v3/depth` (limit 1..5000, default 100) and `GET /fapi/v1/depth` (only the limits
   * below, default 500, else -4021), each side cut to `limit`.
   */
  function depth(id: string, query: URLSearchParams, futures: boolean): unknown {
    let limit: number;
    if (futures) {
      limit = Number(query.get('limit') ?? 500);
      if (![5, 10, 20, 50, 100, 500, 1000].includes(limit)) throw new WireError(400, -4021, 'Invalid depth limit.');
    } else {
      limit = Math.min(limitOf(query, 100, Infinity), 5000);
    }
    const price = SPOT_PRICES.get(id) ?? 1;
    const around = (sign: number) => Array.from({ length: 1000 }, (_, i): LevelRow => [(price + sign * 0.01 * (i + 1)).toFixed(8), '1.00000000']);
    const { bids, asks } = books.get(id) ?? { bids: around(-1), asks: around(1) };
    const side = (levels: readonly LevelRow[]) => levels.slice(0, limit).map(([p, qty]) => [String(p), String(qty)]);
    const times = futures ? { E: SERVER_TIME_MS + 5, T: SERVER_TIME_MS } : {};
    return { lastUpdateId: 1027024, ...times, bids: side(bids), asks: side(asks) };
  }

  /** `GET /api/v3/aggTrades` and `/fapi/v1/aggTrades` without `fromId` or times: the newest `limit`, oldest first. */
  function aggTrades(id: string, query: URLSearchParams, futures: boolean): unknown[] {
    const limit = limitOf(query, 500, 1000);
    return (trades.get(id) ?? []).slice(-limit).map((trade) => ({
      a: trade.id,
      p: String(trade.price),
      q: String(trade.qty),
      f: trade.id,
      l: trade.id,
      T: trade.time,
      m: trade.isBuyerMaker,
      ...(!futures && { M: true }),
    }));
  }

  /** The documented answer to `path`, or a `WireError`; `undefined` for a path not served. */
  function answer(path: string, query: URLSearchParams): unknown {
    const symbol = query.get('symbol');
    const spot = (id: string) => {
      if (!SPOT_PRICES.has(id)) throw new WireError(400, -1121, 'Invalid symbol.');
      return id;
    };
    const perpetual = (id: string) => {
      if (!PERPETUALS.includes(id)) throw new WireError(400, -1121, 'Invalid symbol.');
      return id;
    };
    switch (path) {
      case '/api/v3/exchangeInfo':
        return exchangeInfo([...SPOT_PRICES.keys()].map(spotMarket));
      case '/fapi/v1/exchangeInfo':
        return exchangeInfo(PERPETUALS.map(perpetualMarket));
      case '/api/v3/ticker/24hr': {
        if (symbol !== null) return ticker24h(spot(symbol), false);
        const ids = query.has('symbols') ? symbolList(query.get('symbols') ?? '') : [...SPOT_PRICES.keys()];
        return ids.map((id) => ticker24h(spot(id), false));
      }
      case '/fapi/v1/ticker/24hr':
        return symbol !== null ? ticker24h(perpetual(symbol), true) : PERPETUALS.map((id) => ticker24h(id, true));
      case '/api/v3/klines':
        return klines(spot(symbol ?? ''), query, 1000);
      case '/fapi/v1/klines':
        return klines(perpetual(symbol ?? ''), query, 1500);
      case '/fapi/v1/premiumIndex':
        return symbol !== null ? premiumIndex(perpetual(symbol)) : PERPETUALS.map(premiumIndex);
      case '/api/v3/depth':
        return depth(spot(symbol ?? ''), query, false);
      case '/fapi/v1/depth':
        return depth(perpetual(symbol ?? ''), query, true);
      case '/api/v3/aggTrades':
        return aggTrades(spot(symbol ?? ''), query, false);
      case '/fapi/v1/aggTrades':
        return aggTrades(perpetual(symbol ?? ''), query, true);
      default:
        return undefined;
    }
  }

  function respond(req: IncomingMessage, res: ServerResponse) {
    const { pathname: path, searchParams: query } = new URL(req.url ?? '/', 'http://binance.invalid');
    count(path);
    queries.set(path, [...(queries.get(path) ?? []), query]);
    for (const id of namedSymbols(query)) count(`${path} ${id}`);
    const fault = faults.get(path) ?? faults.get(undefined) ?? {};
    const send = () => {
      if (fault.close) return void req.socket.destroy();
      if (fault.status429) {
        const body = { code: -1003, msg: 'Too many requests; current limit of IP is 6000 requests per minute.' };
        return reply(res, 429, body, { 'retry-after': String(fault.status429.retryAfterSeconds) });
      }
      if (fault.status500) return reply(res, 500, { code: -1000, msg: 'An unknown error occurred while processing the request.' });
      if (fault.garbage !== undefined) return void res.writeHead(200, { 'content-type': 'text/html' }).end(fault.garbage);
      try {
        const body = req.method === 'GET' ? answer(path, query) : undefined;
        if (body !== undefined) return reply(res, 200, body);
        unexpected.push(`${req.method} ${path}`);
        console.warn(`binance-server: no route for ${req.method} ${req.url}`);
        reply(res, 404, { code: -1, msg: `binance-server does not serve ${req.method} ${path}` });
      } catch (error) {
        if (!(error instanceof WireError)) throw error;
        reply(res, error.status, { code: error.code, msg: error.message });
      }
    };
    if (!fault.delayMs) return send();
    const timer = setTimeout(() => {
      delays.delete(timer);
      send();
    }, fault.delayMs);
    delays.add(timer);
  }

  const server = createServer(respond);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls(path, symbol) {
      if (path === undefined) return [...counts].reduce((sum, [key, n]) => (key.includes(' ') ? sum : sum + n), 0);
      return counts.get(symbol === undefined ? path : `${path} ${symbol}`) ?? 0;
    },
    unexpected: () => [...unexpected],
    queries: (path) => [...(queries.get(path) ?? [])],
    setTicker: (id, fields) => void tickers.set(id, { ...tickers.get(id), ...fields }),
    setBars: (id, interval, rows) => void bars.set(`${id}@${interval}`, [...rows].sort((a, b) => a[0] - b[0])),
    setFunding: (id, fields) => void funding.set(id, { ...funding.get(id), ...fields }),
    setBook: (id, book) => void books.set(id, book),
    setTrades: (id, rows) => void trades.set(id, [...rows].sort((a, b) => a.id - b.id)),
    mode(fault, path) {
      if (Object.keys(fault).length === 0) faults.delete(path);
      else faults.set(path, fault);
    },
    reset() {
      tickers = new Map();
      funding = new Map();
      bars = new Map();
      books = new Map();
      trades = new Map();
      queries = new Map();
      faults = new Map();
      counts = new Map();
      unexpected = [];
    },
    async stop() {
      for (const timer of delays) clearTimeout(timer);
      delays.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A Binance error answer: `{"code": -1121, "msg": "Invalid symbol."}` with an HTTP status. */
class WireError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers }).end(JSON.stringify(body));
}

/** `symbols=["BTCUSDT","ETHUSDT"]`, as ccxt sends it (JSON, URL-encoded). */
function symbolList(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WireError(400, -1100, "Illegal characters found in parameter 'symbols'.");
  }
  if (!Array.isArray(parsed) || !parsed.every((id) => typeof id === 'string')) {
    throw new WireError(400, -1100, "Illegal characters found in parameter 'symbols'.");
  }
  return parsed;
}

function namedSymbols(query: URLSearchParams): string[] {
  const one = query.get('symbol');
  if (one !== null) return [one];
  try {
    return query.has('symbols') ? symbolList(query.get('symbols') ?? '') : [];
  } catch {
    return [];
  }
}

function exchangeInfo(symbols: object[]) {
  return {
    timezone: 'UTC',
    serverTime: SERVER_TIME_MS,
    rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 }],
    exchangeFilters: [],
    symbols,
  };
}

/** A spot symbol of `/api/v3/exchangeInfo`, with the fields `parseMarket` reads. */
function spotMarket(id: string) {
  const baseAsset = id.slice(0, -'USDT'.length);
  return {
    symbol: id,
    status: 'TRADING',
    baseAsset,
    baseAssetPrecision: 8,
    quoteAsset: 'USDT',
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    orderTypes: ['LIMIT', 'MARKET'],
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' },
      { filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000.00000000', stepSize: '0.00001000' },
      { filterType: 'NOTIONAL', minNotional: '5.00000000', applyMinToMarket: true, maxNotional: '9000000.00000000' },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
  };
}

/** A perpetual of `/fapi/v1/exchangeInfo`: `contractType: PERPETUAL` makes it a ccxt swap. */
function perpetualMarket(id: string) {
  const baseAsset = id.slice(0, -'USDT'.length);
  return {
    symbol: id,
    pair: id,
    contractType: 'PERPETUAL',
    deliveryDate: 4133404800000,
    onboardDate: 1569398400000,
    status: 'TRADING',
    baseAsset,
    quoteAsset: 'USDT',
    marginAsset: 'USDT',
    pricePrecision: 2,
    quantityPrecision: 3,
    baseAssetPrecision: 8,
    quotePrecision: 8,
    underlyingType: 'COIN',
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: '0.10', maxPrice: '4529764', tickSize: '0.10' },
      { filterType: 'LOT_SIZE', minQty: '0.001', maxQty: '1000', stepSize: '0.001' },
      { filterType: 'MIN_NOTIONAL', notional: '100' },
    ],
    orderTypes: ['LIMIT', 'MARKET'],
    timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
  };
}
