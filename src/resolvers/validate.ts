import { createHash } from 'node:crypto';
import { badUserInput } from '../errors.js';
import { DEFAULTS } from '../defaults.js';

/**
 * Checks that the schema's types cannot express. Each runs before any store call and throws a
 * `BAD_USER_INPUT` error naming the argument, what it expects and what it received.
 */

const { maxBarsLimit: MAX_BARS_LIMIT, maxSymbols: MAX_SYMBOLS, maxBarsPerWrite: MAX_BARS_PER_WRITE, maxTimeAheadMs: MAX_TIME_AHEAD_MS } = DEFAULTS.fields;
const MAX_TTL_SECONDS = DEFAULTS.cache.maxTtlSeconds;
const NAME_PATTERN = DEFAULTS.namePattern;
const HASH_PATTERN = /^[0-9a-f]{64}$/i;

function integerIn(argument: string, value: number, min: number, max: number) {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badUserInput(argument, `an integer from ${min} to ${max}`, value);
  }
}

export function checkLimit(limit: number) {
  integerIn('limit', limit, 1, MAX_BARS_LIMIT);
}

export function checkTtl(ttlSeconds: number | null | undefined) {
  if (ttlSeconds != null) integerIn('ttlSeconds', ttlSeconds, 1, MAX_TTL_SECONDS);
}

export function checkTimeRange(since: Date | null | undefined, until: Date | null | undefined) {
  if (since && until && since > until) {
    throw badUserInput('since', `a time at or before until (${until.toISOString()})`, since);
  }
}

export function checkSymbolCount(symbols: readonly string[]) {
  if (symbols.length > MAX_SYMBOLS) {
    throw badUserInput('symbols', `at most ${MAX_SYMBOLS} symbols`, symbols.length);
  }
}

/** A subscription follows 1 to 500 symbols: one of none would wait forever for nothing. */
export function checkSubscribedSymbols(symbols: readonly string[]) {
  if (symbols.length === 0) throw badUserInput('symbols', `1 to ${MAX_SYMBOLS} symbols`, 0);
  checkSymbolCount(symbols);
}

export function checkName(argument: string, value: string) {
  if (!NAME_PATTERN.test(value)) throw badUserInput(argument, '1-64 characters of A-Z a-z 0-9 . _ -', value);
}

export function checkText(argument: string, value: string | null | undefined, maxLength: number) {
  if (value != null && (value.trim() === '' || value.length > maxLength)) {
    throw badUserInput(argument, `1-${maxLength} characters, not all white space`, value);
  }
}

export function checkFearGreedValue(value: number) {
  integerIn('fearGreed.value', value, 0, 100);
}

const EARLIEST_TIME = new Date(0);

/**
 * A market time (a bar's open, a ticker's time) lies between 1970-01-01T00:00:00Z and one day
 * ahead of now: a bar dated 9999-12-31 would otherwise be the latest bar forever.
 */
export function checkMarketTime(argument: string, time: Date | null | undefined) {
  if (time == null) return;
  const latest = new Date(Date.now() + MAX_TIME_AHEAD_MS);
  if (time < EARLIEST_TIME || time > latest) {
    throw badUserInput(argument, `a time from ${EARLIEST_TIME.toISOString()} to one day ahead of now (${latest.toISOString()})`, time);
  }
}

/** `low <= open, close <= high`, the shape of every real bar, opened at a market time. */
export function checkBars(bars: ReadonlyArray<{ openTime: Date; open: number; high: number; low: number; close: number }>) {
  if (bars.length > MAX_BARS_PER_WRITE) {
    throw badUserInput('bars', `at most ${MAX_BARS_PER_WRITE} bars per call`, bars.length);
  }
  bars.forEach(({ openTime, open, high, low, close }, i) => {
    checkMarketTime(`bars[${i}].openTime`, openTime);
    if (high < low) throw badUserInput(`bars[${i}].high`, `at least low (${low})`, high);
    if (open < low || open > high) throw badUserInput(`bars[${i}].open`, `between low (${low}) and high (${high})`, open);
    if (close < low || close > high) throw badUserInput(`bars[${i}].close`, `between low (${low}) and high (${high})`, close);
  });
}

