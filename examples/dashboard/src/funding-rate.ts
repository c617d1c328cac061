import { markStale } from './dom.js';
import { formatDateTime, formatPercent } from './format.js';

/** A funding rate as the dashboard's subscription selects it. */
export interface FundingRateFields {
  symbol: string;
  rate: number;
  nextFundingTime: string | null;
  stale: boolean;
}

/**
 * The symbols whose funding rate belongs to a spot symbol: itself, and its USD-margined
 * perpetual as ccxt spells it (`BTC/USDT` → `BTC/USDT:USDT`), where the demo and exchanges keep it.
 */
export function fundingSymbolsOf(symbol: string): string[] {
  const quote = /^[^/:]+\/([^/:]+)$/.exec(symbol)?.[1];
  return quote === undefined ? [symbol] : [symbol, `${symbol}:${quote}`];
}

export interface FundingRateView {
  show(fundingRate: FundingRateFields): void;
  clear(message: string): void;
}

export function createFundingRateView(parts: { value: HTMLElement; detail: HTMLElement; stale: HTMLElement }): FundingRateView {
  return {
    show({ symbol, rate, nextFundingTime, stale }) {
      // Rates are fractions per funding interval: 0.0001 is 0.01%.
      parts.value.textContent = formatPercent(rate * 100, 4);
      parts.value.className = rate >= 0 ? 'reading up' : 'reading down';
      parts.detail.textContent = `${symbol}, next funding ${formatDateTime(nextFundingTime)} UTC`;
      markStale(parts.stale, stale);
    },
    clear(message) {
      parts.value.textContent = '–';
      parts.value.className = 'reading';
      parts.detail.textContent = message;
      markStale(parts.stale, false);
    },
  };
}
