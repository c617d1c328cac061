import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { createYoga } from 'graphql-yoga';
import type { Logger } from 'pino';
import { createKeyLayout } from './cache/keys.js';
import { createMarketCache } from './cache/market-cache.js';
import { DEFAULTS } from './defaults.js';
import { createFiller } from './read/fill/filler.js';
import { createReadPlans } from './read/plan/read-plans.js';
import { createAnalyzer } from './read/fill/analyze.js';
import { warmCache } from './read/fill/warm.js';
import { createSources } from './sources/sources.js';
import type { Timeframe } from './cache/market-types.js';
import { createStaleTier } from './cache/stale-tier.js';
import type { CacheStore } from './cache/store.js';
import type { Config } from './config.js';
import { createContext, type GatewayContext } from './resolvers/context.js';
import { schema } from './schema/index.js';
import { createGraphiQLRenderer, GRAPHIQL_OPTIONS } from './edge/graphiql.js';
import { useArgumentNames } from './edge/use-argument-names.js';
import { corsPolicy } from './edge/cors-policy.js';
import { useBodyLimit } from './edge/use-body-limit.js';
import { useCsrfPrevention } from './edge/use-csrf-prevention.js';
import { useHiddenSuggestions } from './edge/use-hidden-suggestions.js';
import { useNestingLimit } from './edge/use-nesting-limit.js';
import { useOperationLimits } from './edge/use-operation-limits.js';
import { useVariablesLimit } from './edge/use-variables-limit.js';
import { usePersistedDocuments } from './edge/persisted-documents.js';
import { useReadiness } from './edge/use-readiness.js';
import { useDashboard } from './edge/use-dashboard.js';
import { useReadPlans } from './read/use-read-plans.js';
import { useReadCost } from './edge/use-read-cost.js';
import { useFiniteNumbers } from './edge/use-finite-numbers.js';
import { maskErrorFor } from './edge/mask-error.js';
import { createParseCache } from './edge/parse-cache.js';
import { createFastLane, type FastLaneDeps, type FastLaneServerContext } from './edge/fast-lane.js';
import { createKnownDocuments } from './edge/known-documents.js';
import { useMetrics } from './edge/use-metrics.js';
import { useHttpCaching } from './edge/http-caching.js';
import type { RedisInfo } from './cache/redis-info.js';
import { createCacheStats } from './metrics/cache-stats.js';
import { createMetrics, type Metrics, type ReadResult } from './metrics/metrics.js';
import { createLiveHub } from './live/live-hub.js';
import { createLiveUpdates } from './live/live-updates.js';

export interface GatewayDeps {
  config: Config;
  store: CacheStore;
  logger: Logger;
  /** Whether the store can be reached now, for `/ready`. The in-memory store always can. */
  isReady?: () => boolean | Promise<boolean>;
  /** This gateway's metrics, when the caller counts into them too (its store's calls); its own otherwise. */
  metrics?: Metrics;
  /** Redis's own figures, for `cacheStats`; none on the in-memory store. */
  redisInfo?: () => Promise<RedisInfo>;
}

/**
 * Builds the gateway: a yoga server answering `/graphql` (GraphiQL on GET from a browser),
 * `/health`, `/ready`, `/metrics` and, with `DASHBOARD_DIR`, the dashboard under `/dashboard/`.
 * It does not listen and reads no environment; `src/main.ts` does both, serving `fastLane` (the
 * fast lane in front of yoga, src/edge/fast-lane.ts) and subscriptions over WebSocket, on the
 * same server. It does not own `store` either: closing it is the caller's
 * business.
 */
