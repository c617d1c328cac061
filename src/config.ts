import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseRedisTopology, type RedisTopology } from './cache/redis-topology.js';
import type { TtlPolicy } from './cache/ttl-policy.js';
import { TIMEFRAMES, type Timeframe } from './cache/market-types.js';
import { isMarketSymbol } from './cache/value-rules.js';
import { DEFAULTS } from './defaults.js';
import { loadLlmAnalyses, type LlmAnalyses } from './sources/llm.js';
import { loadPersistedDocuments } from './edge/persisted-documents.js';

/** The gateway's settings, parsed from the environment once at start-up and frozen. */
export interface Config {
  readonly host: string;
  readonly port: number;
  /** Which Redis, and how to reach it; unset means the embedded in-memory store. */
  readonly redis: RedisTopology | undefined;
  /**
   * Replicas `WAIT` must confirm before a write is acknowledged (0: acknowledged once the master
   * applied it).
   */
  readonly redisWaitReplicas: number;
  readonly namespace: string;
  readonly version: string;
  readonly writerToken: string | undefined;
  readonly adminToken: string | undefined;
  /** When set, `GET /metrics` needs it as a bearer token. */
  readonly metricsToken: string | undefined;
  readonly barsMaxPerSeries: number;
  readonly tradesMaxPerSymbol: number;
  readonly memoryMaxKeys: number;
  /** Bytes the in-memory store may hold, as it counts a value's cost in memory. */
  readonly memoryMaxBytes: number;
  readonly ttlSeconds: Readonly<TtlPolicy>;
  readonly logLevel: string;
  readonly production: boolean;
  /** The V8 heap bound `npm start` runs the process with (`--max-old-space-size`), in MiB. */
  readonly maxHeapMb: number;
  /** Redis fault handling: see src/cache/redis-store.ts and src/cache/circuit-breaker-store.ts. */
  readonly redisReadTimeoutMs: number;
  /** Most a read may take while Redis keeps sending its reply. */
  readonly redisReadMaxMs: number;
  readonly redisWriteTimeoutMs: number;
  readonly circuitOpenMs: number;
  readonly staleTierMaxBytes: number;
  readonly staleMaxAgeSeconds: number;
  /** Hostile-input limits and exposure: see src/edge/use-*.ts. */
  readonly graphiql: boolean;
  readonly introspection: boolean;
  /** Answer plain cache queries with read plans instead of the executor (READ_PLANS, on by default). */
  readonly readPlans: boolean;
  /** Answer the requests a read plan serves straight from the socket, before yoga (FAST_LANE, on by default; needs READ_PLANS). */
  readonly fastLane: boolean;
  readonly corsOrigins: readonly string[];
  readonly maxBodyBytes: number;
  readonly maxVariablesBytes: number;
  readonly limits: Readonly<OperationLimits>;
  /** What one operation may read: point keys plus bars (see src/edge/use-read-cost.ts). */
  readonly maxReadCost: number;
  /** Bytes of cached values one response may carry. */
  readonly maxResponseBytes: number;
  readonly http: Readonly<HttpLimits>;
  /** Where misses are filled from; every source is optional (see src/sources). */
  readonly sources: Readonly<SourcesConfig>;
  /** Seconds past its TTL a value of each kind may be served, marked stale. */
  readonly graceSeconds: Readonly<TtlPolicy>;
  /** Limits of live updates (subscriptions). */
  readonly live: Readonly<LiveConfig>;
  /** The built dashboard, served under `/dashboard` when set (DASHBOARD_DIR). */
  readonly dashboardDir: string | undefined;
  /** The manifest `PERSISTED_DOCUMENTS` names, loaded and checked: document id to text. */
  readonly persistedDocuments: ReadonlyMap<string, string> | undefined;
  /** Operations only by document id (`PERSISTED_DOCUMENTS_ONLY`); needs `persistedDocuments`. */
  readonly persistedDocumentsOnly: boolean;
}

