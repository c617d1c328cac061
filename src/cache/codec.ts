import type { Bar, CacheStamp, FearGreed, FundingRate, LlmAnalysis, Stored, Ticker, Timeframe } from './market-types.js';
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
