import { exchanges } from 'ccxt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createExchangeSource, replaceApiOrigin } from '../src/sources/exchange.js';
import { UpstreamError } from '../src/sources/source.js';
import { SERVER_TIME_MS, startBinanceServer, syntheticBars, type BinanceServer, type TradeRow } from './support/binance-server.js';

/**
 * The exchange source through the real ccxt, against a Binance REST server on loopback that
 * speaks the documented wire format (test/support/binance-server.ts): what ccxt calls, how often,
 * and what the source makes of each answer and each failure.
 */
let server: BinanceServer;
beforeAll(async () => {
  server = await startBinanceServer();
});
afterAll(() => server.stop());
afterEach(() => {
  // Every path ccxt called is one the server serves: nothing went to dapi, eapi or sapi.
  expect(server.unexpected()).toEqual([]);
  server.reset();
});

const TICKERS = '/api/v3/ticker/24hr';
const KLINES = '/api/v3/klines';
const PREMIUM_INDEX = '/fapi/v1/premiumIndex';
const DEPTH = '/api/v3/depth';
const FUTURES_DEPTH = '/fapi/v1/depth';
const AGG_TRADES = '/api/v3/aggTrades';
const FUTURES_AGG_TRADES = '/fapi/v1/aggTrades';
const MINUTE_MS = 60_000;

function binance({ timeoutMs = 2_000 } = {}) {
  return createExchangeSource({ exchangeId: 'binance', apiUrl: server.url, timeoutMs });
}

/** A signal that only a hung test would see fire. */
const patient = () => AbortSignal.timeout(10_000);