export function checkHighLow(argument: string, high: number | null | undefined, low: number | null | undefined) {
  if (high != null && low != null && high < low) {
    throw badUserInput(`${argument}.high24h`, `at least ${argument}.low24h (${low})`, high);
  }
}

/**
 * The key of an analysis: the SHA-256 of `input`, or `inputHash` as given (lower-cased).
 * Exactly one of the two must be present. The raw input is hashed here and never stored.
 */
export function inputHashOf(input: string | null | undefined, inputHash: string | null | undefined): string {
  if ((input == null) === (inputHash == null)) {
    const received = input == null ? 'neither' : 'both';
    throw badUserInput('input', 'exactly one of input or inputHash', received);
  }
  if (input != null) return createHash('sha256').update(input, 'utf8').digest('hex');
  if (!HASH_PATTERN.test(inputHash!)) {
    throw badUserInput('inputHash', 'a SHA-256 digest as 64 hex characters', inputHash);
  }
  return inputHash!.toLowerCase();
}

const {
  maxOrderBookDepth: MAX_ORDER_BOOK_DEPTH,
  maxOrderBookLevels: MAX_ORDER_BOOK_LEVELS,
  maxTradesLimit: MAX_TRADES_LIMIT,
  maxTradesPerWrite: MAX_TRADES_PER_WRITE,
  maxTickersPerWrite: MAX_TICKERS_PER_WRITE,
  maxTradeIdLength: MAX_TRADE_ID_LENGTH,
} = DEFAULTS.fields;

export function checkDepth(depth: number) {
  integerIn('depth', depth, 1, MAX_ORDER_BOOK_DEPTH);
}

export function checkTradesLimit(limit: number) {
  integerIn('limit', limit, 1, MAX_TRADES_LIMIT);
}

export function checkTickerCount(tickers: readonly unknown[]) {
  if (tickers.length > MAX_TICKERS_PER_WRITE) {
    throw badUserInput('tickers', `at most ${MAX_TICKERS_PER_WRITE} tickers per call`, tickers.length);
  }
}

type Level = { price: number; amount: number };

/**
 * A book as it can trade: at most 5000 levels a side, prices > 0, no price twice on a side, and
 * every bid below every ask (not crossed). The sides may come in any order.
 */
export function checkOrderBook({ bids, asks, time }: { bids: readonly Level[]; asks: readonly Level[]; time?: Date | null }) {
  checkMarketTime('orderBook.time', time);
  const best = { bids: -Infinity, asks: Infinity };
  for (const [name, side] of [['bids', bids], ['asks', asks]] as const) {
    if (side.length > MAX_ORDER_BOOK_LEVELS) {
      throw badUserInput(`orderBook.${name}`, `at most ${MAX_ORDER_BOOK_LEVELS} levels`, side.length);
    }
    const prices = new Set<number>();
    side.forEach(({ price }, i) => {
      if (!(price > 0)) throw badUserInput(`orderBook.${name}[${i}].price`, 'a price > 0', price);
      if (prices.has(price)) throw badUserInput(`orderBook.${name}[${i}].price`, `a price not already on the ${name} side`, price);
      prices.add(price);
      best[name] = name === 'bids' ? Math.max(best.bids, price) : Math.min(best.asks, price);
    });
  }
  if (best.bids >= best.asks) {
    const i = bids.findIndex(({ price }) => price === best.bids);
    throw badUserInput(`orderBook.bids[${i}].price`, `a best bid below the best ask (${best.asks}): the book is crossed`, best.bids);
  }
}

/** Trades to append: at most 5000 a call, each at a market time, price > 0, an id of 1-128 characters. */
export function checkTrades(trades: ReadonlyArray<{ id?: string | null; time: Date; price: number }>) {
  if (trades.length > MAX_TRADES_PER_WRITE) {
    throw badUserInput('trades', `at most ${MAX_TRADES_PER_WRITE} trades per call`, trades.length);
  }
  trades.forEach(({ id, time, price }, i) => {
    checkMarketTime(`trades[${i}].time`, time);
    if (!(price > 0)) throw badUserInput(`trades[${i}].price`, 'a price > 0', price);
    if (id != null && (id.length === 0 || id.length > MAX_TRADE_ID_LENGTH)) {
      throw badUserInput(`trades[${i}].id`, `1-${MAX_TRADE_ID_LENGTH} characters`, id);
    }
  });
}
