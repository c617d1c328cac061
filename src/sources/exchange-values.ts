import type { OHLCV, OrderBook as CcxtOrderBook, Ticker as CcxtTicker, Trade as CcxtTrade } from 'ccxt';
import { TRADE_SIDES, type Bar, type OrderBook, type OrderBookLevel, type Ticker, type Timeframe, type Trade, type TradeSide } from '../cache/market-types.js';
import { isFloat, isNonNegativeFloat } from '../cache/value-rules.js';
import { UpstreamError } from './source.js';

/**
 * What ccxt answers, as the gateway's domain values, every field checked: nothing an exchange
 * sends is trusted, and anything malformed is an `UpstreamError` naming the field and what it
 * held, never a value.
 */

export function toTicker(symbol: string, raw: CcxtTicker): Ticker {
  const check = checker('ticker', symbol);
  return {
    symbol,
    last: check('last', raw.last, isFloat, true),
    bid: check('bid', raw.bid, isFloat, false),
    ask: check('ask', raw.ask, isFloat, false),
    high24h: check('high', raw.high, isFloat, false),
    low24h: check('low', raw.low, isFloat, false),
    volume24h: check('baseVolume', raw.baseVolume, isNonNegativeFloat, false),
    changePercent24h: check('percentage', raw.percentage, isFloat, false),
    time: timeOf(check('timestamp', raw.timestamp, isTimeMs, false)),
  };
}

export function toBar(symbol: string, timeframe: Timeframe, row: OHLCV): Bar {
  const check = checker('bar', symbol);
  const [time, open, high, low, close, volume] = row;
  const bar = {
    symbol,
    timeframe,
    openTime: new Date(check('time', time, isTimeMs, true)),
    open: check('open', open, isFloat, true),
    high: check('high', high, isFloat, true),
    low: check('low', low, isFloat, true),
    close: check('close', close, isFloat, true),
    volume: check('volume', volume, isNonNegativeFloat, true),
  };
  if (!(bar.low <= Math.min(bar.open, bar.close) && Math.max(bar.open, bar.close) <= bar.high)) {
    throw new UpstreamError('exchange', `malformed bar for ${symbol} at ${bar.openTime.toISOString()}: expected low <= open, close <= high, received ${JSON.stringify(row)}`);
  }
  return bar;
}

/**
 * The best `depth` levels a side of `raw`, checked. ccxt's `parseOrderBook` sorts each side
 * already, which hides a misordered answer but not a price listed twice: of two amounts at one
 * price, which is right cannot be told, so the book is refused rather than mended.
 */
export function toOrderBook(symbol: string, raw: CcxtOrderBook, depth: number): OrderBook {
  const check = checker('order book', symbol);
  const bids = sideOf(symbol, 'bids', raw.bids, depth);
  const asks = sideOf(symbol, 'asks', raw.asks, depth);
  const [bestBid, bestAsk] = [bids[0], asks[0]];
  if (bestBid !== undefined && bestAsk !== undefined && bestBid.price >= bestAsk.price) {
    throw new UpstreamError('exchange', `malformed order book for ${symbol}: crossed, best bid ${bestBid.price} >= best ask ${bestAsk.price}`);
  }
  return { symbol, bids, asks, time: timeOf(check('timestamp', raw.timestamp, isTimeMs, false)) };
}

/**
 * One side of a book (bids highest first, asks lowest first), every level checked, then its best
 * `depth`: the order is checked on the whole side, since a misordered one has its best anywhere.
 */
function sideOf(symbol: string, side: 'bids' | 'asks', levels: unknown, depth: number): OrderBookLevel[] {
  const check = checker('order book', symbol);
  const malformed = (problem: string) => new UpstreamError('exchange', `malformed order book for ${symbol}: ${problem}`);
  if (!Array.isArray(levels)) throw malformed(`${side} is ${describe(levels)}`);
  const checked = levels.map((level: unknown, i): OrderBookLevel => {
    // `[price, amount]`, or `[price, amount, count or order id]` on some exchanges.
    if (!Array.isArray(level) || level.length < 2 || level.length > 3) throw malformed(`${side}[${i}] is ${describe(level)}, expected [price, amount]`);
    return {
      price: check(`${side}[${i}] price`, level[0], isPositiveFloat, true),
      amount: check(`${side}[${i}] amount`, level[1], isNonNegativeFloat, true),
    };
  });
  for (let i = 1; i < checked.length; i++) {
    const [better, next] = [(checked[i - 1] as OrderBookLevel).price, (checked[i] as OrderBookLevel).price];
    if (next === better) throw malformed(`${side} list the price ${next} twice`);
    if (side === 'bids' ? next > better : next < better) throw malformed(`${side} out of order: ${next} after ${better}`);
  }
  return checked.slice(0, depth);
}

export function toTrade(symbol: string, raw: CcxtTrade): Trade {
  const check = checker('trade', symbol);
  return {
    id: check('id', raw.id, isString, false),
    time: new Date(check('timestamp', raw.timestamp, isTimeMs, true)),
    price: check('price', raw.price, isPositiveFloat, true),
    amount: check('amount', raw.amount, isNonNegativeFloat, true),
    side: check('side', raw.side, isTradeSide, false),
  };
}

/**
 * A field checker for one value: a required field must pass `rule`; an optional one may also be
 * missing (null). Anything else is an `UpstreamError` naming the field and what it held.
 */
export function checker(what: string, symbol: string) {
  function check<T>(name: string, value: unknown, rule: (value: unknown) => value is T, required: true): T;
  function check<T>(name: string, value: unknown, rule: (value: unknown) => value is T, required: false): T | null;
  function check<T>(name: string, value: unknown, rule: (value: unknown) => value is T, required: boolean): T | null {
    if (!required && value == null) return null;
    if (rule(value)) return value;
    throw new UpstreamError('exchange', `malformed ${what} for ${symbol}: ${name} is ${describe(value)}`);
  }
  return check;
}

/** A time in ms that makes a valid `Date`. */
export function isTimeMs(value: unknown): value is number {
  return Number.isInteger(value) && Math.abs(value as number) <= 8.64e15;
}

/** A finite number above 0: a price. */
function isPositiveFloat(value: unknown): value is number {
  return isFloat(value) && value > 0;
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isTradeSide(value: unknown): value is TradeSide {
  return (TRADE_SIDES as readonly unknown[]).includes(value);
}

export function timeOf(ms: number | null): Date {
  return new Date(ms ?? Date.now());
}

export function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value instanceof Error) return value.message;
  return JSON.stringify(value) ?? String(value);
}
