/** The default time to live of each kind of value, in seconds. */
export interface TtlPolicy {
  ticker: number;
  fundingRate: number;
  fearGreed: number;
  bars: number;
  llmAnalysis: number;
  orderBook: number;
  trades: number;
}

/** A write's TTL: the caller's `ttlSeconds` when given, else the kind's default. */
export function ttlMsFor(policy: TtlPolicy, kind: keyof TtlPolicy, ttlSeconds?: number | null): number {
  return (ttlSeconds ?? policy[kind]) * 1000;
}
