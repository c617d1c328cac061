import { markStale } from './dom.js';
import { formatDateTime } from './format.js';

/** Fear & Greed as the dashboard's subscription selects it. */
export interface FearGreedFields {
  value: number;
  classification: string;
  time: string;
  stale: boolean;
}

/** The index as a number, its classification, and a gauge from 0 (extreme fear) to 100 (extreme greed). */
export function createFearGreedView(parts: { value: HTMLElement; detail: HTMLElement; gauge: HTMLElement; stale: HTMLElement }) {
  return {
    show({ value, classification, time, stale }: FearGreedFields) {
      parts.value.textContent = String(value);
      parts.detail.textContent = `${classification}, ${formatDateTime(time)} UTC`;
      parts.gauge.style.width = `${Math.min(100, Math.max(0, value))}%`;
      parts.gauge.style.backgroundColor = `hsl(${Math.round(value * 1.2)}, 65%, 45%)`;
      markStale(parts.stale, stale);
    },
  };
}
