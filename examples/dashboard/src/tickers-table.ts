import { h, staleMarker } from './dom.js';
import { formatAmount, formatPercent, formatPrice, formatTime } from './format.js';

/** A ticker as the dashboard's subscription selects it. */
export interface TickerFields {
  symbol: string;
  last: number;
  bid: number | null;
  ask: number | null;
  changePercent24h: number | null;
  volume24h: number | null;
  time: string;
  stale: boolean;
}

export interface TickersTable {
  /** The rows to show, one per symbol, in this order; a symbol's row shows dashes until its first ticker. */
  setSymbols(symbols: readonly string[]): void;
  update(ticker: TickerFields): void;
}

const FLASH_MS = 600;

export function createTickersTable(body: HTMLTableSectionElement): TickersTable {
  const rows = new Map<string, { row: HTMLTableRowElement; last?: number }>();

  const cells = (symbol: string, ticker?: TickerFields) => {
    const change = h('td', { className: 'number' }, formatPercent(ticker?.changePercent24h));
    if (ticker?.changePercent24h != null) change.classList.add(ticker.changePercent24h >= 0 ? 'up' : 'down');
    return [
      h('th', {}, symbol, ' ', staleMarker(ticker?.stale ?? false)),
      h('td', { className: 'number last' }, formatPrice(ticker?.last)),
      change,
      h('td', { className: 'number' }, formatPrice(ticker?.bid)),
      h('td', { className: 'number' }, formatPrice(ticker?.ask)),
      h('td', { className: 'number' }, formatAmount(ticker?.volume24h)),
      h('td', { className: 'number' }, formatTime(ticker?.time)),
    ];
  };

  return {
    setSymbols(symbols) {
      const kept = new Map(symbols.map((symbol) => [symbol, rows.get(symbol) ?? { row: h('tr', {}, ...cells(symbol)) }]));
      rows.clear();
      for (const [symbol, entry] of kept) rows.set(symbol, entry);
      body.replaceChildren(...[...kept.values()].map((entry) => entry.row));
    },
    update(ticker) {
      const entry = rows.get(ticker.symbol);
      if (entry === undefined) return;
      entry.row.replaceChildren(...cells(ticker.symbol, ticker));
      // A brief green or red on the row says which way the price just moved.
      if (entry.last !== undefined && entry.last !== ticker.last) {
        entry.row.classList.remove('tick-up', 'tick-down');
        void entry.row.offsetWidth; // restarts the animation when the same class comes back
        entry.row.classList.add(ticker.last > entry.last ? 'tick-up' : 'tick-down');
        setTimeout(() => entry.row.classList.remove('tick-up', 'tick-down'), FLASH_MS);
      }
      entry.last = ticker.last;
    },
  };
}
