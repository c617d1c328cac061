import { TIMEFRAMES, type CacheKind, type SymbolKind, type Timeframe } from './market-types.js';
import type { IndexRef } from './store.js';

/**
 * The key layout. Every key starts with `{namespace}:{version}:` and names its kind; a symbol sits
 * verbatim inside a hash tag so that all keys of one symbol share a Redis Cluster slot:
 *
 *   mdc:v1:ticker:{BTC/USDT}            ticker (JSON)
 *   mdc:v1:funding:{BTC/USDT:USDT}      funding rate (JSON)
 *   mdc:v1:bars:{BTC/USDT}:1h           bar series (sorted set, score = open time in ms)
 *   mdc:v1:bars:{BTC/USDT}:1h:latest    newest bar of that series (JSON), for point reads
 *   mdc:v1:book:{BTC/USDT}              order book (JSON)
 *   mdc:v1:trades:{BTC/USDT}            recent trades (sorted set, score = time in ms; its stamp at +inf)
 *   mdc:v1:trades:{BTC/USDT}:ids        ids of those trades (hash: i:<id> -> 1, m:<member> -> id)
 *   mdc:v1:fear-greed                   Fear & Greed index (JSON)
 *   mdc:v1:llm:{sentiment}:<sha256>     LLM analysis (JSON)
 *   mdc:v1:index:{ticker}               symbols index of a kind (sorted set: member = symbol, or
 *                                       "symbol timeframe" for bars; score = its entry's expiry)
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
    orderBook: (symbol: string) => `${root}book:{${symbol}}`,
    trades: (symbol: string) => `${root}trades:{${symbol}}`,
    tradeIds: (symbol: string) => `${root}trades:{${symbol}}:ids`,
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
    /** The symbols index of a kind whose entries belong to symbols. */
    index: (kind: SymbolKind) => `${root}index:{${kind}}`,
    /**
     * What `invalidateKind` removes: the prefix every key of `kind` starts with (Fear & Greed is
     * one key, its own prefix).
     */
    kindPrefix: (kind: CacheKind) => `${root}${KIND_PREFIXES[kind]}`,
    /**
     * The kind of value `key` holds (a latest-bar pointer is of `bars`); `undefined` for any other
     * key. No regular expression: every read a request makes is counted through it.
     */
    kindOf(key: string): CacheKind | undefined {
      if (!key.startsWith(root)) return undefined;
      for (const [kind, prefix] of KIND_PREFIX_ENTRIES) if (key.startsWith(prefix, root.length)) return kind;
      return undefined;
    },
    /** What a key holds, as far as a source can fill it; `undefined` for any other key. */
    describe(key: string): FillableKey | undefined {
      if (key === this.fearGreed()) return { kind: 'fearGreed' };
      const bars = /^bars:\{([^{}]+)\}:([0-9]+[mhdwM])(:latest)?$/.exec(key.startsWith(root) ? key.slice(root.length) : '');
      if (bars !== null && (TIMEFRAMES as readonly string[]).includes(bars[2]!)) {
        return { kind: bars[3] ? 'latestBar' : 'bars', symbol: bars[1]!, timeframe: bars[2] as Timeframe };
      }
      const match = /^(ticker|funding|book|trades):\{([^{}]+)\}$/.exec(key.startsWith(root) ? key.slice(root.length) : '');
      if (match === null) return undefined;
      return { kind: this.kindOf(key) as 'ticker' | 'fundingRate' | 'orderBook' | 'trades', symbol: match[2]! };
    },
    /**
     * Where the symbols index lists `key`, if it belongs to a symbol: its kind's index, and the
     * symbol (with the timeframe, for a bar series) as the member.
     */
    indexRefOf(key: string): IndexRef | undefined {
      const what = this.describe(key);
      if (what === undefined || what.kind === 'fearGreed' || what.kind === 'latestBar') return undefined;
      if (what.kind === 'bars') return { indexKey: this.index('bars'), member: `${what.symbol} ${what.timeframe}`, entryKey: key };
      return { indexKey: this.index(what.kind), member: what.symbol, entryKey: key };
    },
    /** Every bar series of a symbol, each followed by its latest-bar pointer. */
    allBarKeys(symbol: string): string[] {
      return TIMEFRAMES.flatMap((tf) => [this.bars(symbol, tf), this.latestBar(symbol, tf)]);
    },
  };
}

const KIND_PREFIXES: Record<CacheKind, string> = {
  ticker: 'ticker:',
  fundingRate: 'funding:',
  fearGreed: 'fear-greed',
  bars: 'bars:',
  llmAnalysis: 'llm:',
  orderBook: 'book:',
  trades: 'trades:',
};
const KIND_PREFIX_ENTRIES = Object.entries(KIND_PREFIXES) as Array<[CacheKind, string]>;


export type KeyLayout = ReturnType<typeof createKeyLayout>;

/** A key a source can fill. */
export type FillableKey =
  | { kind: 'ticker' | 'fundingRate' | 'orderBook' | 'trades'; symbol: string }
  | { kind: 'fearGreed' }
  | { kind: 'bars' | 'latestBar'; symbol: string; timeframe: Timeframe };

/**
 * A latest-bar pointer travels with its series, the ids of trades with their log, a fill lease
 * with its value, and the symbols index with everything: none is an entry of its own, so that
 * invalidation counts one per series or value, as a user would.
 */
export function isCountedEntry(key: string): boolean {
  return !key.endsWith(':latest') && !key.endsWith(':ids') && !/^[^:]*:[^:]*:(lease|index):/.test(key);
}
