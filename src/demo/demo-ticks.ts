import { fearGreedClassification, type DemoBar, type DemoData, type DemoLevel, type DemoTrade } from './demo-data.js';

/**
 * The demo market moving on, for `npm run demo -- --live` (and `npm run dashboard`): every tick
 * walks each symbol's price a small random step from the last, and writes what that changes.
 */

const HOUR_MS = 3_600_000;
const TIMEFRAME_MS: Readonly<Record<string, number>> = { '1h': HOUR_MS, '4h': 4 * HOUR_MS, '1d': 24 * HOUR_MS };
/** Each tick changes Fear & Greed with this chance: a few times a minute, not every second. */
const FEAR_GREED_CHANCE = 1 / 20;
const MAX_TRADES_PER_TICK = 3;

/** What one tick writes, in the shapes of the GraphQL inputs. */
export interface DemoTick {
  tickers: DemoData['tickers'];
  /** The open candle of every series, each its own one-bar write. */
  bars: Array<{ symbol: string; timeframe: string; bars: [DemoBar] }>;
  /** Each symbol's new trades, newest first. */
  trades: DemoData['trades'];
  orderBooks: DemoData['orderBooks'];
  fearGreed?: DemoData['fearGreed'];
}

interface SymbolState {
  ticker: DemoData['tickers'][number];
  /** The 24-hour open the ticker's change is measured from. */
  open24h: number;
  bids: DemoLevel[];
  asks: DemoLevel[];
  /** The price's standard deviation over one tick, as a fraction of it. */
  sigma: number;
  /** Base volume traded in one tick, on average. */
  volumePerTick: number;
  series: Array<{ timeframe: string; timeframeMs: number; open?: DemoBar; lastClose: number }>;
  /** The demo data's hourly bars, which the first open candle of a longer timeframe aggregates. */
  hourly: DemoBar[];
  lastTradeId: number;
  lastTradeMs: number;
}

/**
 * Starts from `data` (as `createDemoData` made it, before the first tick) and returns each tick's
 * writes. It keeps the latest of everything only (price, book, the open candle of each series,
 * the last trade id), so its memory does not grow however long it runs; the gateway bounds what
 * it stores (`BARS_MAX_PER_SERIES`, `TRADES_MAX_PER_SYMBOL`, the TTLs).
 */
