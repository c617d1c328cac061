import { TIMEFRAMES, type Timeframe } from './market-types.js';

/**
 * The key layout. Every key starts with `{namespace}:{version}:` and names its kind; a symbol sits
 * verbatim inside a hash tag so that all keys of one symbol share a Redis Cluster slot:
 *
 *   mdc:v1:ticker:{BTC/USDT}            ticker (JSON)
 *   mdc:v1:funding:{BTC/USDT:USDT}      funding rate (JSON)
 *   mdc:v1:bars:{BTC/USDT}:1h           bar series (sorted set, score = open time in ms)
 *   mdc:v1:bars:{BTC/USDT}:1h:latest    newest bar of that series (JSON), for point reads
 *   mdc:v1:fear-greed                   Fear & Greed index (JSON)
 *   mdc:v1:llm:{sentiment}:<sha256>     LLM analysis (JSON)
 *
 * Symbols and analysis types are validated at the edge to exclude `{ } * ? [ ] \`, so a key
 * can never contain a second hash tag or act as a pattern.
 */
export function createKeyLayout({ namespace, version }: { namespace: string; version: string }) {
  const root = `${namespace}:${version}:`;
  return {
    root,
    ticker: (symbol: string) => `${root}ticker:{${symbol}}`,
    fundingRate: (symbol: string) => `${root}funding:{${symbol}}`,
    bars: (symbol: string, timeframe: Timeframe) => `${root}bars:{${symbol}}:${timeframe}`,
    latestBar: (symbol: string, timeframe: Timeframe) => `${root}bars:{${symbol}}:${timeframe}:latest`,
    fearGreed: () => `${root}fear-greed`,
    llmAnalysis: (analysisType: string, inputHash: string) => `${root}llm:{${analysisType}}:${inputHash}`,
    llmAnalysisType: (analysisType: string) => `${root}llm:{${analysisType}}:`,
    /**
     * The fill lease of `key` (see src/read/fill), under its own prefix so that an invalidation
     * can drop every lease before any value; in `key`'s hash tag (or with `key` as its tag when it
     * has none) so that both share a Redis Cluster slot.
     */
    lease: (key: string) => (key.includes('{') ? `${root}lease:${key.slice(root.length)}` : `${root}lease:{${key}}`),
    /** The prefix of every lease of keys that start with `prefix`. */
    leasePrefix: (prefix: string) => `${root}lease:${prefix.slice(root.length)}`,
    /** What a key holds, as far as a source can fill it; `undefined` for any other key. */
    describe(key: string): FillableKey | undefined {
      if (key === this.fearGreed()) return { kind: 'fearGreed' };
      const bars = /^bars:\{([^{}]+)\}:([0-9]+[mhdwM])(:latest)?$/.exec(key.startsWith(root) ? key.slice(root.length) : '');
      if (bars !== null && (TIMEFRAMES as readonly string[]).includes(bars[2]!)) {
        return { kind: bars[3] ? 'latestBar' : 'bars', symbol: bars[1]!, timeframe: bars[2] as Timeframe };
      }
      const match = /^(ticker|funding):\{([^{}]+)\}$/.exec(key.startsWith(root) ? key.slice(root.length) : '');
      if (match === null) return undefined;
      return { kind: match[1] === 'ticker' ? 'ticker' : 'fundingRate', symbol: match[2]! };
    },
    /** Every bar series of a symbol, each followed by its latest-bar pointer. */
    allBarKeys(symbol: string): string[] {
      return TIMEFRAMES.flatMap((tf) => [this.bars(symbol, tf), this.latestBar(symbol, tf)]);
    },
  };
}

export type KeyLayout = ReturnType<typeof createKeyLayout>;

/** A point key a source can fill. */
export type FillableKey =
  | { kind: 'ticker' | 'fundingRate'; symbol: string }
  | { kind: 'fearGreed' }
  | { kind: 'bars' | 'latestBar'; symbol: string; timeframe: Timeframe };

/**
 * A latest-bar pointer travels with its series, and a fill lease with its value: neither is an
 * entry of its own, so that invalidation counts one per series or value, as a user would.
 */
export function isCountedEntry(key: string): boolean {
  return !key.endsWith(':latest') && !/^[^:]*:[^:]*:lease:/.test(key);
}
