import type { Timeframe } from '../cache/market-types.js';
import type { Logger } from 'pino';
import type { KeyLayout } from '../cache/keys.js';
import type { MarketCache } from '../cache/market-cache.js';
import type { CacheStats } from '../metrics/cache-stats.js';
import type { StaleTier } from '../cache/stale-tier.js';
import type { CacheStore } from '../cache/store.js';
import { authenticate, type AuthState, type Tokens } from './auth.js';
import type { Filler } from '../read/fill/filler.js';
import type { LiveUpdates } from '../live/live-updates.js';
import type { Analyze } from '../read/fill/analyze.js';
import type { WarmResult } from '../read/fill/warm.js';
import { createLoaders, type CountRead, type Loaders } from '../read/loaders.js';
import { createResponseBudget, type ResponseBudget } from '../read/response-budget.js';

/**
 * What a resolver sees of one request and of the gateway: who is asking, the request's own loaders
 * and response budget (every read goes through them), the key layout reads are named with, and
 * the cache's writes and invalidations. The store and the stale tier are not here: reads reach
 * them only through the loaders, writes only through `cache`.
 */
type Warm = (symbols: readonly string[], timeframes: readonly Timeframe[]) => Promise<WarmResult>;

export interface GatewayContext {
  auth: AuthState;
  loaders: Loaders;
  budget: ResponseBudget;
  keys: KeyLayout;
  cache: MarketCache;
  logger: Logger;
  /** Asks the LLM source, once per input across processes; none configured, none given. */
  analyze?: Analyze;
  /** Fills tickers, funding rates and bars from the exchange (`warmCache`); no exchange, none given. */
  warm?: Warm;
  /** What `cacheStats` reports: this gateway's reads, keys per kind, Redis's own figures. */
  stats: CacheStats;
  /** The subscription fields' streams (src/live). */
  live: LiveUpdates;
  /** Aborts when the client goes away: a subscription over SSE ends with it. */
  signal?: AbortSignal;
}

export interface ContextDeps extends Tokens {
  /** Fills misses from the configured sources; none configured, none given. */
  filler?: Filler;
  analyze?: Analyze;
  warm?: Warm;
  maxResponseBytes: number;
  keys: KeyLayout;
  store: CacheStore;
  tier: StaleTier;
  cache: MarketCache;
  logger: Logger;
  /** Counts what the cache answered to each read (see metrics.ts). */
  countRead?: CountRead;
  stats: CacheStats;
  live: LiveUpdates;
}

/** What a context needs of its request: a fetch `Request`, or what the fast lane has of a Node one. */
export interface ContextRequest {
  headers: { get(name: string): string | null };
  signal?: AbortSignal;
}

/** Builds the context of one request: its credentials and its own, fresh loaders. */
export function createContext(request: ContextRequest, deps: ContextDeps): GatewayContext {
  return {
    auth: authenticate(request.headers.get('authorization'), deps),
    loaders: createLoaders(deps.store, deps.tier, deps.filler, deps.countRead),
    budget: createResponseBudget(deps.maxResponseBytes),
    keys: deps.keys,
    cache: deps.cache,
    logger: deps.logger,
    analyze: deps.analyze,
    warm: deps.warm,
    stats: deps.stats,
    live: deps.live,
    signal: request.signal,
  };
}