export function createDemoMarket(data: DemoData, { tickMs = 1000, random = Math.random }: { tickMs?: number; random?: () => number } = {}) {
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  let fearGreed = data.fearGreed;

  const symbols: SymbolState[] = data.tickers.map((ticker) => {
    const book = data.orderBooks.find((entry) => entry.symbol === ticker.symbol)!;
    const trades = data.trades.find((entry) => entry.symbol === ticker.symbol)!.trades;
    const hourly = data.bars.find((entry) => entry.symbol === ticker.symbol && entry.timeframe === '1h')!.bars;
    return {
      ticker: { ...ticker },
      open24h: ticker.last / (1 + ticker.changePercent24h / 100),
      bids: book.bids.map((level) => ({ ...level })),
      asks: book.asks.map((level) => ({ ...level })),
      sigma: hourlyVolatility(hourly) * Math.sqrt(tickMs / HOUR_MS),
      volumePerTick: (hourly.at(-1)!.volume * tickMs) / HOUR_MS,
      series: data.bars
        .filter((entry) => entry.symbol === ticker.symbol)
        .map(({ timeframe, bars }) => ({ timeframe, timeframeMs: TIMEFRAME_MS[timeframe]!, lastClose: bars.at(-1)!.close })),
      hourly,
      lastTradeId: Math.max(...trades.map((trade) => Number(trade.id))),
      lastTradeMs: Math.max(...trades.map((trade) => Date.parse(trade.time))),
    };
  });

  function step(state: SymbolState, nowMs: number): { trades: DemoTrade[]; volume: number } {
    const { ticker } = state;
    // In whole cents, so that the book moves by exactly as much and keeps its spread and its steps.
    const moveCents = Math.round(ticker.last * 100 * (Math.exp(state.sigma * gaussian()) - 1));
    const move = (levels: DemoLevel[]) =>
      levels.map(({ price, amount }) => ({
        price: Math.round(price * 100 + moveCents) / 100,
        amount: Math.max(0.0001, round(amount * Math.exp(0.15 * gaussian()), 4)),
      }));
    // A move of more than the book's depth (not seen at these volatilities) is not made.
    if (state.bids.at(-1)!.price * 100 + moveCents > 0) {
      state.bids = move(state.bids);
      state.asks = move(state.asks);
    }
    const [bid, ask] = [state.bids[0]!.price, state.asks[0]!.price];

    // Buys at the ask, sells at the bid, at distinct milliseconds since the last trade.
    const count = 1 + Math.floor(random() * MAX_TRADES_PER_TICK);
    const trades: DemoTrade[] = [];
    for (let k = 0; k < count; k += 1) {
      state.lastTradeMs = Math.min(nowMs, Math.max(state.lastTradeMs + 1, nowMs - Math.round(random() * 900)));
      const side = random() < 0.5 ? 'BUY' : 'SELL';
      trades.unshift({
        id: String((state.lastTradeId += 1)),
        time: new Date(state.lastTradeMs).toISOString(),
        price: side === 'BUY' ? ask : bid,
        amount: Math.max(0.0001, round((state.volumePerTick / count) * Math.exp(0.5 * gaussian()), 4)),
        side,
      });
    }
    const volume = trades.reduce((total, trade) => total + trade.amount, 0);
    const last = trades[0]!.price;

    state.ticker = {
      ...ticker,
      last,
      bid,
      ask,
      high24h: Math.max(ticker.high24h, last),
      low24h: Math.min(ticker.low24h, last),
      volume24h: round(ticker.volume24h + volume, 3),
      changePercent24h: round((last / state.open24h - 1) * 100, 2),
      time: new Date(nowMs).toISOString(),
    };
    return { trades, volume };
  }

  /**
   * The open candle of a series after this tick. The first one also holds the hours of its period
   * that the demo data already has as hourly bars (a 1d candle opened at midnight, not at start-up);
   * each later one opens at the close of the one before.
   */
  function candle(state: SymbolState, series: SymbolState['series'][number], volume: number, nowMs: number): DemoBar {
    const startMs = Math.floor(nowMs / series.timeframeMs) * series.timeframeMs;
    const openTime = new Date(startMs).toISOString();
    if (series.open?.openTime !== openTime) {
      const hours = series.open ? [] : state.hourly.filter((bar) => Date.parse(bar.openTime) >= startMs);
      const open = series.open?.close ?? hours[0]?.open ?? series.lastClose;
      series.open = {
        openTime,
        open,
        high: Math.max(open, ...hours.map((bar) => bar.high)),
        low: Math.min(open, ...hours.map((bar) => bar.low)),
        close: hours.at(-1)?.close ?? open,
        volume: round(hours.reduce((total, bar) => total + bar.volume, 0), 3),
      };
    }
    const { open } = series;
    const last = state.ticker.last;
    series.open = { ...open, high: Math.max(open.high, last), low: Math.min(open.low, last), close: last, volume: round(open.volume + volume, 3) };
    return series.open;
  }

  return {
    next(nowMs: number): DemoTick {
      const tick: DemoTick = { tickers: [], bars: [], trades: [], orderBooks: [] };
      for (const state of symbols) {
        const { trades, volume } = step(state, nowMs);
        const { symbol } = state.ticker;
        tick.tickers.push(state.ticker);
        tick.trades.push({ symbol, trades });
        tick.orderBooks.push({ symbol, bids: state.bids, asks: state.asks, time: new Date(nowMs).toISOString() });
        for (const series of state.series) tick.bars.push({ symbol, timeframe: series.timeframe, bars: [candle(state, series, volume, nowMs)] });
      }
      if (random() < FEAR_GREED_CHANCE) {
        const value = Math.min(100, Math.max(0, fearGreed.value + Math.round(2 * gaussian())));
        fearGreed = { value, classification: fearGreedClassification(value), time: new Date(nowMs).toISOString() };
        tick.fearGreed = fearGreed;
      }
      return tick;
    },
  };
}

export interface LiveDemoOptions {
  data: DemoData;
  /** Writes one tick; its failure is reported to `onError` and the ticks go on. */
  write(tick: DemoTick): Promise<void>;
  onError(error: unknown): void;
  /** @default 1000 */
  tickMs?: number;
}

export interface LiveDemo {
  /** Resolves once the tick being written (if any) is done: nothing is written after it. */
  stop(): Promise<void>;
}

/**
 * Writes a tick every `tickMs` until stopped. A tick starts only once the previous one is
 * written, so a slow gateway slows the ticks down instead of piling writes up.
 */
export function startLiveDemo({ data, write, onError, tickMs = 1000 }: LiveDemoOptions): LiveDemo {
  const market = createDemoMarket(data, { tickMs });
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const tick = () => {
    const startedMs = Date.now();
    writing = write(market.next(startedMs))
      .catch(onError)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, Math.max(0, tickMs - (Date.now() - startedMs)));
      });
  };
  timer = setTimeout(tick, 0);

  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      return writing;
    },
  };
}

/** The standard deviation of the hourly log returns of the last day: how much the price moves in an hour. */
function hourlyVolatility(hourly: DemoBar[]): number {
  const returns = hourly.slice(-25).flatMap((bar, i, day) => (i === 0 ? [] : [Math.log(bar.close / day[i - 1]!.close)]));
  const mean = returns.reduce((total, value) => total + value, 0) / returns.length;
  return Math.sqrt(returns.reduce((total, value) => total + (value - mean) ** 2, 0) / returns.length);
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
