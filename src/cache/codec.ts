import type { Bar, CacheStamp, FearGreed, FundingRate, LlmAnalysis, Ticker, Timeframe } from './market-types.js';

/**
 * Values are stored as JSON in the shape they are served in, dates as ISO-8601 strings, so that
 * `redis-cli GET` shows something a person can read. Point values carry their own `cachedAt` and
 * `expiresAt`. Decoding checks every field: a value that does not decode throws `DecodeError`,
 * which readers turn into a miss.
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

export function decodeTicker(raw: string): Stamped<Ticker> {
  const f = fieldsOf(raw);
  return {
    symbol: f.string('symbol'),
    last: f.number('last'),
    bid: f.optional('bid', f.number),
    ask: f.optional('ask', f.number),
    high24h: f.optional('high24h', f.number),
    low24h: f.optional('low24h', f.number),
    volume24h: f.optional('volume24h', f.number),
    changePercent24h: f.optional('changePercent24h', f.number),
    time: f.date('time'),
    ...stampOf(f),
  };
}

export function decodeFundingRate(raw: string): Stamped<FundingRate> {
  const f = fieldsOf(raw);
  return {
    symbol: f.string('symbol'),
    rate: f.number('rate'),
    nextFundingTime: f.optional('nextFundingTime', f.date),
    time: f.date('time'),
    ...stampOf(f),
  };
}

export function decodeFearGreed(raw: string): Stamped<FearGreed> {
  const f = fieldsOf(raw);
  return { value: f.number('value'), classification: f.string('classification'), time: f.date('time'), ...stampOf(f) };
}

export function decodeLlmAnalysis(raw: string): Stamped<LlmAnalysis> {
  const f = fieldsOf(raw);
  return {
    analysisType: f.string('analysisType'),
    inputHash: f.string('inputHash'),
    result: f.object('result'),
    model: f.optional('model', f.string),
    ...stampOf(f),
  };
}

/** A bar as stored in its series; symbol and timeframe come from the key. */
export function encodeBar({ openTime, open, high, low, close, volume }: BarPoint): string {
  return JSON.stringify({ openTime, open, high, low, close, volume });
}

export function decodeBar(raw: string, symbol: string, timeframe: Timeframe): Bar {
  const f = fieldsOf(raw);
  return {
    symbol,
    timeframe,
    openTime: f.date('openTime'),
    open: f.number('open'),
    high: f.number('high'),
    low: f.number('low'),
    close: f.number('close'),
    volume: f.number('volume'),
  };
}

function stampOf(f: Fields): CacheStamp {
  return { cachedAt: f.date('cachedAt'), expiresAt: f.date('expiresAt') };
}

type Fields = ReturnType<typeof fieldsOf>;

function fieldsOf(raw: string) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new DecodeError(`not JSON: ${raw.slice(0, 40)}`);
  }
  if (!isRecord(parsed)) throw new DecodeError('not a JSON object');
  const record = parsed;
  const fail = (name: string, expected: string) =>
    new DecodeError(`field ${name}: expected ${expected}, found ${JSON.stringify(record[name])}`);

  const fields = {
    number(name: string): number {
      const value = record[name];
      if (typeof value !== 'number' || !Number.isFinite(value)) throw fail(name, 'a finite number');
      return value;
    },
    string(name: string): string {
      const value = record[name];
      if (typeof value !== 'string') throw fail(name, 'a string');
      return value;
    },
    date(name: string): Date {
      const value = record[name];
      const date = typeof value === 'string' ? new Date(value) : undefined;
      if (date === undefined || Number.isNaN(date.getTime())) throw fail(name, 'an ISO-8601 date');
      return date;
    },
    object(name: string): Record<string, unknown> {
      const value = record[name];
      if (!isRecord(value)) throw fail(name, 'a JSON object');
      return value;
    },
    optional<T>(name: string, read: (name: string) => T): T | null {
      return record[name] === undefined || record[name] === null ? null : read(name);
    },
  };
  return fields;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
