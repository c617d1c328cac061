/**
 * Every default of the gateway, once, grouped by concern: `config.ts` falls back to these when a
 * variable is unset, and each factory and plugin takes them as its own defaults, so that a value
 * is written in one place. The README's tables document them.
 */
export const DEFAULTS = Object.freeze({
  http: Object.freeze({
    port: 4000,
    host: '0.0.0.0',
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5000,
    maxConnections: 1000,
    /** How long shutdown waits for requests in flight before closing their connections. */
    shutdownGraceMs: 5000,
    /** A refused body is read and thrown away for at most this long (lingering close). */
    lingerMs: 5000,
  }),
  limits: Object.freeze({
    bodyBytes: 2 * 1024 * 1024,
    variablesBytes: 1024 * 1024,
    depth: 8,
    aliases: 200,
    // Bounds what parsing one document may cost: its syntax tree takes about 250 bytes a token.
    // Large writes send their data as variables, which are not tokens.
    tokens: 20_000,
    directives: 20,
    cost: 20_000,
    readCost: 10_000,
    responseBytes: 8 * 1024 * 1024,
    nesting: 500,
  }),
  redis: Object.freeze({
    readTimeoutMs: 50,
    readMaxMs: 5000,
    writeTimeoutMs: 500,
    circuitOpenMs: 250,
    circuitFailureThreshold: 3,
    /** How long start-up waits for a first connection before it listens anyway. */
    firstConnectionWaitMs: 2000,
    /** Replicas that must confirm a write before it is acknowledged (`REDIS_WAIT_REPLICAS`). */
    waitReplicas: 0,
  }),
  /** Each kind's time to live when a write gives none, in seconds. */
  ttlSeconds: Object.freeze({
    ticker: 10,
    fundingRate: 60,
    fearGreed: 300,
    bars: 86_400,
    llmAnalysis: 21_600,
    orderBook: 5,
    trades: 10,
  }),
  /**
   * How long past its TTL a value may still be served, marked stale: while one refresh runs, or
   * while its source is down. Only kinds with a source keep values that long in Redis.
   */
  graceSeconds: Object.freeze({
    ticker: 30,
    fundingRate: 300,
    fearGreed: 3600,
    bars: 3600,
    llmAnalysis: 86_400,
    orderBook: 10,
    trades: 20,
  }),
  /** Read-through from upstream sources (src/sources, src/read/fill). */
  upstream: Object.freeze({
    timeoutMs: 3000,
    maxConcurrency: 8,
    /** How long a call waits for a free slot before it fails fast. */
    queueMs: 250,
    /** Consecutive failures after which a source is left alone, backing off. */
    failureThreshold: 3,
    backoffBaseMs: 1000,
    backoffMaxMs: 30_000,
    /** The longest `Retry-After` obeyed: a broken or hostile upstream cannot silence a source for days. */
    retryAfterMaxMs: 300_000,
    /** How long a symbol the exchange does not list is remembered as absent. */
    negativeTtlSeconds: 60,
    /** A fill's lease outlives its upstream call by this much (then anyone may fetch). */
    leaseSlackMs: 2000,
    /** How often, at most, the open (still changing) candle of a series is fetched again. */
    openBarTtlSeconds: 5,
    /** Levels a side an order book filled from the exchange holds (what `depth` can serve of it). */
    orderBookDepth: 100,
  }),
  /** What one field may ask for or write (fixed: not configurable). */
  fields: Object.freeze({
    barsLimit: 100,
    maxBarsLimit: 5000,
    maxSymbols: 500,
    maxBarsPerWrite: 5000,
    /** How far ahead of now a market time may lie: clocks disagree, markets do not trade in the future. */
    maxTimeAheadMs: 24 * 60 * 60 * 1000,
    /** Bar series one warm-up fills at most (symbols times timeframes). */
    maxWarmSeries: 500,
    /** Bars a warm-up fetches of each series. */
    warmBars: 500,
    /** The longest `input` `analyze` sends a model, in characters. */
    maxAnalysisInputLength: 100_000,
    orderBookDepth: 20,
    maxOrderBookDepth: 1000,
    maxOrderBookLevels: 5000,
    tradesLimit: 100,
    maxTradesLimit: 1000,
    maxTradesPerWrite: 5000,
    maxTickersPerWrite: 500,
    /** The longest trade id, in characters. */
    maxTradeIdLength: 128,
  }),
  cache: Object.freeze({
    namespace: 'mdc',
    version: 'v1',
    barsMaxPerSeries: 5000,
    tradesMaxPerSymbol: 1000,
    memoryMaxKeys: 100_000,
    memoryMaxBytes: 64 * 1024 * 1024,
    staleTierMaxBytes: 16 * 1024 * 1024,
    staleMaxAgeSeconds: 300,
    maxTtlSeconds: 31_536_000,
  }),
  /** Bytes each gateway's memos hold at most. */
  memos: Object.freeze({
    /** Read plans' renderings of the values they last read. */
    renderingsBytes: 16 * 1024 * 1024,
    /** Documents the nesting check has already measured. */
    nestingBytes: 8 * 1024 * 1024,
    /** Characters of document text the fast lane knows (src/edge/known-documents.ts). */
    knownDocumentsChars: 512 * 1024,
  }),
  /** Live updates: subscriptions over SSE and WebSocket (src/live, src/edge/websocket.ts). */
  live: Object.freeze({
    /** Subscriptions one gateway instance serves at once (`MAX_SUBSCRIPTIONS`). */
    maxSubscriptions: 10_000,
    /** Symbols all subscriptions of one instance follow, one per symbol per subscription (`MAX_SUBSCRIBED_SYMBOLS`). */
    maxSubscribedSymbols: 100_000,
    /** Subscriptions one WebSocket connection holds at once (`MAX_SUBSCRIPTIONS_PER_CONNECTION`). */
    maxSubscriptionsPerConnection: 100,
    /** Unsent messages a subscription keeps at most: past it, the oldest goes (point kinds keep one per symbol anyway). */
    maxPending: 100,
    /** Newest bars of a series read again after each change of it. */
    barsWindow: 32,
    /** Newest trades of a log read again after each change of it. */
    tradesWindow: 100,
    /** How long after a failed read (Redis unavailable) changed keys are read again. */
    retryMs: 1000,
    /** How long a WebSocket may stay open without saying `connection_init`. */
    connectionInitWaitMs: 3000,
    /** How often a WebSocket is pinged; one that has not answered the last ping by the next is terminated. */
    pingIntervalMs: 12_000,
    /** Bytes written to a WebSocket but not yet sent past which it is closed (a client that does not read). */
    maxSocketBufferBytes: 8 * 1024 * 1024,
  }),
  /**
   * The largest body the fast lane reads (src/edge/fast-lane.ts); a larger one goes to yoga
   * unread. A query with 500 symbols is about 10 KB: what is larger is a write, read once, by yoga.
   */
  fastLaneMaxBodyBytes: 64 * 1024,
  /** Persisted documents (`PERSISTED_DOCUMENTS`, src/edge/persisted-documents.ts); fixed bounds. */
  persistedDocuments: Object.freeze({
    /** The largest manifest read at start-up; the dashboard's is under 2 KB. */
    maxManifestBytes: 8 * 1024 * 1024,
    /** The longest document id, in a manifest or a request (`sha256:<hex>` is 71 characters). */
    maxIdLength: 256,
  }),
  process: Object.freeze({
    logLevel: 'info',
    maxHeapMb: 512,
  }),
  /** `A-Z a-z 0-9 _ . -`, 1-64 characters: namespaces, versions, analysis types. */
  namePattern: /^[A-Za-z0-9_.-]{1,64}$/,
});
