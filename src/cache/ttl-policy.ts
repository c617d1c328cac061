/** The default time to live of each kind of value, in seconds. */
export interface TtlPolicy {
  ticker: number;
  fundingRate: number;
  fearGreed: number;
  bars: number;
  llmAnalysis: number;
}

export const DEFAULT_TTL_SECONDS: Readonly<TtlPolicy> = Object.freeze({
  ticker: 10,
  fundingRate: 60,
  fearGreed: 300,
  bars: 86_400,
  llmAnalysis: 21_600,
});

/** A write's TTL: the caller's `ttlSeconds` when given, else the kind's default. */
export function ttlMsFor(policy: TtlPolicy, kind: keyof TtlPolicy, ttlSeconds?: number | null): number {
  return (ttlSeconds ?? policy[kind]) * 1000;
}
