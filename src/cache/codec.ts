import {
  TRADE_SIDES,
  type Bar,
  type CacheStamp,
  type FearGreed,
  type FundingRate,
  type LlmAnalysis,
  type OrderBook,
  type OrderBookLevel,
  type Stored,
  type Ticker,
  type Timeframe,
  type Trade,
  type TradeSide,
} from './market-types.js';
import { isDateTimeText, isFloat, isInt, isMarketSymbol, isNonNegativeFloat } from './value-rules.js';

/**
 * Values are stored as JSON in the shape they are served in, dates as ISO-8601 strings, so that
 * `redis-cli GET` shows something a person can read. Point values carry their own `cachedAt` and
 * `expiresAt`. Decoding checks every field by the rules of the scalar that serves it
 * (`value-rules.ts`): a value that does not decode throws `DecodeError`, which readers turn into a
 * logged, discarded miss, so that a bad value costs its own field at most and never an error.
 *
 * Decoded dates stay the strings they were stored as (checked to be dates): the gateway writes
 * them with `toISOString`, which is exactly how they are served, so building a `Date` only to
 * format it again would be wasted work on every read.
 */
export class DecodeError extends Error {
  override name = 'DecodeError';
}

export type Stamped<T> = T & CacheStamp;
type BarPoint = Omit<Bar, 'symbol' | 'timeframe'>;

export function encode(value: object): string {
  return JSON.stringify(value);
}

export function stamp<T extends object>(value: T, nowMs: number, ttlMs: number): Stamped<T> {
  return { ...value, cachedAt: new Date(nowMs), expiresAt: new Date(nowMs + ttlMs) };
}

export function decodeTicker(raw: string): Stored<Stamped<Ticker>> {
  const r = recordOf(raw);
  return {
    symbol: checked(r, 'symbol', isMarketSymbol, 'a MarketSymbol'),
    last: number(r, 'last'),
    bid: optionalNumber(r, 'bid'),
    ask: optionalNumber(r, 'ask'),
    high24h: optionalNumber(r, 'high24h'),
    low24h: optionalNumber(r, 'low24h'),
    volume24h: r['volume24h'] == null ? null : checked(r, 'volume24h', isNonNegativeFloat, 'a finite number >= 0'),
    changePercent24h: optionalNumber(r, 'changePercent24h'),
    time: date(r, 'time'),
    cachedAt: date(r, 'cachedAt'),
    expiresAt: date(r, 'expiresAt'),
  };
}

export function decodeFundingRate(raw: string): Stored<Stamped<FundingRate>> {
  const r = recordOf(raw);
  return {
    symbol: checked(r, 'symbol', isMarketSymbol, 'a MarketSymbol'),
    rate: number(r, 'rate'),
    nextFundingTime: r['nextFundingTime'] == null ? null : date(r, 'nextFundingTime'),
    time: date(r, 'time'),
    cachedAt: date(r, 'cachedAt'),
    expiresAt: date(r, 'expiresAt'),
  };
}

export function decodeFearGreed(raw: string): Stored<Stamped<FearGreed>> {
  const r = recordOf(raw);
  return {
    value: checked(r, 'value', isInt, 'an Int'),
    classification: string(r, 'classification'),
    time: date(r, 'time'),
    cachedAt: date(r, 'cachedAt'),
    expiresAt: date(r, 'expiresAt'),
  };
}

export function decodeLlmAnalysis(raw: string): Stored<Stamped<LlmAnalysis>> {
  const r = recordOf(raw);
  const result = r['result'];
  if (!isRecord(result)) throw mismatch(r, 'result', 'a JSON object');
  return {
    analysisType: string(r, 'analysisType'),
    inputHash: string(r, 'inputHash'),
    result,
    model: r['model'] == null ? null : string(r, 'model'),
    cachedAt: date(r, 'cachedAt'),
    expiresAt: date(r, 'expiresAt'),
  };
}

export function decodeOrderBook(raw: string): Stored<Stamped<OrderBook>> {
  const r = recordOf(raw);
  return {
    symbol: checked(r, 'symbol', isMarketSymbol, 'a MarketSymbol'),
    bids: levels(r, 'bids', -1),
    asks: levels(r, 'asks', 1),
    time: date(r, 'time'),
    cachedAt: date(r, 'cachedAt'),
    expiresAt: date(r, 'expiresAt'),
  };
}

/**
 * The levels of a book side, best first: prices > 0 strictly ascending (`order` 1, asks) or
 * descending (-1, bids), amounts >= 0.
 */