export interface LiveConfig {
  maxSubscriptions: number;
  maxSubscribedSymbols: number;
  maxSubscriptionsPerConnection: number;
}

export interface SourcesConfig {
  /** A ccxt exchange id: the source of tickers, funding rates and bars. */
  exchangeId: string | undefined;
  /** Replaces the origin of every REST endpoint of the exchange. */
  exchangeApiUrl: string | undefined;
  fearGreedUrl: string | undefined;
  timeoutMs: number;
  maxConcurrency: number;
  negativeTtlSeconds: number;
  /** How often, at most, the open candle of a series is fetched again. */
  openBarTtlSeconds: number;
  /** Filled from the exchange at start-up, in the background (WARM_SYMBOLS, WARM_TIMEFRAMES). */
  warmSymbols: readonly string[];
  warmTimeframes: readonly Timeframe[];
  /** An OpenAI-compatible API, the source of `analyze`; set when LLM_BASE_URL is. */
  llm: Readonly<LlmConfig> | undefined;
}

export interface LlmConfig {
  /** `/chat/completions` is appended. */
  baseUrl: string;
  /** Sent as `authorization: Bearer <apiKey>`: never echoed in an error or a log line. */
  apiKey: string | undefined;
  /** The model of every analysis type that names none. */
  model: string;
  /** The `LLM_ANALYSES` file, loaded and checked: each analysis type's prompt, model and TTL. */
  analyses: LlmAnalyses;
}

/** The HTTP server's own bounds (see src/main.ts). */
export interface HttpLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

