import { h, markStale } from './dom.js';
import { formatAmount, formatPrice, formatTime } from './format.js';

export interface Level {
  price: number;
  amount: number;
}

/** A book as the dashboard's subscription selects it: bids highest first, asks lowest first. */
export interface OrderBookFields {
  time: string;
  bids: readonly Level[];
  asks: readonly Level[];
  stale: boolean;
}

export interface OrderBookView {
  show(book: OrderBookFields): void;
  clear(message: string): void;
}

/** The best levels of each side, bids on the left and asks on the right as an exchange shows them, and the spread. */
export function createOrderBookView(parts: { rows: HTMLTableSectionElement; spread: HTMLElement; stale: HTMLElement }): OrderBookView {
  return {
    show({ time, bids, asks, stale }) {
      const levels = Math.max(bids.length, asks.length);
      parts.rows.replaceChildren(
        ...Array.from({ length: levels }, (_, level) =>
          h(
            'tr',
            {},
            h('td', { className: 'number' }, formatAmount(bids[level]?.amount)),
            h('td', { className: 'number bid' }, formatPrice(bids[level]?.price)),
            h('td', { className: 'number ask' }, formatPrice(asks[level]?.price)),
            h('td', { className: 'number' }, formatAmount(asks[level]?.amount)),
          ),
        ),
      );
      const [bestBid, bestAsk] = [bids[0]?.price, asks[0]?.price];
      if (bestBid === undefined || bestAsk === undefined) {
        parts.spread.textContent = `one side empty, at ${formatTime(time)} UTC`;
      } else {
        const spread = bestAsk - bestBid;
        const basisPoints = (spread / ((bestAsk + bestBid) / 2)) * 10_000;
        parts.spread.textContent = `spread ${formatPrice(spread)} (${basisPoints.toFixed(2)} bp), at ${formatTime(time)} UTC`;
      }
      markStale(parts.stale, stale);
    },
    clear(message) {
      parts.rows.replaceChildren();
      parts.spread.textContent = message;
      markStale(parts.stale, false);
    },
  };
}
