import { createHash } from 'node:crypto';
import type { Bar, FearGreed, FundingRate, LlmAnalysis, OrderBook, Ticker, Timeframe, Trade } from '../src/cache/market-types.js';

/**
 * The benchmark's market: 200 symbols, each with a ticker, a perpetual's funding rate, bar
 * series of 5000 bars in two timeframes, an order book of 50 levels a side and its 100 latest
 * trades, plus Fear & Greed and one 4 KB LLM analysis. It is
 * deterministic (a fixed seed drives every draw), so that two runs read the same bytes and every
 * server answers from the same values. Nothing here is a real quote.
 */

export const SYMBOL_COUNT = 200;
export const BARS_PER_SERIES = 5000;
export const BOOK_LEVELS = 50;
export const TRADES_PER_SYMBOL = 100;
export const BAR_TIMEFRAMES = { '1h': 3_600_000, '4h': 14_400_000 } as const satisfies Partial<Record<Timeframe, number>>;
/** Long enough that nothing expires during a run. */
export const TTL_SECONDS = 7 * 86_400;

const NAMED = ['BTC', 'ETH', 'SOL', 'BNB', 'XRP', 'DOGE', 'ADA', 'AVAX', 'LINK', 'DOT', 'TRX', 'LTC', 'ATOM', 'NEAR', 'APT', 'ARB', 'OP', 'SUI', 'INJ', 'TIA'];

export const SYMBOLS: readonly string[] = Array.from({ length: SYMBOL_COUNT }, (_, i) =>
  i < NAMED.length ? `${NAMED[i]}/USDT` : `TK${String(i).padStart(3, '0')}/USDT`,
);

/** The perpetual swap of a spot symbol, whose funding rate is cached. */
export const perpetualOf = (symbol: string) => `${symbol}:USDT`;

export const LLM_ANALYSIS_TYPE = 'sentiment';
export const LLM_INPUT_HASH = createHash('sha256').update('BTC/USDT 1h market summary', 'utf8').digest('hex');

export interface MarketData {
  tickers: Ticker[];
  fundingRates: FundingRate[];
  fearGreed: FearGreed;
  llmAnalysis: LlmAnalysis;
  orderBooks: OrderBook[];
  /** Newest first. */
  trades: Array<{ symbol: string; trades: Trade[] }>;
  /** Series are generated one at a time: 2 million bars need not all live at once. */
  series(): Generator<{ symbol: string; timeframe: Timeframe; bars: Array<Omit<Bar, 'symbol' | 'timeframe'>> }>;
}

