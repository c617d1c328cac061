// How numbers and times read on the page: in English digit grouping, times in UTC.

const NONE = '–';

/** A price with the decimals its size needs: 2 above 1000, 4 above 1, 6 below. */
export function formatPrice(value: number | null | undefined): string {
  if (value == null) return NONE;
  const decimals = Math.abs(value) >= 1000 ? 2 : Math.abs(value) >= 1 ? 4 : 6;
  return value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: decimals });
}

export function formatAmount(value: number | null | undefined): string {
  return value == null ? NONE : value.toLocaleString('en-US', { maximumFractionDigits: 4 });
}

/** A signed percentage, `+1.25%`. */
export function formatPercent(value: number | null | undefined, decimals = 2): string {
  if (value == null) return NONE;
  return `${value > 0 ? '+' : ''}${value.toFixed(decimals)}%`;
}

/** `HH:MM:SS` of an RFC 3339 time, in UTC as the gateway gives it. */
export function formatTime(iso: string | null | undefined): string {
  if (iso == null) return NONE;
  return new Date(iso).toISOString().slice(11, 19);
}

/** `YYYY-MM-DD HH:MM` of an RFC 3339 time, in UTC. */
export function formatDateTime(iso: string | null | undefined): string {
  if (iso == null) return NONE;
  return new Date(iso).toISOString().slice(0, 16).replace('T', ' ');
}