/** The rejection of `promise`, which must be an `UpstreamError`. */
async function upstreamError(promise: Promise<unknown>): Promise<UpstreamError> {
  const error = await promise.then(
    () => expect.fail('expected an UpstreamError, the call succeeded'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UpstreamError);
  return error as UpstreamError;
}

describe('markets', () => {
  it('loads once, calling only the spot and USDⓈ-M exchangeInfo, for concurrent and later calls', async () => {
    const source = binance();
    server.setBars('BTCUSDT', '1h', syntheticBars(3, SERVER_TIME_MS, 3_600_000));
    await Promise.all([
      source.fetchTickers(['BTC/USDT'], patient()),
      source.fetchFundingRate('BTC/USDT:USDT', patient()),
      source.fetchBars('BTC/USDT', '1h', { limit: 3 }, patient()),
    ]);
    await source.fetchTickers(['ETH/USDT'], patient());

    expect(server.calls('/api/v3/exchangeInfo')).toBe(1);
    expect(server.calls('/fapi/v1/exchangeInfo')).toBe(1);
    expect(server.calls()).toBe(2 + 2 + 1 + 1);
  });

  it('tries again on the next call after a failed load', async () => {
    const source = binance();
    server.mode({ status500: true }, '/api/v3/exchangeInfo');
    await upstreamError(source.fetchTickers(['BTC/USDT'], patient()));

    server.mode({}, '/api/v3/exchangeInfo');
    const tickers = await source.fetchTickers(['BTC/USDT'], patient());
    expect(tickers.get('BTC/USDT')?.last).toBe(65_000);
    expect(server.calls('/api/v3/exchangeInfo')).toBe(2);
  });

  it('refuses an exchangeInfo that lists nothing, and loads again next time', async () => {
    const source = binance();
    server.mode({ garbage: '{"timezone":"UTC","symbols":[]}' });
    const error = await upstreamError(source.fetchTickers(['BTC/USDT'], patient()));
    expect(error.message).toBe('exchange: binance listed no markets');

    server.mode({});
    expect((await source.fetchTickers(['BTC/USDT'], patient())).get('BTC/USDT')).not.toBeNull();
  });
});

describe('tickers', () => {
  it('serves 3 listed symbols and an unlisted one with one ticker call, mapping every field', async () => {
    server.setTicker('BTCUSDT', {
      lastPrice: '64123.45000000',
      bidPrice: '64123.44000000',
      askPrice: '64123.46000000',
      highPrice: '65000.00000000',
      lowPrice: '63000.00000000',
      volume: '987.65400000',
      priceChangePercent: '-1.250',
      closeTime: SERVER_TIME_MS - 5_000,
    });
    const tickers = await binance().fetchTickers(['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'NOPE/USDT'], patient());

    expect(server.calls(TICKERS)).toBe(1);
    expect(['BTCUSDT', 'ETHUSDT', 'SOLUSDT'].map((id) => server.calls(TICKERS, id))).toEqual([1, 1, 1]);
    expect(tickers.get('NOPE/USDT')).toBeNull();
    expect(tickers.get('BTC/USDT')).toEqual({
      symbol: 'BTC/USDT',
      last: 64123.45,
      bid: 64123.44,
      ask: 64123.46,
      high24h: 65000,
      low24h: 63000,
      volume24h: 987.654,
      changePercent24h: -1.25,
      time: new Date(SERVER_TIME_MS - 5_000),
    });
    expect(tickers.get('SOL/USDT')?.last).toBe(150);
  });

  it('serves 50 tickers with one upstream call', async () => {
    const symbols = Array.from({ length: 50 }, (_, i) => `S${String(i).padStart(2, '0')}/USDT`);
    const tickers = await binance().fetchTickers(symbols, patient());

    expect(server.calls(TICKERS)).toBe(1);
    expect([...tickers.keys()]).toEqual(symbols);
    expect(symbols.map((symbol) => tickers.get(symbol)?.last)).toEqual(symbols.map((_, i) => 1 + i));
  });

  it('makes no ticker call when no symbol is listed', async () => {
    const tickers = await binance().fetchTickers(['NOPE/USDT', 'BTC/EUR'], patient());
    expect([...tickers.values()]).toEqual([null, null]);
    expect(server.calls(TICKERS)).toBe(0);
  });

  it('asks spot and perpetual tickers from their own endpoints', async () => {
    const tickers = await binance().fetchTickers(['BTC/USDT', 'BTC/USDT:USDT'], patient());
    expect(server.calls(TICKERS)).toBe(1);
    expect(server.calls('/fapi/v1/ticker/24hr')).toBe(1);
    expect(tickers.get('BTC/USDT:USDT')).toMatchObject({ symbol: 'BTC/USDT:USDT', last: 65_000, bid: null, ask: null });
  });

  it('refuses the whole answer when a required field does not check', async () => {
    server.setTicker('BTCUSDT', { lastPrice: '1e400' });
    const error = await upstreamError(binance().fetchTickers(['BTC/USDT', 'ETH/USDT'], patient()));
    expect(error.message).toBe('exchange: malformed ticker for BTC/USDT: last is Infinity');
  });

  it('refuses a price that is not a number, where ccxt itself trips on it', async () => {
    server.setTicker('BTCUSDT', { lastPrice: 'abc' });
    const error = await upstreamError(binance().fetchTickers(['BTC/USDT'], patient()));
    expect(error.message).toBe('exchange: binance fetchTickers: malformed answer: Cannot convert abc to a BigInt');
  });

  it('refuses an answer that leaves out a symbol asked for', async () => {
    server.mode({ garbage: JSON.stringify([{ symbol: 'ETHUSDT', lastPrice: '3500', bidQty: '1', closeTime: SERVER_TIME_MS }]) }, TICKERS);
    const error = await upstreamError(binance().fetchTickers(['BTC/USDT', 'ETH/USDT'], patient()));
    expect(error.message).toBe('exchange: malformed tickers: no ticker for BTC/USDT in the answer');
  });

  it('refuses a negative volume', async () => {
    server.setTicker('ETHUSDT', { volume: '-3' });
    const error = await upstreamError(binance().fetchTickers(['ETH/USDT'], patient()));
    expect(error.message).toBe('exchange: malformed ticker for ETH/USDT: baseVolume is -3');
  });
});

describe('funding rates', () => {
  it("maps a perpetual's premium index", async () => {
    server.setFunding('BTCUSDT', { lastFundingRate: '0.00012345', nextFundingTime: SERVER_TIME_MS + 3_600_000, time: SERVER_TIME_MS - 1_000 });
    const rate = await binance().fetchFundingRate('BTC/USDT:USDT', patient());

    expect(rate).toEqual({
      symbol: 'BTC/USDT:USDT',
      rate: 0.00012345,
      nextFundingTime: new Date(SERVER_TIME_MS + 3_600_000),
      time: new Date(SERVER_TIME_MS - 1_000),
    });
    expect(server.calls(PREMIUM_INDEX, 'BTCUSDT')).toBe(1);
  });

  it('is null for a spot symbol and for an unlisted one, without asking', async () => {
    const source = binance();
    expect(await source.fetchFundingRate('BTC/USDT', patient())).toBeNull();
    expect(await source.fetchFundingRate('NOPE/USDT:USDT', patient())).toBeNull();
    expect(server.calls(PREMIUM_INDEX)).toBe(0);
  });
});

describe('bars', () => {
  const start = SERVER_TIME_MS - 2_000 * MINUTE_MS;

  it('maps klines oldest first', async () => {
    server.setBars('ETHUSDT', '1m', [
      [start + MINUTE_MS, '3501.5', '3510', '3499', '3505.25', '12.5'],
      [start, '3500', '3502', '3490', '3501.5', '0'],
    ]);
    const bars = await binance().fetchBars('ETH/USDT', '1m', { sinceMs: start, limit: 10 }, patient());

    expect(bars).toEqual([
      { symbol: 'ETH/USDT', timeframe: '1m', openTime: new Date(start), open: 3500, high: 3502, low: 3490, close: 3501.5, volume: 0 },
      { symbol: 'ETH/USDT', timeframe: '1m', openTime: new Date(start + MINUTE_MS), open: 3501.5, high: 3510, low: 3499, close: 3505.25, volume: 12.5 },
    ]);
    expect(server.calls(KLINES)).toBe(1);
  });

  it('paginates forwards past 1000 bars: 1500 from a time in two calls', async () => {
    server.setBars('BTCUSDT', '1m', syntheticBars(2_000, start, MINUTE_MS));
    const bars = await binance().fetchBars('BTC/USDT', '1m', { sinceMs: start, limit: 1_500 }, patient());

    expect(server.calls(KLINES)).toBe(2);
    expect(bars).toHaveLength(1_500);
    expect(bars?.map((bar) => bar.openTime.getTime())).toEqual(Array.from({ length: 1_500 }, (_, i) => start + i * MINUTE_MS));
  });

  it('paginates backwards past 1000 bars: the newest 1500 in two calls', async () => {
    server.setBars('BTCUSDT', '1m', syntheticBars(2_000, start, MINUTE_MS));
    const bars = await binance().fetchBars('BTC/USDT', '1m', { limit: 1_500 }, patient());

    expect(server.calls(KLINES)).toBe(2);
    expect(bars?.map((bar) => bar.openTime.getTime())).toEqual(Array.from({ length: 1_500 }, (_, i) => start + (500 + i) * MINUTE_MS));
  });

  it('stops at the last bar the exchange has', async () => {
    server.setBars('BTCUSDT', '1m', syntheticBars(1_200, start, MINUTE_MS));
    const bars = await binance().fetchBars('BTC/USDT', '1m', { sinceMs: start, limit: 5_000 }, patient());
    expect(bars).toHaveLength(1_200);
    expect(server.calls(KLINES)).toBe(2);
  });

  it('is null for an unlisted symbol, without asking', async () => {
    expect(await binance().fetchBars('NOPE/USDT', '1m', { limit: 10 }, patient())).toBeNull();
    expect(server.calls(KLINES)).toBe(0);
  });

  it('refuses a bar whose low is above its open', async () => {
    server.setBars('BTCUSDT', '1m', [[start, '100', '110', '101', '105', '1']]);
    const error = await upstreamError(binance().fetchBars('BTC/USDT', '1m', { sinceMs: start, limit: 10 }, patient()));
    expect(error.message).toMatch(/^exchange: malformed bar for BTC\/USDT at .*: expected low <= open, close <= high/);
  });

  it('refuses a timeframe the exchange does not offer, before any call', async () => {
    const okx = createExchangeSource({ exchangeId: 'okx', apiUrl: server.url, timeoutMs: 1_000 });
    const error = await upstreamError(okx.fetchBars('BTC/USDT', '8h', { limit: 10 }, patient()));
    expect(error.message).toMatch(/^exchange: okx offers no 8h bars \(its timeframes: 1m, 3m/);
    expect(server.calls()).toBe(0);
  });
});

describe('order books', () => {
  /** The `limit` of each request to `path`, as sent. */
  const limitsSent = (path: string) => server.queries(path).map((query) => query.get('limit'));

  it('maps a spot book: levels as numbers, bids highest first, asks lowest first, at most depth, timed now', async () => {
    server.setBook('BTCUSDT', {
      bids: [['64999.99', '1.5'], ['64999.98', '0'], ['64999.97', '2']],
      asks: [['65000.01', '0.25'], ['65000.02', '3.00000000'], ['65000.03', '1']],
    });
    const before = Date.now();
    const book = await binance().fetchOrderBook('BTC/USDT', 2, patient());

    expect(book).toEqual({
      symbol: 'BTC/USDT',
      bids: [{ price: 64999.99, amount: 1.5 }, { price: 64999.98, amount: 0 }],
      asks: [{ price: 65000.01, amount: 0.25 }, { price: 65000.02, amount: 3 }],
      time: expect.any(Date),
    });
    // Binance's spot depth carries no time: the book is as of its arrival.
    expect(book?.time.getTime()).toBeGreaterThanOrEqual(before);
    expect(book?.time.getTime()).toBeLessThanOrEqual(Date.now());
    expect(server.calls(DEPTH, 'BTCUSDT')).toBe(1);
    expect(limitsSent(DEPTH)).toEqual(['2']);
  });

  it("asks a perpetual for the smallest depth Binance futures accepts, trims to depth, and takes the book's time", async () => {
    const book = await binance().fetchOrderBook('BTC/USDT:USDT', 7, patient());

    expect(limitsSent(FUTURES_DEPTH)).toEqual(['10']);
    expect(book?.bids.map((level) => level.price)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => 65_000 - i / 100));
    expect(book?.asks.map((level) => level.price)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => 65_000 + i / 100));
    expect(book?.time).toEqual(new Date(SERVER_TIME_MS));
  });

  it('asks a perpetual for 1000 levels, its most, for a deeper book', async () => {
    const book = await binance().fetchOrderBook('ETH/USDT:USDT', 1_500, patient());
    expect(limitsSent(FUTURES_DEPTH)).toEqual(['1000']);
    expect(book?.bids).toHaveLength(1_000);
    expect(book?.asks).toHaveLength(1_000);
  });

  it('serves a book with an empty side', async () => {
    server.setBook('SOLUSDT', { bids: [], asks: [['150.01', '4']] });
    const book = await binance().fetchOrderBook('SOL/USDT', 10, patient());
    expect(book).toMatchObject({ bids: [], asks: [{ price: 150.01, amount: 4 }] });
  });

  it('is null for an unlisted symbol, without asking', async () => {
    const source = binance();
    expect(await source.fetchOrderBook('NOPE/USDT', 10, patient())).toBeNull();
    expect(await source.fetchOrderBook('SOL/USDT:USDT', 10, patient())).toBeNull();
    expect(server.calls(DEPTH) + server.calls(FUTURES_DEPTH)).toBe(0);
  });

  it('refuses a crossed book', async () => {
    server.setBook('BTCUSDT', { bids: [['65000', '1'], ['64990', '1']], asks: [['64999.5', '1']] });
    const error = await upstreamError(binance().fetchOrderBook('BTC/USDT', 10, patient()));
    expect(error.message).toBe('exchange: malformed order book for BTC/USDT: crossed, best bid 65000 >= best ask 64999.5');
  });

  it.each([
    ['a zero price', { bids: [['64999', '1'], ['0', '1']], asks: [] }, 'bids[1] price is 0'],
    ['a negative price', { bids: [], asks: [['-1', '1'], ['65001', '1']] }, 'asks[0] price is -1'],
    ['a negative amount', { bids: [['64999', '-0.5']], asks: [['65001', '1']] }, 'bids[0] amount is -0.5'],
    ['a price listed twice', { bids: [['64999', '1'], ['64999', '2']], asks: [] }, 'bids list the price 64999 twice'],
  ] as const)('refuses %s', async (_, book, problem) => {
    server.setBook('BTCUSDT', book);
    const error = await upstreamError(binance().fetchOrderBook('BTC/USDT', 10, patient()));
    expect(error.message).toBe(`exchange: malformed order book for BTC/USDT: ${problem}`);
  });

  it('refuses a price listed twice beyond the depth asked', async () => {
    server.setBook('BTCUSDT', { bids: [['64999', '1'], ['64998', '1'], ['64998', '3']], asks: [['65001', '1']] });
    const error = await upstreamError(binance().fetchOrderBook('BTC/USDT:USDT', 2, patient()));
    expect(error.message).toBe('exchange: malformed order book for BTC/USDT:USDT: bids list the price 64998 twice');
  });

  it('refuses a level without an amount, and a price that is not a number', async () => {
    const source = binance();
    server.mode({ garbage: JSON.stringify({ lastUpdateId: 1, bids: [['64999']], asks: [] }) }, DEPTH);
    const noAmount = await upstreamError(source.fetchOrderBook('BTC/USDT', 10, patient()));
    expect(noAmount.message).toBe('exchange: malformed order book for BTC/USDT: bids[0] amount is missing');

    server.setBook('ETHUSDT', { bids: [['abc', '1']], asks: [] });
    server.mode({}, DEPTH);
    const notANumber = await upstreamError(source.fetchOrderBook('ETH/USDT', 10, patient()));
    expect(notANumber.message).toBe('exchange: malformed order book for ETH/USDT: bids[0] price is missing');
  });

  it("serves levels Binance sent out of order in order: ccxt sorts each side before the source sees it", async () => {
    server.setBook('BTCUSDT', { bids: [['64990', '1'], ['64999', '2']], asks: [['65010', '1'], ['65001', '2']] });
    const book = await binance().fetchOrderBook('BTC/USDT', 10, patient());
    expect(book?.bids.map((level) => level.price)).toEqual([64_999, 64_990]);
    expect(book?.asks.map((level) => level.price)).toEqual([65_001, 65_010]);
  });
});

describe('trades', () => {
  const at = SERVER_TIME_MS - 60_000;
  /** `count` trades a second apart from `at`, ids from 1, the taker buying on even ids. */
  const tradeRows = (count: number): TradeRow[] =>
    Array.from({ length: count }, (_, i) => ({ id: i + 1, price: 65_000 + i, qty: '0.01', time: at + i * 1_000, isBuyerMaker: i % 2 === 0 }));

  it("maps Binance's aggregate trades newest first, with their ids and the taker's side", async () => {
    server.setTrades('BTCUSDT', [
      { id: 28457, price: '65000.50', qty: '0.25000000', time: at, isBuyerMaker: true },
      { id: 28458, price: '65001.00', qty: '1.50000000', time: at + 1_000, isBuyerMaker: false },
    ]);
    const trades = await binance().fetchTrades('BTC/USDT', 10, patient());

    // A buyer who made the market means a seller who took it: ccxt gives the taker's side.
    expect(trades).toEqual([
      { id: '28458', time: new Date(at + 1_000), price: 65_001, amount: 1.5, side: 'buy' },
      { id: '28457', time: new Date(at), price: 65_000.5, amount: 0.25, side: 'sell' },
    ]);
    expect(server.calls(AGG_TRADES, 'BTCUSDT')).toBe(1);
    expect(server.queries(AGG_TRADES).map((query) => query.get('limit'))).toEqual(['10']);
  });

  it('serves the newest `limit` trades of a perpetual from the futures API', async () => {
    server.setTrades('ETHUSDT', tradeRows(30));
    const trades = await binance().fetchTrades('ETH/USDT:USDT', 5, patient());

    expect(trades?.map((trade) => trade.id)).toEqual(['30', '29', '28', '27', '26']);
    expect(server.calls(FUTURES_AGG_TRADES, 'ETHUSDT')).toBe(1);
    expect(server.calls(AGG_TRADES)).toBe(0);
  });

  it('asks for 1000 trades, the most Binance serves in one call, when more are wanted', async () => {
    server.setTrades('BTCUSDT', tradeRows(1_200));
    const trades = await binance().fetchTrades('BTC/USDT', 1_500, patient());

    expect(server.queries(AGG_TRADES).map((query) => query.get('limit'))).toEqual(['1000']);
    expect(trades).toHaveLength(1_000);
    expect(trades?.[0]?.id).toBe('1200');
  });

  it('serves a trade without an id or a side with both null', async () => {
    server.mode({ garbage: JSON.stringify([{ p: '65000', q: '1', T: at }]) }, AGG_TRADES);
    const trades = await binance().fetchTrades('BTC/USDT', 10, patient());
    expect(trades).toEqual([{ id: null, time: new Date(at), price: 65_000, amount: 1, side: null }]);
  });

  it('is null for an unlisted symbol, without asking', async () => {
    expect(await binance().fetchTrades('NOPE/USDT', 10, patient())).toBeNull();
    expect(server.calls(AGG_TRADES) + server.calls(FUTURES_AGG_TRADES)).toBe(0);
  });

  it.each([
    ['a zero price', { price: '0' }, 'price is 0'],
    ['a negative amount', { qty: '-1' }, 'amount is -1'],
    ['a time no Date can hold', { time: 1e20 }, 'timestamp is 100000000000000000000'],
  ] as const)('refuses %s', async (_, fields, problem) => {
    server.setTrades('BTCUSDT', [...tradeRows(2), { ...tradeRows(3)[2] as TradeRow, ...fields }]);
    const error = await upstreamError(binance().fetchTrades('BTC/USDT', 10, patient()));
    expect(error.message).toBe(`exchange: malformed trade for BTC/USDT: ${problem}`);
  });

  it('refuses a trade without a time', async () => {
    server.mode({ garbage: JSON.stringify([{ a: 1, p: '65000', q: '1', m: true }]) }, AGG_TRADES);
    const error = await upstreamError(binance().fetchTrades('BTC/USDT', 10, patient()));
    expect(error.message).toBe('exchange: malformed trade for BTC/USDT: timestamp is missing');
  });
});

describe('the API origin', () => {
  it("replaces the origin of every binance endpoint, keeping each path", () => {
    const api = replaceApiOrigin(new exchanges.binance().urls['api'], server.url) as Record<string, string>;
    expect(api['public']).toBe(`${server.url}/api/v3`);
    expect(api['fapiPublic']).toBe(`${server.url}/fapi/v1`);
    expect(api['sapi']).toBe(`${server.url}/sapi/v1`);
    expect(Object.values(api).filter((url) => !url.startsWith(`${server.url}/`))).toEqual([]);
  });

  it('sends every call of every read to that origin', async () => {
    const source = binance();
    server.setBars('BTCUSDT', '1m', syntheticBars(5, SERVER_TIME_MS, MINUTE_MS));
    await source.fetchTickers(['BTC/USDT'], patient());
    await source.fetchFundingRate('BTC/USDT:USDT', patient());
    await source.fetchBars('BTC/USDT', '1m', { limit: 5 }, patient());
    const paths = ['/api/v3/exchangeInfo', '/fapi/v1/exchangeInfo', TICKERS, PREMIUM_INDEX, KLINES];
    expect(paths.map((path) => server.calls(path))).toEqual([1, 1, 1, 1, 1]);
  });

  it('refuses an apiUrl that is not an http(s) URL', () => {
    expect(() => createExchangeSource({ exchangeId: 'binance', apiUrl: 'localhost:8080', timeoutMs: 1_000 })).toThrow(
      'EXCHANGE_API_URL: expected an http(s) URL such as http://127.0.0.1:8080, received "localhost:8080"',
    );
  });
});

describe('failures', () => {
  /** A source whose markets are loaded, so that a fault hits the read itself. */
  async function loaded(timeoutMs?: number) {
    const source = binance({ timeoutMs });
    await source.fetchTickers(['BTC/USDT'], patient());
    server.reset();
    return source;
  }

  it("turns a 429 into an UpstreamError carrying its Retry-After", async () => {
    const source = await loaded();
    server.mode({ status429: { retryAfterSeconds: 7 } }, TICKERS);
    const error = await upstreamError(source.fetchTickers(['BTC/USDT'], patient()));
    expect(error.retryAfterMs).toBe(7_000);
    expect(error.message).toMatch(/^exchange: binance fetchTickers: rate limited: /);
  });

  it('turns a 500 into an UpstreamError', async () => {
    const source = await loaded();
    server.mode({ status500: true }, PREMIUM_INDEX);
    const error = await upstreamError(source.fetchFundingRate('BTC/USDT:USDT', patient()));
    expect(error.retryAfterMs).toBeUndefined();
    expect(error.message).toMatch(/^exchange: binance fetchFundingRate: /);
  });

  it('turns garbage into an UpstreamError, never a value', async () => {
    const source = await loaded();
    server.mode({ garbage: '<html><body>Service temporarily unavailable</body></html>' }, TICKERS);
    await upstreamError(source.fetchTickers(['BTC/USDT', 'ETH/USDT'], patient()));
    server.mode({ garbage: '{"symbol":"BTCUSDT","price":"65000"}' }, TICKERS);
    await upstreamError(source.fetchTickers(['BTC/USDT', 'ETH/USDT'], patient()));
    server.mode({ garbage: '[{"openTime":1}]' }, KLINES);
    await upstreamError(source.fetchBars('BTC/USDT', '1m', { limit: 10 }, patient()));
    server.mode({ garbage: '{"symbol":"BTCUSDT","lastFundingRate":"lots"}' }, PREMIUM_INDEX);
    await upstreamError(source.fetchFundingRate('BTC/USDT:USDT', patient()));
  });

  it('turns a closed connection into an UpstreamError', async () => {
    const source = await loaded();
    server.mode({ close: true });
    const error = await upstreamError(source.fetchTickers(['BTC/USDT'], patient()));
    expect(error.message).toMatch(/^exchange: binance fetchTickers: unreachable: /);
  });

  it('gives up when the signal fires, while ccxt still waits', async () => {
    const source = await loaded(5_000);
    server.mode({ delayMs: 3_000 }, TICKERS);
    const started = performance.now();
    const error = await upstreamError(source.fetchTickers(['BTC/USDT'], AbortSignal.timeout(300)));
    expect(performance.now() - started).toBeLessThan(300 + 200);
    expect(error.message).toMatch(/^exchange: binance fetchTickers: stopped \(/);
  });

  it("gives up at ccxt's own timeout", async () => {
    const source = await loaded(300);
    server.mode({ delayMs: 3_000 }, KLINES);
    const error = await upstreamError(source.fetchBars('BTC/USDT', '1m', { limit: 10 }, patient()));
    expect(error.message).toMatch(/^exchange: binance fetchBars: timed out: /);
  });

  it('refuses at once a signal that has already fired', async () => {
    const controller = new AbortController();
    controller.abort(new Error('the request ended'));
    const error = await upstreamError(binance().fetchTickers(['BTC/USDT'], controller.signal));
    expect(error.message).toBe('exchange: binance fetchTickers: stopped (the request ended)');
    expect(server.calls()).toBe(0);
  });
});

describe('creation', () => {
  it('refuses an exchange id ccxt does not know', () => {
    expect(() => createExchangeSource({ exchangeId: 'nasdaq', timeoutMs: 1_000 })).toThrow(
      'EXCHANGE_ID: expected a ccxt exchange id such as binance, bybit or okx, received "nasdaq"',
    );
    expect(() => createExchangeSource({ exchangeId: 'toString', timeoutMs: 1_000 })).toThrow(/received "toString"/);
  });
});