export function createMarketData(nowMs: number): MarketData {
  const random = mulberry32(20_260_101);
  const prices = SYMBOLS.map((_, i) => (i === 0 ? 91_000 : i === 1 ? 3_200 : 0.05 + random() * 400));
  const decimals = (price: number) => (price >= 1000 ? 2 : price >= 1 ? 4 : 6);
  const time = new Date(nowMs - 250);

  const tickers = SYMBOLS.map((symbol, i): Ticker => {
    const last = round(prices[i]!, decimals(prices[i]!));
    const spread = last * 0.0001;
    return {
      symbol,
      last,
      bid: round(last - spread, decimals(last)),
      ask: round(last + spread, decimals(last)),
      high24h: round(last * (1 + random() * 0.05), decimals(last)),
      low24h: round(last * (1 - random() * 0.05), decimals(last)),
      volume24h: round(random() * 5_000_000, 3),
      changePercent24h: round((random() - 0.5) * 12, 2),
      time,
    };
  });
  const fundingRates = SYMBOLS.map((symbol) => ({
    symbol: perpetualOf(symbol),
    rate: round((random() - 0.3) * 0.0006, 6),
    nextFundingTime: new Date(Math.ceil(nowMs / 28_800_000) * 28_800_000),
    time,
  }));

  function* series() {
    for (const [s, symbol] of SYMBOLS.entries()) {
      for (const [timeframe, stepMs] of Object.entries(BAR_TIMEFRAMES) as Array<[Timeframe, number]>) {
        const endMs = Math.floor(nowMs / stepMs) * stepMs;
        const places = decimals(prices[s]!);
        let close = prices[s]!;
        const bars = [];
        for (let i = BARS_PER_SERIES; i > 0; i -= 1) {
          const open = close;
          close = open * (1 + (random() - 0.5) * 0.01);
          const high = Math.max(open, close) * (1 + random() * 0.003);
          const low = Math.min(open, close) * (1 - random() * 0.003);
          bars.push({
            openTime: new Date(endMs - i * stepMs),
            open: round(open, places),
            high: round(high, places),
            low: round(low, places),
            close: round(close, places),
            volume: round(random() * 2_000, 3),
          });
        }
        // Rounding can put open or close a hair outside [low, high]; real bars never are.
        for (const bar of bars) {
          bar.high = Math.max(bar.high, bar.open, bar.close);
          bar.low = Math.min(bar.low, bar.open, bar.close);
        }
        yield { symbol, timeframe, bars };
      }
    }
  }

  const fearGreed = { value: 63, classification: 'Greed', time };
  const llmAnalysis = { analysisType: LLM_ANALYSIS_TYPE, inputHash: LLM_INPUT_HASH, result: llmResult(random), model: 'gpt-4o-2024-08-06' };
  // Their own stream of draws, so that the values above, and the bars drawn later, are those of
  // the runs before books and trades were cached.
  const flow = mulberry32(20_260_102);
  const orderBooks = tickers.map((ticker) => orderBook(ticker, decimals(ticker.last), time, flow));
  const trades = tickers.map((ticker) => ({ symbol: ticker.symbol, trades: recentTrades(ticker, decimals(ticker.last), nowMs, flow) }));
  return { tickers, fundingRates, fearGreed, llmAnalysis, orderBooks, trades, series };
}

/**
 * The ticker's bid and ask and `BOOK_LEVELS - 1` more levels a side, one step (about 0.01%)
 * apart, counted in the price's last decimal so that no two levels round to one price.
 */
function orderBook(ticker: Ticker, places: number, time: Date, random: () => number): OrderBook {
  const unit = 10 ** places;
  const step = Math.max(1, Math.round(ticker.last * 0.0001 * unit));
  const bestBid = Math.round(ticker.bid! * unit);
  const bestAsk = Math.max(bestBid + 1, Math.round(ticker.ask! * unit));
  const side = (best: number, direction: 1 | -1) =>
    Array.from({ length: BOOK_LEVELS }, (_, k) => ({ price: (best + direction * k * step) / unit, amount: round(0.001 + random() * 20, 3) }));
  return { symbol: ticker.symbol, bids: side(bestBid, -1), asks: side(bestAsk, 1), time };
}

/** Trades of the last minute or so, newest first, at distinct milliseconds, at the bid or the ask. */
function recentTrades(ticker: Ticker, places: number, nowMs: number, random: () => number): Trade[] {
  return Array.from({ length: TRADES_PER_SYMBOL }, (_, k) => {
    const side = random() < 0.5 ? 'buy' : 'sell';
    return {
      id: String(1_000_000 + TRADES_PER_SYMBOL - k),
      time: new Date(nowMs - 250 - k * 731),
      price: round((side === 'buy' ? ticker.ask! : ticker.bid!) * (1 + (random() - 0.5) * 0.0004), places),
      amount: round(0.001 + random() * 2, 3),
      side,
    };
  });
}

/** About 4 KB of JSON, shaped like what a sentiment model returns. */
function llmResult(random: () => number): Record<string, unknown> {
  const drivers = Array.from({ length: 12 }, (_, i) => ({
    factor: `driver-${i + 1}`,
    weight: round(random(), 3),
    direction: random() > 0.5 ? 'bullish' : 'bearish',
    note: 'Order-book depth and perpetual funding moved together over the last session; spot demand held near the range high.',
  }));
  return {
    label: 'bullish',
    score: 0.72,
    confidence: 0.81,
    horizon: '24h',
    summary:
      'Momentum is positive on the hourly chart, with higher lows since the last funding reset. Funding is mildly positive, open interest is rising, and the Fear & Greed reading sits in greed without being stretched.',
    drivers,
  };
}

function round(value: number, places: number): number {
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
