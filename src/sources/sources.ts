import type { Logger } from 'pino';
import type { SourcesConfig } from '../config.js';
import type { Metrics, UpstreamSource } from '../metrics/metrics.js';
import { createFearGreedSource } from './fear-greed.js';
import { createLlmSource } from './llm.js';
import type { ExchangeSource, FearGreedSource, LlmSource } from './source.js';
import { createUpstreamGuard, type UpstreamGuard } from './upstream-guard.js';

export interface GuardedSources {
  exchange?: { source: ExchangeSource; guard: UpstreamGuard };
  fearGreed?: { source: FearGreedSource; guard: UpstreamGuard };
  llm?: { source: LlmSource; guard: UpstreamGuard };
}

/**
 * The sources `config` names, each behind its own guard (timeout, concurrency, back-off), its
 * calls counted and timed in `metrics`; none when it names none.
 */
export function createSources(config: SourcesConfig, logger: Logger, metrics?: Pick<Metrics, 'upstream'>): GuardedSources {
  const guard = (source: UpstreamSource) =>
    createUpstreamGuard({
      source,
      timeoutMs: config.timeoutMs,
      maxConcurrency: config.maxConcurrency,
      logger,
      observe: metrics && ((outcome, seconds) => metrics.upstream(source, outcome, seconds)),
    });
  return {
    ...(config.exchangeId !== undefined && {
      exchange: {
        source: lazyExchangeSource({ exchangeId: config.exchangeId, apiUrl: config.exchangeApiUrl, timeoutMs: config.timeoutMs }),
        guard: guard('exchange'),
      },
    }),
    ...(config.fearGreedUrl !== undefined && {
      fearGreed: { source: createFearGreedSource({ url: config.fearGreedUrl }), guard: guard('fear-greed') },
    }),
    ...(config.llm !== undefined && { llm: { source: createLlmSource(config.llm), guard: guard('llm') } }),
  };
}

/**
 * The exchange source, with ccxt loaded on its first call: ccxt costs most of a second and tens of
 * MiB to import, which a gateway without an exchange should not pay. (`main.ts` checks the
 * exchange id at start-up, so a wrong one fails there and not at the first read.)
 */
function lazyExchangeSource(options: { exchangeId: string; apiUrl: string | undefined; timeoutMs: number }): ExchangeSource {
  let made: Promise<ExchangeSource> | undefined;
  const source = () => (made ??= import('./exchange.js').then(({ createExchangeSource }) => createExchangeSource(options)));
  return {
    id: options.exchangeId,
    fetchTickers: async (symbols, signal) => (await source()).fetchTickers(symbols, signal),
    fetchFundingRate: async (symbol, signal) => (await source()).fetchFundingRate(symbol, signal),
    fetchBars: async (symbol, timeframe, request, signal) => (await source()).fetchBars(symbol, timeframe, request, signal),
    fetchOrderBook: async (symbol, depth, signal) => (await source()).fetchOrderBook(symbol, depth, signal),
    fetchTrades: async (symbol, limit, signal) => (await source()).fetchTrades(symbol, limit, signal),
  };
}