function levels(record: JsonRecord, name: string, order: 1 | -1): OrderBookLevel[] {
  const side = record[name];
  if (!Array.isArray(side)) throw mismatch(record, name, 'a list of levels');
  let previous = order === 1 ? 0 : Infinity;
  return side.map((level: unknown, i) => {
    if (!isRecord(level)) throw new DecodeError(`field ${name}[${i}]: expected a level, found ${JSON.stringify(level)}`);
    const price = checked(level, 'price', isFloat, 'a finite number');
    const amount = checked(level, 'amount', isNonNegativeFloat, 'a finite number >= 0');
    if (!(price > 0) || (order === 1 ? price <= previous : price >= previous)) {
      throw new DecodeError(`field ${name}[${i}].price: expected a price > 0 ${order === 1 ? 'above' : 'below'} the level before, found ${price}`);
    }
    previous = price;
    return { price, amount };
  });
}

/** A trade as stored in its log, with every field, so that equal trades are equal strings. */
export function encodeTrade({ id, time, price, amount, side }: Trade): string {
  return JSON.stringify({ id: id ?? null, time, price, amount, side: side ?? null });
}

export function decodeTrade(raw: string): Stored<Trade> {
  const r = recordOf(raw);
  return {
    id: r['id'] == null ? null : string(r, 'id'),
    time: date(r, 'time'),
    price: checked(r, 'price', isPrice, 'a finite number > 0'),
    amount: checked(r, 'amount', isNonNegativeFloat, 'a finite number >= 0'),
    side: r['side'] == null ? null : checked(r, 'side', isTradeSide, 'buy or sell'),
  };
}

/** What a trade or a book level may cost: a finite number above 0. */
function isPrice(value: unknown): value is number {
  return isFloat(value) && value > 0;
}

function isTradeSide(value: unknown): value is TradeSide {
  return (TRADE_SIDES as readonly unknown[]).includes(value);
}

/**
 * The stamp of a log (trades): when it was written and how long it is fresh. It is stored as the
 * log's member at score +inf, so that the read of its newest members brings it first.
 */
export function encodeLogStamp(stamped: CacheStamp): string {
  return JSON.stringify({ stamp: true, cachedAt: stamped.cachedAt, expiresAt: stamped.expiresAt });
}

/** Whether a log member is its stamp (or the absent marker a fill leaves in its place). */
export function isLogStamp(raw: string): boolean {
  return raw.startsWith('{"stamp":true') || raw.startsWith('{"absent":true');
}

/** A bar as stored in its series; symbol and timeframe come from the key. */
export function encodeBar({ openTime, open, high, low, close, volume }: BarPoint): string {
  return JSON.stringify({ openTime, open, high, low, close, volume });
}

export function decodeBar(raw: string, symbol: string, timeframe: Timeframe): Stored<Bar> {
  const r = recordOf(raw);
  return {
    symbol,
    timeframe,
    openTime: date(r, 'openTime'),
    open: number(r, 'open'),
    high: number(r, 'high'),
    low: number(r, 'low'),
    close: number(r, 'close'),
    volume: checked(r, 'volume', isNonNegativeFloat, 'a finite number >= 0'),
  };
}

type JsonRecord = Record<string, unknown>;

function recordOf(raw: string): JsonRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new DecodeError(`not JSON: ${raw.slice(0, 40)}`);
  }
  if (!isRecord(parsed)) throw new DecodeError('not a JSON object');
  return parsed;
}

function mismatch(record: JsonRecord, name: string, expected: string) {
  return new DecodeError(`field ${name}: expected ${expected}, found ${JSON.stringify(record[name])}`);
}

function checked<T>(record: JsonRecord, name: string, rule: (value: unknown) => value is T, expected: string): T {
  const value = record[name];
  if (!rule(value)) throw mismatch(record, name, expected);
  return value;
}

function number(record: JsonRecord, name: string): number {
  return checked(record, name, isFloat, 'a finite number');
}

function optionalNumber(record: JsonRecord, name: string): number | null {
  return record[name] == null ? null : number(record, name);
}

function string(record: JsonRecord, name: string): string {
  const value = record[name];
  if (typeof value !== 'string') throw mismatch(record, name, 'a string');
  return value;
}

/** A date as stored: what `DateTime` serves (see `isDateTimeText`). */
function date(record: JsonRecord, name: string): string {
  return checked(record, name, isDateTimeText, 'an RFC 3339 date-time');
}

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