export interface OperationLimits {
  depth: number;
  aliases: number;
  tokens: number;
  directives: number;
  cost: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const MAX_TTL_SECONDS = DEFAULTS.cache.maxTtlSeconds;
const NAME_PATTERN = DEFAULTS.namePattern;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const MIN_TOKEN_LENGTH = 16;
/** As `putLlmAnalysis` takes a `model`. */
const MAX_MODEL_LENGTH = 200;

/**
 * Reads and validates the environment. Throws `ConfigError` naming the first bad variable,
 * what it expects and what it received.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const fail = (name: string, expected: string, received: string): never => {
    throw new ConfigError(`${name}: expected ${expected}, received ${JSON.stringify(received)}`);
  };
  const integer = (name: string, fallback: number, min: number, max: number) => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      fail(name, `an integer from ${min} to ${max}`, raw);
    }
    return value;
  };
  const name = (variable: string, fallback: string) => {
    const value = read(variable) ?? fallback;
    if (!NAME_PATTERN.test(value)) fail(variable, '1-64 characters of A-Z a-z 0-9 _ . -', value);
    return value;
  };
  const token = (variable: string) => {
    const value = read(variable);
    if (value !== undefined && (value.length < MIN_TOKEN_LENGTH || /\s/.test(value))) {
      fail(variable, `at least ${MIN_TOKEN_LENGTH} characters with no white space`, `${value.length} characters`);
    }
    return value;
  };
  const ttl = (variable: string, fallback: number) => integer(variable, fallback, 1, MAX_TTL_SECONDS);
  const flag = (variable: string, fallback: boolean) => {
    const raw = read(variable);
    if (raw === undefined) return fallback;
    if (raw !== 'true' && raw !== 'false') fail(variable, 'true or false', raw);
    return raw === 'true';
  };
  const origins = (variable: string) => {
    const list = (read(variable) ?? '').split(',').map((origin) => origin.trim()).filter(Boolean);
    for (const origin of list) {
      if (!/^https?:\/\/[^/\s,]+$/.test(origin)) fail(variable, 'comma-separated origins like https://app.example.com', origin);
    }
    return Object.freeze(list);
  };

  const httpUrl = (variable: string) => {
    const value = read(variable);
    if (value !== undefined && !/^https?:\/\/[^\s]+$/.test(value)) fail(variable, 'an http:// or https:// URL', value.replace(/\/\/[^@/]*@/, '//***@'));
    return value;
  };
  const directory = (variable: string) => {
    const value = read(variable);
    if (value !== undefined && !statSync(value, { throwIfNoEntry: false })?.isDirectory()) fail(variable, 'a directory', value);
    return value === undefined ? undefined : resolve(value);
  };
  const exchangeId = read('EXCHANGE_ID');
  if (exchangeId !== undefined && !/^[a-z0-9]{2,32}$/.test(exchangeId)) fail('EXCHANGE_ID', 'a ccxt exchange id such as binance, bybit or okx', exchangeId);
  const exchangeApiUrl = httpUrl('EXCHANGE_API_URL');
  if (exchangeApiUrl !== undefined && exchangeId === undefined) {
    throw new ConfigError('EXCHANGE_API_URL: expected EXCHANGE_ID to be set too, received EXCHANGE_API_URL alone');
  }
  const grace = (variable: string, fallback: number) => integer(variable, fallback, 0, MAX_TTL_SECONDS);
  const llm = llmConfig(read, httpUrl);

  let redis: RedisTopology | undefined;
  try {
    redis = parseRedisTopology({
      REDIS_URL: read('REDIS_URL'),
      REDIS_CLUSTER_NODES: read('REDIS_CLUSTER_NODES'),
      REDIS_SENTINELS: read('REDIS_SENTINELS'),
      REDIS_SENTINEL_NAME: read('REDIS_SENTINEL_NAME'),
    });
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const logLevel = read('LOG_LEVEL') ?? DEFAULTS.process.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) fail('LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`, logLevel);

  const writerToken = token('WRITER_TOKEN');
  const adminToken = token('ADMIN_TOKEN');
  if (writerToken !== undefined && writerToken === adminToken) {
    throw new ConfigError('WRITER_TOKEN: expected a token different from ADMIN_TOKEN, received the same token');
  }
  // It sits in the scraper's configuration: it must not open writes or invalidations too.
  const metricsToken = token('METRICS_TOKEN');
  if (metricsToken !== undefined && (metricsToken === writerToken || metricsToken === adminToken)) {
    throw new ConfigError('METRICS_TOKEN: expected a token different from WRITER_TOKEN and ADMIN_TOKEN, received the same token as one of them');
  }

  const production = read('NODE_ENV') === 'production';
  const atLeast = (variable: string, value: number, other: string, otherValue: number) => {
    if (value < otherValue) fail(variable, `at least ${other} (${otherValue})`, String(value));
    return value;
  };
  const redisReadTimeoutMs = integer('REDIS_READ_TIMEOUT_MS', DEFAULTS.redis.readTimeoutMs, 1, 60_000);
  const headersTimeoutMs = integer('HTTP_HEADERS_TIMEOUT_MS', DEFAULTS.http.headersTimeoutMs, 100, 600_000);
  const persistedDocuments = read('PERSISTED_DOCUMENTS');
  const persistedDocumentsOnly = flag('PERSISTED_DOCUMENTS_ONLY', false);
  if (persistedDocumentsOnly && persistedDocuments === undefined) {
    throw new ConfigError('PERSISTED_DOCUMENTS_ONLY: expected PERSISTED_DOCUMENTS to be set too, received PERSISTED_DOCUMENTS_ONLY=true alone');
  }

  return Object.freeze({
    host: read('HOST') ?? DEFAULTS.http.host,
    port: integer('PORT', DEFAULTS.http.port, 0, 65_535),
    redis,
    redisWaitReplicas: integer('REDIS_WAIT_REPLICAS', DEFAULTS.redis.waitReplicas, 0, 16),
    namespace: name('CACHE_NAMESPACE', DEFAULTS.cache.namespace),
    version: name('CACHE_VERSION', DEFAULTS.cache.version),
    writerToken,
    adminToken,
    metricsToken,
    barsMaxPerSeries: integer('BARS_MAX_PER_SERIES', DEFAULTS.cache.barsMaxPerSeries, 1, 1_000_000),
    tradesMaxPerSymbol: integer('TRADES_MAX_PER_SYMBOL', DEFAULTS.cache.tradesMaxPerSymbol, 1, 100_000),
    memoryMaxKeys: integer('MEMORY_MAX_KEYS', DEFAULTS.cache.memoryMaxKeys, 1, 100_000_000),
    memoryMaxBytes: integer('MEMORY_MAX_BYTES', DEFAULTS.cache.memoryMaxBytes, 1024 * 1024, 64 * 1024 * 1024 * 1024),
    ttlSeconds: Object.freeze({
      ticker: ttl('TTL_TICKER_SECONDS', DEFAULTS.ttlSeconds.ticker),
      fundingRate: ttl('TTL_FUNDING_RATE_SECONDS', DEFAULTS.ttlSeconds.fundingRate),
      fearGreed: ttl('TTL_FEAR_GREED_SECONDS', DEFAULTS.ttlSeconds.fearGreed),
      bars: ttl('TTL_BARS_SECONDS', DEFAULTS.ttlSeconds.bars),
      llmAnalysis: ttl('TTL_LLM_ANALYSIS_SECONDS', DEFAULTS.ttlSeconds.llmAnalysis),
      orderBook: ttl('TTL_ORDER_BOOK_SECONDS', DEFAULTS.ttlSeconds.orderBook),
      trades: ttl('TTL_TRADES_SECONDS', DEFAULTS.ttlSeconds.trades),
    }),
    logLevel,
    production,
    maxHeapMb: integer('MAX_HEAP_MB', DEFAULTS.process.maxHeapMb, 64, 65_536),
    redisReadTimeoutMs,
    redisReadMaxMs: atLeast('REDIS_READ_MAX_MS', integer('REDIS_READ_MAX_MS', DEFAULTS.redis.readMaxMs, 1, 60_000), 'REDIS_READ_TIMEOUT_MS', redisReadTimeoutMs),
    redisWriteTimeoutMs: integer('REDIS_WRITE_TIMEOUT_MS', DEFAULTS.redis.writeTimeoutMs, 1, 60_000),
    circuitOpenMs: integer('CIRCUIT_OPEN_MS', DEFAULTS.redis.circuitOpenMs, 1, 60_000),
    staleTierMaxBytes: integer('STALE_TIER_MAX_BYTES', DEFAULTS.cache.staleTierMaxBytes, 0, 1024 * 1024 * 1024),
    staleMaxAgeSeconds: integer('STALE_MAX_AGE_SECONDS', DEFAULTS.cache.staleMaxAgeSeconds, 0, MAX_TTL_SECONDS),
    graphiql: flag('GRAPHIQL', !production),
    introspection: flag('INTROSPECTION', !production),
    readPlans: flag('READ_PLANS', true),
    fastLane: flag('FAST_LANE', true),
    corsOrigins: origins('CORS_ORIGINS'),
    maxBodyBytes: integer('MAX_BODY_BYTES', DEFAULTS.limits.bodyBytes, 1024, 100 * 1024 * 1024),
    maxVariablesBytes: integer('MAX_VARIABLES_BYTES', DEFAULTS.limits.variablesBytes, 16, 100 * 1024 * 1024),
    limits: Object.freeze({
      depth: integer('MAX_DEPTH', DEFAULTS.limits.depth, 1, 100),
      aliases: integer('MAX_ALIASES', DEFAULTS.limits.aliases, 1, 10_000),
      tokens: integer('MAX_TOKENS', DEFAULTS.limits.tokens, 10, 10_000_000),
      directives: integer('MAX_DIRECTIVES', DEFAULTS.limits.directives, 0, 1000),
      cost: integer('MAX_COST', DEFAULTS.limits.cost, 1, 10_000_000),
    }),
    maxReadCost: integer('MAX_READ_COST', DEFAULTS.limits.readCost, 1, 10_000_000),
    maxResponseBytes: integer('MAX_RESPONSE_BYTES', DEFAULTS.limits.responseBytes, 1024, 1024 * 1024 * 1024),
    http: Object.freeze({
      headersTimeoutMs,
      // Node refuses a request timeout shorter than the headers timeout.
      requestTimeoutMs: atLeast(
        'HTTP_REQUEST_TIMEOUT_MS',
        integer('HTTP_REQUEST_TIMEOUT_MS', DEFAULTS.http.requestTimeoutMs, 100, 3_600_000),
        'HTTP_HEADERS_TIMEOUT_MS',
        headersTimeoutMs,
      ),
      keepAliveTimeoutMs: integer('HTTP_KEEP_ALIVE_TIMEOUT_MS', DEFAULTS.http.keepAliveTimeoutMs, 100, 600_000),
      maxConnections: integer('MAX_CONNECTIONS', DEFAULTS.http.maxConnections, 1, 1_000_000),
    }),
    sources: Object.freeze({
      ...warmUp(read, exchangeId),
      exchangeId,
      exchangeApiUrl: exchangeApiUrl?.replace(/\/+$/, ''),
      fearGreedUrl: httpUrl('FEAR_GREED_URL'),
      timeoutMs: integer('UPSTREAM_TIMEOUT_MS', DEFAULTS.upstream.timeoutMs, 1, 120_000),
      maxConcurrency: integer('UPSTREAM_MAX_CONCURRENCY', DEFAULTS.upstream.maxConcurrency, 1, 1000),
      negativeTtlSeconds: integer('NEGATIVE_TTL_SECONDS', DEFAULTS.upstream.negativeTtlSeconds, 1, MAX_TTL_SECONDS),
      openBarTtlSeconds: integer('TTL_OPEN_BAR_SECONDS', DEFAULTS.upstream.openBarTtlSeconds, 1, MAX_TTL_SECONDS),
      llm,
    }),
    graceSeconds: Object.freeze({
      ticker: grace('GRACE_TICKER_SECONDS', DEFAULTS.graceSeconds.ticker),
      fundingRate: grace('GRACE_FUNDING_RATE_SECONDS', DEFAULTS.graceSeconds.fundingRate),
      fearGreed: grace('GRACE_FEAR_GREED_SECONDS', DEFAULTS.graceSeconds.fearGreed),
      bars: grace('GRACE_BARS_SECONDS', DEFAULTS.graceSeconds.bars),
      llmAnalysis: grace('GRACE_LLM_ANALYSIS_SECONDS', DEFAULTS.graceSeconds.llmAnalysis),
      orderBook: grace('GRACE_ORDER_BOOK_SECONDS', DEFAULTS.graceSeconds.orderBook),
      trades: grace('GRACE_TRADES_SECONDS', DEFAULTS.graceSeconds.trades),
    }),
    live: Object.freeze({
      maxSubscriptions: integer('MAX_SUBSCRIPTIONS', DEFAULTS.live.maxSubscriptions, 0, 1_000_000),
      maxSubscribedSymbols: integer('MAX_SUBSCRIBED_SYMBOLS', DEFAULTS.live.maxSubscribedSymbols, 1, 100_000_000),
      maxSubscriptionsPerConnection: integer('MAX_SUBSCRIPTIONS_PER_CONNECTION', DEFAULTS.live.maxSubscriptionsPerConnection, 1, 100_000),
    }),
    dashboardDir: directory('DASHBOARD_DIR'),
    // Loaded here, once: a missing or broken manifest stops start-up, naming the variable.
    persistedDocuments: persistedDocuments === undefined ? undefined : loadPersistedDocuments(persistedDocuments),
    persistedDocumentsOnly,
  });
}

/**
 * LLM_BASE_URL, LLM_API_KEY, LLM_MODEL and LLM_ANALYSES: all or nothing, but for the key (an API on
 * a private network may need none). The key is never echoed, not even in part.
 */
function llmConfig(read: (name: string) => string | undefined, httpUrl: (name: string) => string | undefined): Readonly<LlmConfig> | undefined {
  const baseUrl = httpUrl('LLM_BASE_URL');
  // Credentials in the URL would travel in every error message naming the request: the key has a variable of its own.
  if (baseUrl !== undefined && (!URL.canParse(baseUrl) || /^https?:\/\/[^/]*@/.test(baseUrl))) {
    throw new ConfigError(`LLM_BASE_URL: expected an http:// or https:// URL without credentials, received ${JSON.stringify(baseUrl.replace(/\/\/[^@/]*@/, '//***@'))}`);
  }
  const apiKey = read('LLM_API_KEY');
  if (apiKey !== undefined && /\s/.test(apiKey)) {
    throw new ConfigError(`LLM_API_KEY: expected a key with no white space, received ${apiKey.length} characters`);
  }
  const model = read('LLM_MODEL');
  if (model !== undefined && model.length > MAX_MODEL_LENGTH) {
    throw new ConfigError(`LLM_MODEL: expected a model name of 1-${MAX_MODEL_LENGTH} characters, received ${model.length} characters`);
  }
  const path = read('LLM_ANALYSES');
  if (baseUrl === undefined) {
    const alone = [apiKey && 'LLM_API_KEY', model && 'LLM_MODEL', path && 'LLM_ANALYSES'].find(Boolean);
    if (alone) throw new ConfigError(`${alone}: expected LLM_BASE_URL to be set too, received ${alone} alone`);
    return undefined;
  }
  if (model === undefined) throw new ConfigError('LLM_MODEL: expected a model name, as LLM_BASE_URL is set, received nothing');
  if (path === undefined) throw new ConfigError('LLM_ANALYSES: expected the path of a JSON file of analysis types, as LLM_BASE_URL is set, received nothing');
  let analyses: LlmAnalyses;
  try {
    analyses = loadLlmAnalyses(path);
  } catch (error) {
    throw new ConfigError(`LLM_ANALYSES: ${(error as Error).message}`);
  }
  return Object.freeze({ baseUrl, apiKey, model, analyses });
}

/** WARM_SYMBOLS and WARM_TIMEFRAMES: comma-separated, bounded, and only with an exchange to fill from. */
function warmUp(read: (name: string) => string | undefined, exchangeId: string | undefined) {
  const list = (variable: string) => (read(variable) ?? '').split(',').map((item) => item.trim()).filter(Boolean);
  const warmSymbols = list('WARM_SYMBOLS');
  for (const symbol of warmSymbols) {
    if (!isMarketSymbol(symbol)) throw new ConfigError(`WARM_SYMBOLS: expected comma-separated symbols like BTC/USDT,BTC/USDT:USDT, received ${JSON.stringify(symbol)}`);
  }
  if (warmSymbols.length > DEFAULTS.fields.maxSymbols) {
    throw new ConfigError(`WARM_SYMBOLS: expected at most ${DEFAULTS.fields.maxSymbols} symbols, received ${warmSymbols.length}`);
  }
  const warmTimeframes = list('WARM_TIMEFRAMES');
  for (const timeframe of warmTimeframes) {
    if (!(TIMEFRAMES as readonly string[]).includes(timeframe)) throw new ConfigError(`WARM_TIMEFRAMES: expected comma-separated timeframes among ${TIMEFRAMES.join(' ')}, received ${JSON.stringify(timeframe)}`);
  }
  if (warmSymbols.length * warmTimeframes.length > DEFAULTS.fields.maxWarmSeries) {
    throw new ConfigError(`WARM_TIMEFRAMES: expected at most ${DEFAULTS.fields.maxWarmSeries} series with WARM_SYMBOLS, received ${warmSymbols.length * warmTimeframes.length}`);
  }
  if (warmSymbols.length > 0 && exchangeId === undefined) throw new ConfigError('WARM_SYMBOLS: expected EXCHANGE_ID to be set too, received WARM_SYMBOLS alone');
  return { warmSymbols: Object.freeze(warmSymbols), warmTimeframes: Object.freeze(warmTimeframes as Timeframe[]) };
}