export function createGateway({ config, store, logger, isReady = () => true, metrics = createMetrics(), redisInfo }: GatewayDeps) {
  const keys = createKeyLayout(config);
  const tier = createStaleTier({ maxBytes: config.staleTierMaxBytes, maxAgeMs: config.staleMaxAgeSeconds * 1000 });
  const readPlans = config.readPlans ? createReadPlans() : undefined;
  // The documents the fast lane may answer: those a read plan has answered through yoga.
  const known = readPlans && config.fastLane ? createKnownDocuments() : undefined;
  // What another gateway process changed is no longer what this one keeps: its stale tier and its
  // renderings drop it, so that it is never served, stale or not, once Redis has a newer answer.
  store.onChange((change) => {
    if ('key' in change) tier.forget(change.key);
    else tier.forgetPrefix(change.prefix);
    readPlans?.forget(change);
  });
  const sources = createSources(config.sources, logger, metrics);
  metrics.watchStaleTier(() => tier.stats());
  const { ticker, fundingRate, fearGreed, orderBook, trades } = config.graceSeconds;
  const cache = createMarketCache({
    store,
    tier,
    keys,
    ttl: config.ttlSeconds,
    graceSeconds: { ...(sources.exchange && { ticker, fundingRate, orderBook, trades }), ...(sources.fearGreed && { fearGreed }) },
    barsMaxPerSeries: config.barsMaxPerSeries,
    tradesMaxPerSymbol: config.tradesMaxPerSymbol,
  });
  const filler =
    sources.exchange || sources.fearGreed
      ? createFiller({
          store,
          keys,
          ttlSeconds: config.ttlSeconds,
          graceSeconds: config.graceSeconds,
          ...sources,
          negativeTtlMs: config.sources.negativeTtlSeconds * 1000,
          leaseMs: config.sources.timeoutMs + DEFAULTS.upstream.leaseSlackMs,
          barsMaxPerSeries: config.barsMaxPerSeries,
          tradesMaxPerSymbol: config.tradesMaxPerSymbol,
          openBarTtlMs: config.sources.openBarTtlSeconds * 1000,
          logger,
        })
      : undefined;
  const warm = filler?.bars && ((symbols: readonly string[], timeframes: readonly Timeframe[]) =>
    warmCache({ store, keys, filler, barsLimit: DEFAULTS.fields.warmBars, logger }, symbols, timeframes));
  // Every change this process or any other makes reaches its subscriptions through the store.
  const hub = createLiveHub({ store, logger });
  const live = createLiveUpdates({ hub, logger, ...config.live });
  metrics.watchLive(live.stats);
  const deps = {
    filler,
    warm,
    analyze: sources.llm && createAnalyzer({ store, keys, llm: sources.llm, ttlSeconds: config.ttlSeconds.llmAnalysis, logger }).analyze,
    keys,
    store,
    tier,
    cache,
    logger,
    writerToken: config.writerToken,
    adminToken: config.adminToken,
    maxResponseBytes: config.maxResponseBytes,
    countRead: (key: string, result: ReadResult) => {
      const kind = keys.kindOf(key);
      if (kind !== undefined) metrics.read(kind, result);
    },
    stats: createCacheStats({ store, keys, metrics, redisInfo }),
    live,
  };

  const yoga = createYoga<Record<string, unknown>, GatewayContext>({
    schema,
    // A request the fast lane handed over after its plan ran keeps that plan's context (and what it read).
    context: ({ request, fastLaneContext }: { request: Request } & Partial<FastLaneServerContext>) => fastLaneContext ?? createContext(request, deps),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/health',
    landingPage: false,
    graphiql: config.graphiql && GRAPHIQL_OPTIONS,
    renderGraphiQL: createGraphiQLRenderer(),
    cors: corsPolicy(config.corsOrigins),
    // useBodyLimit enforces MAX_BODY_BYTES instead, with the limit in its message.
    maxRequestBodySize: false,
    // yoga's own caches are bounded by count only: 1024 documents of 100 KB held gigabytes.
    parserAndValidationCache: createParseCache(),
    logging: logger,
    maskedErrors: { maskError: maskErrorFor(config.production) },
    plugins: [
      // First: it times each request from its arrival, and serves /metrics before any other check.
      useMetrics(metrics, { token: config.metricsToken }),
      useReadiness(isReady),
      config.dashboardDir !== undefined && useDashboard({ dir: config.dashboardDir }),
      useBodyLimit({ maxBytes: config.maxBodyBytes }),
      useCsrfPrevention(),
      // The first to see an operation's parameters: with PERSISTED_DOCUMENTS_ONLY, a query is
      // refused before its variables are measured or its text parsed.
      config.persistedDocuments !== undefined && usePersistedDocuments({ documents: config.persistedDocuments, only: config.persistedDocumentsOnly }),
      useVariablesLimit({ maxBytes: config.maxVariablesBytes }),
      useNestingLimit(),
      useOperationLimits(config.limits),
      config.production && useHiddenSuggestions(),
      !config.introspection && useDisableIntrospection(),
      useFiniteNumbers(),
      useArgumentNames(),
      useReadCost({ maxCost: config.maxReadCost }),
      readPlans !== undefined && useReadPlans(readPlans, known),
      useHttpCaching(),
    ],
  });
  // `fastLane`: the Node request listener to serve with, yoga behind the fast lane (or yoga alone).
  const fastLane =
    readPlans && known
      ? createFastLane({
          // whatwg-node's listener adds a third argument to the server context; its type omits it.
          yoga: yoga.requestListener as FastLaneDeps['yoga'],
          schema,
          plans: readPlans,
          known,
          context: (request) => createContext(request, deps),
          metrics,
          maxBodyBytes: config.maxBodyBytes,
          maxVariablesBytes: config.maxVariablesBytes,
          maxReadCost: config.maxReadCost,
          corsOrigins: config.corsOrigins,
          persisted: config.persistedDocuments && { documents: config.persistedDocuments, only: config.persistedDocumentsOnly },
        })
      : yoga;
  // The warm-up, for main.ts to run at start-up as `warmCache` does; `live`, to end every
  // subscription at shutdown (an open stream would hold its connection until the grace ends).
  return Object.assign(yoga, {
    fastLane,
    warm,
    live,
    // For WebSocket subscriptions (src/edge/websocket.ts), which do not go through yoga's params.
    persistedDocuments: config.persistedDocuments,
    persistedDocumentsOnly: config.persistedDocumentsOnly,
    close() {
      live.close();
      hub.close();
    },
  });
}

export type Gateway = ReturnType<typeof createGateway>;
