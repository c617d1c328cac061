/**
 * Synthetic market data for `npm run demo`, in the shapes of the GraphQL inputs (times as
 * RFC 3339 strings), so that the demo can send it through the real mutations unchanged.
 *
 * It is deterministic: a fixed seed drives every random draw, so two runs at the same `now` give
 * the same data, and runs at different times give the same prices shifted in time. Nothing here
 * is a real quote.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const FUNDING_INTERVAL_MS = 8 * HOUR_MS;
const SEED = 20_240_101;

const DEMO_BARS_PER_SERIES = 300;
const DEMO_BOOK_LEVELS = 50;
const DEMO_TRADES = 200;
/** The scale of the gaps between two demo trades: 200 of them span the last four minutes or so. */
const DEMO_TRADE_GAP_MS = 1_500;
const DEMO_TIMEFRAMES = { '1h': HOUR_MS, '4h': 4 * HOUR_MS, '1d': DAY_MS } as const;
type DemoTimeframe = keyof typeof DEMO_TIMEFRAMES;

export interface DemoBar {
  openTime: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface DemoLevel {
  price: number;
  amount: number;
}

export interface DemoTrade {
  id: string;
  time: string;
  price: number;
  amount: number;
  side: 'BUY' | 'SELL';
}

export interface DemoData {
  bars: Array<{ symbol: string; timeframe: DemoTimeframe; bars: DemoBar[] }>;
  tickers: Array<{
    symbol: string;
    last: number;
    bid: number;
    ask: number;
    high24h: number;
    low24h: number;
    volume24h: number;
    changePercent24h: number;
    time: string;
  }>;
  fundingRates: Array<{ symbol: string; rate: number; nextFundingTime: string; time: string }>;
  orderBooks: Array<{ symbol: string; bids: DemoLevel[]; asks: DemoLevel[]; time: string }>;
  /** Newest first, as the API serves them. */
  trades: Array<{ symbol: string; trades: DemoTrade[] }>;
  fearGreed: { value: number; classification: string; time: string };
  llmAnalysis: { analysisType: string; input: string; result: Record<string, unknown>; model: string };
}

/** Today's level is the anchor; hourly volatility and volume are of the order of a large spot venue's. */
const MARKETS = [
  { symbol: 'BTC/USDT', perpetual: 'BTC/USDT:USDT', price: 90_000, hourlyVolatility: 0.005, hourlyVolume: 900 },
  { symbol: 'ETH/USDT', perpetual: 'ETH/USDT:USDT', price: 3_200, hourlyVolatility: 0.0065, hourlyVolume: 14_000 },
  { symbol: 'SOL/USDT', perpetual: 'SOL/USDT:USDT', price: 150, hourlyVolatility: 0.009, hourlyVolume: 120_000 },
];

/** The classification alternative.me gives each Fear & Greed value. */
export function fearGreedClassification(value: number): string {
  if (value <= 24) return 'Extreme Fear';
  if (value <= 44) return 'Fear';
  if (value <= 55) return 'Neutral';
  if (value <= 75) return 'Greed';
  return 'Extreme Greed';
}

/**
 * Complete bars only: each series ends at the current hour, 4-hour or day boundary (UTC). The
 * 4h and 1d bars are aggregated from one hourly walk, so that every timeframe tells one story.
 */
export function createDemoData(now: Date = new Date()): DemoData {
  const nowMs = now.getTime();
  const gaussian = gaussianFrom(mulberry32(SEED));
  const endOf = (timeframeMs: number) => Math.floor(nowMs / timeframeMs) * timeframeMs;
  const hourlyStartMs = endOf(DAY_MS) - DEMO_BARS_PER_SERIES * DAY_MS;

  const bars: DemoData['bars'] = [];
  const tickers: DemoData['tickers'] = [];
  const fundingRates: DemoData['fundingRates'] = [];
  let btcHourly: DemoBar[] = [];
  let btcDaily: DemoBar[] = [];

  for (const market of MARKETS) {
    const hourly = hourlyWalk(market, hourlyStartMs, endOf(HOUR_MS), gaussian);
    for (const [timeframe, timeframeMs] of Object.entries(DEMO_TIMEFRAMES) as Array<[DemoTimeframe, number]>) {
      const series = aggregate(hourly, timeframeMs, endOf(timeframeMs) - DEMO_BARS_PER_SERIES * timeframeMs);
      bars.push({ symbol: market.symbol, timeframe, bars: series });
      if (market.symbol === 'BTC/USDT' && timeframe === '1d') btcDaily = series;
    }
    if (market.symbol === 'BTC/USDT') btcHourly = hourly;

    const day = hourly.slice(-24);
    const last = day.at(-1)!.close;
    const halfSpread = Math.max(0.01, last * 0.00001);
    tickers.push({
      symbol: market.symbol,
      last,
      bid: round(last - halfSpread, 2),
      ask: round(last + halfSpread, 2),
      high24h: Math.max(...day.map((bar) => bar.high)),
      low24h: Math.min(...day.map((bar) => bar.low)),
      volume24h: round(sum(day.map((bar) => bar.volume)), 3),
      changePercent24h: round((last / day[0]!.open - 1) * 100, 2),
      time: new Date(endOf(HOUR_MS)).toISOString(),
    });
    fundingRates.push({
      symbol: market.perpetual,
      rate: round(0.0001 + 0.00004 * gaussian(), 6),
      nextFundingTime: new Date(endOf(FUNDING_INTERVAL_MS) + FUNDING_INTERVAL_MS).toISOString(),
      time: now.toISOString(),
    });
  }

  // Sentiment follows the week's price move, as the real index tends to.
  const weekChangePercent = (btcDaily.at(-1)!.close / btcDaily.at(-8)!.close - 1) * 100;
  const fearGreedValue = Math.min(100, Math.max(0, Math.round(52 + 3 * weekChangePercent + 4 * gaussian())));

  // Their own stream of draws, so that adding them changed none of the prices above.
  const flowGaussian = gaussianFrom(mulberry32(SEED + 1));
  const orderBooks = tickers.map((ticker, i) => orderBook(ticker, MARKETS[i]!, now, flowGaussian));
  const trades = tickers.map((ticker, i) => ({ symbol: ticker.symbol, trades: recentTrades(ticker, MARKETS[i]!, nowMs, flowGaussian) }));

  return {
    bars,
    tickers,
    fundingRates,
    orderBooks,
    trades,
    fearGreed: {
      value: fearGreedValue,
      classification: fearGreedClassification(fearGreedValue),
      time: new Date(endOf(DAY_MS)).toISOString(),
    },
    llmAnalysis: marketSummary(btcHourly.slice(-24), tickers[0]!.changePercent24h),
  };
}

function marketSummary(day: DemoBar[], changePercent24h: number): DemoData['llmAnalysis'] {
  const support = Math.min(...day.map((bar) => bar.low));
  const resistance = Math.max(...day.map((bar) => bar.high));
  const trend = changePercent24h > 0.5 ? 'up' : changePercent24h < -0.5 ? 'down' : 'sideways';
  return {
    analysisType: 'market-summary',
    input: 'BTC/USDT 1h',
    model: 'demo-model (synthetic)',
    result: {
      symbol: 'BTC/USDT',
      timeframe: '1h',
      trend,
      changePercent24h,
      support,
      resistance,
      summary: `BTC/USDT moved ${changePercent24h}% in 24 hours, trading between ${support} and ${resistance}.`,
      confidence: 0.7,
    },
  };
}

type DemoTicker = DemoData['tickers'][number];

/**
 * A book whose best levels are the ticker's bid and ask, then one step (0.002% of the price)
 * apart further out, in whole cents so that rounding never puts two levels on one price; there
 * is more size away from the touch, as on a real venue.
 */
function orderBook(ticker: DemoTicker, market: (typeof MARKETS)[number], now: Date, gaussian: () => number): DemoData['orderBooks'][number] {
  const stepCents = Math.max(1, Math.round(ticker.last * 0.002));
  const lot = market.hourlyVolume / 1_000;
  const side = (bestCents: number, direction: 1 | -1) =>
    Array.from({ length: DEMO_BOOK_LEVELS }, (_, k) => ({
      price: (bestCents + direction * k * stepCents) / 100,
      amount: Math.max(0.0001, round(lot * Math.exp(0.8 * gaussian()) * (1 + k / 10), 4)),
    }));
  return {
    symbol: ticker.symbol,
    bids: side(Math.round(ticker.bid * 100), -1),
    asks: side(Math.round(ticker.ask * 100), 1),
    time: now.toISOString(),
  };
}

/**
 * Trades of the last few minutes, newest first: a walk back from the last price, each trade a
 * buy at the ask or a sell at the bid, at distinct milliseconds, with increasing numeric ids as
 * exchanges give them.
 */
function recentTrades(ticker: DemoTicker, market: (typeof MARKETS)[number], nowMs: number, gaussian: () => number): DemoTrade[] {
  // The hourly volatility spread over an hour of trades.
  const sigma = market.hourlyVolatility / Math.sqrt(HOUR_MS / DEMO_TRADE_GAP_MS);
  const halfSpread = (ticker.ask - ticker.bid) / 2;
  const firstId = Math.floor(nowMs / 10);
  let timeMs = nowMs;
  let mid = ticker.last;
  return Array.from({ length: DEMO_TRADES }, (_, k) => {
    timeMs -= Math.max(1, Math.round(DEMO_TRADE_GAP_MS * Math.abs(gaussian())));
    mid *= Math.exp(sigma * gaussian());
    const side = gaussian() > 0 ? 'BUY' : 'SELL';
    return {
      id: String(firstId - k),
      time: new Date(timeMs).toISOString(),
      price: round(side === 'BUY' ? mid + halfSpread : mid - halfSpread, 2),
      amount: Math.max(0.0001, round((market.hourlyVolume / 20_000) * Math.exp(gaussian()), 4)),
      side,
    };
  });
}

/**
 * A geometric random walk, generated backwards from today's level so that the newest close sits
 * near `market.price`. A slight pull towards that level keeps a year of history plausible instead
 * of letting it wander off by a factor of two.
 */
function hourlyWalk(
  market: (typeof MARKETS)[number],
  startMs: number,
  endMs: number,
  gaussian: () => number,
): DemoBar[] {
  const hours = (endMs - startMs) / HOUR_MS;
  const sigma = market.hourlyVolatility;
  const bars = new Array<DemoBar>(hours);
  let close = market.price * Math.exp(2 * sigma * gaussian());
  for (let i = hours - 1; i >= 0; i -= 1) {
    const open = close * Math.exp(-sigma * gaussian() - 0.001 * Math.log(close / market.price));
    const [o, c] = [round(open, 2), round(close, 2)];
    const wick = () => Math.abs(gaussian()) * sigma * 0.5;
    // Busier hours move more: volume grows with the size of the move.
    const volume = market.hourlyVolume * Math.exp(0.35 * gaussian()) * (1 + 50 * Math.abs(Math.log(close / open)));
    bars[i] = {
      openTime: new Date(startMs + i * HOUR_MS).toISOString(),
      open: o,
      high: Math.max(round(Math.max(open, close) * (1 + wick()), 2), o, c),
      low: Math.min(round(Math.min(open, close) * (1 - wick()), 2), o, c),
      close: c,
      volume: round(volume, 3),
    };
    close = open;
  }
  return bars;
}

/** `DEMO_BARS_PER_SERIES` bars of `timeframeMs` from `firstOpenMs`, built from whole hours. */
function aggregate(hourly: DemoBar[], timeframeMs: number, firstOpenMs: number): DemoBar[] {
  const hoursPerBar = timeframeMs / HOUR_MS;
  const firstIndex = (firstOpenMs - Date.parse(hourly[0]!.openTime)) / HOUR_MS;
  return Array.from({ length: DEMO_BARS_PER_SERIES }, (_, k) => {
    const group = hourly.slice(firstIndex + k * hoursPerBar, firstIndex + (k + 1) * hoursPerBar);
    return {
      openTime: group[0]!.openTime,
      open: group[0]!.open,
      high: Math.max(...group.map((bar) => bar.high)),
      low: Math.min(...group.map((bar) => bar.low)),
      close: group.at(-1)!.close,
      volume: round(sum(group.map((bar) => bar.volume)), 3),
    };
  });
}

/** mulberry32: a tiny 32-bit PRNG, plenty for demo data, and the same sequence on every platform. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Standard normal draws by Box-Muller; `1 - u` keeps the logarithm away from 0. */
function gaussianFrom(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
