// The live market dashboard: a candlestick chart of one symbol and timeframe, the tickers of
// every symbol, and the selected symbol's order book and funding rate beside Fear & Greed. The
// history comes from queries; everything after it from subscriptions over one WebSocket.
import { createCandleChart } from './candles.js';
import { byId } from './dom.js';
import {
  BarsQuery,
  BarsSubscription,
  FearGreedSubscription,
  FundingRatesSubscription,
  OrderBookSubscription,
  SymbolsQuery,
  TickersSubscription,
} from './documents.js';
import { createFearGreedView } from './fear-greed.js';
import { formatTime } from './format.js';
import { createFundingRateView, fundingSymbolsOf } from './funding-rate.js';
import { createGatewayClient, type ConnectionStatus } from './gateway.js';
import { createOrderBookView } from './order-book.js';
import { createPicker, type Selection } from './picker.js';
import { createTickersTable } from './tickers-table.js';

const HISTORY_BARS = 200;
const BOOK_LEVELS = 5;
/** The most symbols one `tickers` subscription may name. */
const MAX_TICKERS = 500;
/** How often the list of symbols is read again, to show symbols cached since the page opened. */
const SYMBOLS_REFRESH_MS = 15_000;

/** What the page has received so far, by subscription: a test waits on these. */
const state = {
  selection: undefined as Selection | undefined,
  received: { tickers: 0, bars: 0, orderBook: 0, fundingRate: 0, fearGreed: 0 },
  /** The last error shown, if any. */
  error: undefined as string | undefined,
};

const chart = createCandleChart(byId('chart'));

// The test hook: `test/dashboard.test.ts` reads the chart's candles (`candles.data()`) and
// `state` through it. It changes nothing on the page.
declare global {
  interface Window {
    dashboard: { candles: typeof chart.series; state: typeof state };
  }
}
window.dashboard = { candles: chart.series, state };

const statusElement = byId('status');
const errorElement = byId('error');
const gateway = createGatewayClient({
  // The page is served by the gateway itself (under /dashboard/): its API is on the same origin.
  url: new URL('/graphql', location.href).href,
  onStatus: (status: ConnectionStatus) => {
    statusElement.textContent = status;
    statusElement.className = `status ${status}`;
  },
  // Candles that closed while the socket was down came with no event: read the history again.
  onReconnect: () => void (state.selection && select(state.selection)),
  onError: showError,
});

/** The last error stays shown, with its time: the page goes on with what it still receives. */
function showError(message: string) {
  state.error = message;
  errorElement.textContent = `${formatTime(new Date().toISOString())} UTC: ${message}`;
  errorElement.hidden = false;
}

const tickers = createTickersTable(byId('tickers'));
const orderBook = createOrderBookView({ rows: byId('book-rows'), spread: byId('book-spread'), stale: byId('book-stale') });
const fundingRate = createFundingRateView({ value: byId('funding-value'), detail: byId('funding-detail'), stale: byId('funding-stale') });
const fearGreed = createFearGreedView({ value: byId('fear-greed-value'), detail: byId('fear-greed-detail'), gauge: byId('fear-greed-gauge'), stale: byId('fear-greed-stale') });
const picker = createPicker(byId('symbol'), byId('timeframe'), (selection) => void select(selection));

/** Each choice of symbol or timeframe starts a generation; events of an earlier one are dropped. */
let generation = 0;
let stopSelection: Array<() => void> = [];

async function select(selection: Selection) {
  const current = ++generation;
  for (const stop of stopSelection.splice(0)) stop();
  state.selection = selection;
  history.replaceState(null, '', `?${new URLSearchParams({ ...selection })}`);
  byId('chart-title').textContent = `${selection.symbol} ${selection.timeframe}`;
  byId('book-title').textContent = `${selection.symbol} order book`;
  chart.clear();
  orderBook.clear('no order book cached');
  fundingRate.clear(`no funding rate cached for ${selection.symbol}`);
  const live = <T>(apply: (data: T) => void) => (data: T) => {
    if (current === generation) apply(data);
  };

  stopSelection.push(
    gateway.subscribe(OrderBookSubscription, { symbol: selection.symbol, depth: BOOK_LEVELS }, live(({ orderBook: book }) => {
      state.received.orderBook += 1;
      orderBook.show(book);
    })),
    gateway.subscribe(FundingRatesSubscription, { symbols: fundingSymbolsOf(selection.symbol) }, live(({ fundingRates }) => {
      state.received.fundingRate += 1;
      fundingRate.show(fundingRates);
    })),
  );

  const loaded = await gateway.query(BarsQuery, { ...selection, limit: HISTORY_BARS }).catch((error: Error) => {
    showError(`could not read the bars of ${selection.symbol} ${selection.timeframe}: ${error.message}`);
    return undefined;
  });
  if (loaded === undefined || current !== generation) return;
  chart.show(loaded.bars);
  byId('chart-stale').hidden = !loaded.bars[0]?.stale;
  // Subscribed once the history is shown: its first event is the newest candle, which the
  // history may already hold (it is replaced) or not (it is appended).
  stopSelection.push(
    gateway.subscribe(BarsSubscription, selection, live(({ bars: bar }) => {
      state.received.bars += 1;
      chart.update(bar);
      byId('chart-stale').hidden = !bar.stale;
    })),
  );
}

let stopTickers: (() => void) | undefined;
let tickerSymbols: string[] = [];

/** Reads which symbols are cached: the picker's choices and the tickers table's rows. */
async function refreshSymbols() {
  const { symbols } = await gateway.query(SymbolsQuery, {});
  const url = new URLSearchParams(location.search);
  const chosen = picker.setSeries(symbols, { symbol: url.get('symbol') ?? undefined, timeframe: url.get('timeframe') ?? undefined });
  if (chosen && (chosen.symbol !== state.selection?.symbol || chosen.timeframe !== state.selection.timeframe)) void select(chosen);

  const withTickers = symbols.filter((entry) => entry.kinds.includes('TICKER')).map((entry) => entry.symbol).slice(0, MAX_TICKERS);
  if (withTickers.join('\n') === tickerSymbols.join('\n')) return;
  tickerSymbols = withTickers;
  tickers.setSymbols(withTickers);
  stopTickers?.();
  stopTickers = withTickers.length === 0 ? undefined : gateway.subscribe(TickersSubscription, { symbols: withTickers }, ({ tickers: ticker }) => {
    state.received.tickers += 1;
    tickers.update(ticker);
  });
}

gateway.subscribe(FearGreedSubscription, {}, ({ fearGreed: reading }) => {
  state.received.fearGreed += 1;
  fearGreed.show(reading);
});

const refresh = () => refreshSymbols().catch((error: Error) => showError(`could not read the cached symbols: ${error.message}`));
await refresh();
setInterval(refresh, SYMBOLS_REFRESH_MS);
