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
    /** Every bar series of a symbol, each followed by its latest-bar pointer. */
    allBarKeys(symbol: string): string[] {
      return TIMEFRAMES.flatMap((tf) => [this.bars(symbol, tf), this.latestBar(symbol, tf)]);
    },
  };
}

export type KeyLayout = ReturnType<typeof createKeyLayout>;

/**
 * A latest-bar pointer travels with its series and is not an entry of its own, so that
 * invalidation counts one per series, as a user would.
 */
export function isCountedEntry(key: string): boolean {
  return !key.endsWith(':latest');
}
