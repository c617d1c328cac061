import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createDemoData, type DemoData } from './demo-data.js';
import { startLiveDemo, type DemoTick, type LiveDemo } from './demo-ticks.js';
import { start } from '../main.js';

/**
 * `npm run demo`: the gateway on the embedded in-memory store, filled with synthetic data through
 * its own writer mutations (so the demo exercises the same path a real writer does), with tokens
 * made up for this run. Everything else comes from the environment as for `npm start`.
 *
 * `npm run demo -- --live` then keeps the market moving: every second a new ticker, order book and
 * a few trades per symbol, the open candle of every series, and now and then Fear & Greed, written
 * through the same mutations (see demo-ticks.ts). `npm run dashboard` runs it behind the dashboard.
 */

// The default TTLs are short (10 s for a ticker, a minute for a funding rate): without an
// explicit one, the demo would be half empty by the time someone opens GraphiQL.
const DEMO_TTL_SECONDS = 86_400;

const PUT_BARS = `mutation ($symbol: MarketSymbol!, $timeframe: Timeframe!, $bars: [BarInput!]!, $ttlSeconds: Int) {
  putBars(symbol: $symbol, timeframe: $timeframe, bars: $bars, ttlSeconds: $ttlSeconds)
}`;
const PUT_TICKER = `mutation ($ticker: TickerInput!, $ttlSeconds: Int) {
  putTicker(ticker: $ticker, ttlSeconds: $ttlSeconds) { symbol }
}`;
const PUT_FUNDING_RATE = `mutation ($fundingRate: FundingRateInput!, $ttlSeconds: Int) {
  putFundingRate(fundingRate: $fundingRate, ttlSeconds: $ttlSeconds) { symbol }
}`;
const PUT_ORDER_BOOK = `mutation ($orderBook: OrderBookInput!, $ttlSeconds: Int) {
  putOrderBook(orderBook: $orderBook, ttlSeconds: $ttlSeconds) { symbol }
}`;
const PUT_TRADES = `mutation ($symbol: MarketSymbol!, $trades: [TradeInput!]!, $ttlSeconds: Int) {
  putTrades(symbol: $symbol, trades: $trades, ttlSeconds: $ttlSeconds)
}`;
const PUT_FEAR_GREED = `mutation ($fearGreed: FearGreedInput!, $ttlSeconds: Int) {
  putFearGreed(fearGreed: $fearGreed, ttlSeconds: $ttlSeconds) { value }
}`;
const PUT_LLM_ANALYSIS = `mutation ($analysisType: String!, $input: String, $result: JSONObject!, $model: String, $ttlSeconds: Int) {
  putLlmAnalysis(analysisType: $analysisType, input: $input, result: $result, model: $model, ttlSeconds: $ttlSeconds) { inputHash }
}`;

/**
 * The environment's settings with no Redis (synthetic data must never land in a real cache) and
 * fresh tokens, and the names of the variables that this overrides, to say so.
 */
function demoConfig(base: Config): { config: Config; overridden: string[] } {
  const redisVariable = { standalone: 'REDIS_URL', cluster: 'REDIS_CLUSTER_NODES', sentinel: 'REDIS_SENTINELS' } as const;
  const fromEnv = { [base.redis === undefined ? 'REDIS_URL' : redisVariable[base.redis.kind]]: base.redis, WRITER_TOKEN: base.writerToken, ADMIN_TOKEN: base.adminToken };
  return {
    config: Object.freeze({ ...base, redis: undefined, writerToken: newToken(), adminToken: newToken() }),
    overridden: Object.keys(fromEnv).filter((name) => fromEnv[name as keyof typeof fromEnv] !== undefined),
  };
}

function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Posts one operation; throws with the server's messages unless it fully succeeded. */
async function post(url: string, token: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { errors?: Array<{ message: string }> };
  if (!response.ok || body.errors?.length) {
    const reasons = body.errors?.map((error) => error.message).join('; ') ?? `HTTP ${response.status}`;
    throw new Error(`${/\{\s*(\w+)/.exec(query)?.[1]} failed: ${reasons}`);
  }
}

async function fill(url: string, writerToken: string, data: DemoData) {
  const write = (query: string, variables: Record<string, unknown>) =>
    post(url, writerToken, query, { ...variables, ttlSeconds: DEMO_TTL_SECONDS });
  await Promise.all([
    ...data.bars.map((series) => write(PUT_BARS, series)),
    ...data.tickers.map((ticker) => write(PUT_TICKER, { ticker })),
    ...data.fundingRates.map((fundingRate) => write(PUT_FUNDING_RATE, { fundingRate })),
    ...data.orderBooks.map((orderBook) => write(PUT_ORDER_BOOK, { orderBook })),
    ...data.trades.map(({ symbol, trades }) => write(PUT_TRADES, { symbol, trades })),
    write(PUT_FEAR_GREED, { fearGreed: data.fearGreed }),
    write(PUT_LLM_ANALYSIS, data.llmAnalysis),
  ]);
}

/** One tick of the live demo: every write at once, as independent writers would send them. */
async function writeTick(url: string, writerToken: string, tick: DemoTick) {
  const write = (query: string, variables: Record<string, unknown>) =>
    post(url, writerToken, query, { ...variables, ttlSeconds: DEMO_TTL_SECONDS });
  await Promise.all([
    ...tick.bars.map((series) => write(PUT_BARS, series)),
    ...tick.tickers.map((ticker) => write(PUT_TICKER, { ticker })),
    ...tick.orderBooks.map((orderBook) => write(PUT_ORDER_BOOK, { orderBook })),
    ...tick.trades.map(({ symbol, trades }) => write(PUT_TRADES, { symbol, trades })),
    ...(tick.fearGreed ? [write(PUT_FEAR_GREED, { fearGreed: tick.fearGreed })] : []),
  ]);
}

/** A copy-pasteable `curl` posting `query`, quoted for a POSIX shell. */
function curl(url: string, query: string, token?: string): string {
  const body = JSON.stringify({ query }).replaceAll("'", `'\\''`);
  return [
    `curl -s ${url}`,
    `  -H 'content-type: application/json'`,
    ...(token ? [`  -H 'authorization: Bearer ${token}'`] : []),
    `  -d '${body}'`,
  ].join(' \\\n');
}

function instructions(url: string, config: Config, data: DemoData, live: boolean): string {
  const { analysisType, input } = data.llmAnalysis;
  const series = data.bars.map(({ symbol, timeframe }) => `${symbol} ${timeframe}`);
  // In this order they tell a story: the write is what the invalidation then removes.
  const examples = [
    {
      title: 'Read: the BTC ticker, the Fear & Greed index and the latest 4h bar',
      query:
        '{ ticker(symbol: "BTC/USDT") { last changePercent24h } fearGreed { value classification } ' +
        'latestBar(symbol: "BTC/USDT", timeframe: "4h") { openTime close } }',
    },
    {
      title: 'Read: the best 3 levels of the ETH order book and the 3 latest ETH trades',
      query:
        '{ orderBook(symbol: "ETH/USDT", depth: 3) { bids { price amount } asks { price amount } } ' +
        'trades(symbol: "ETH/USDT", limit: 3) { time price amount side } }',
    },
    {
      title: `Read: the cached LLM analysis of "${input}"`,
      query: `{ llmAnalysis(analysisType: "${analysisType}", input: "${input}") { result model cachedAt } }`,
    },
    {
      title: 'Write (writer token): a ticker for one hour',
      query: 'mutation { putTicker(ticker: { symbol: "DOGE/USDT", last: 0.38 }, ttlSeconds: 3600) { symbol last expiresAt } }',
      token: config.writerToken,
    },
    {
      title: 'Invalidate (admin token): remove that ticker again',
      query: 'mutation { invalidateTicker(symbol: "DOGE/USDT") { deleted } }',
      token: config.adminToken,
    },
  ];
  return `
Market data cache gateway: demo (embedded in-memory store; the data goes when the process does)

  GraphiQL      ${url}${config.dashboardDir === undefined ? '' : `\n  Dashboard     ${new URL('/dashboard/', url).href}`}
  Writer token  ${config.writerToken}
  Admin token   ${config.adminToken}

Loaded: ${data.bars[0]!.bars.length} bars for each of ${series.join(', ')};
tickers, order books (${data.orderBooks[0]!.bids.length} levels a side) and the latest ${data.trades[0]!.trades.length} trades of each symbol;
funding rates (${data.fundingRates.map((f) => f.symbol).join(', ')}), Fear & Greed, and an LLM analysis
(${analysisType}, input "${input}"). The tokens are new on every run.${
    live ? '\nLive: every second, new tickers, order books and trades, and the open candle of every series move.' : ''
  }

${examples.map(({ title, query, token }) => `# ${title}\n${curl(url, query, token)}`).join('\n\n')}

Ctrl+C stops the gateway.
`;
}

const live = process.argv.slice(2).includes('--live');
let config: Config;
let overridden: string[];
try {
  ({ config, overridden } = demoConfig(loadConfig()));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Configuration error: ${error.message}`);
  process.exit(1);
}
// The demo owns the signals, not `start`: the live ticks must stop before the gateway closes, so
// that no write arrives at a gateway shutting down. Listening before the gateway starts, as
// `start` does, so that a signal sent as soon as the start-up line appears is not fatal.
const starting = start(config, { handleSignals: false });
let ticks: LiveDemo | undefined;
let stopping: Promise<never> | undefined;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    stopping ??= (async () => {
      await ticks?.stop();
      await (await starting).shutdown(signal);
      process.exit(0);
    })();
  });
}
const gateway = await starting;
const { url } = gateway;
const data = createDemoData();
try {
  await fill(url, config.writerToken!, data);
} catch (error) {
  if (stopping) await stopping;
  console.error(`Demo: could not load the demo data: ${error instanceof Error ? error.message : String(error)}`);
  await gateway.shutdown('demo data failed to load');
  process.exit(1);
}
if (live && !stopping) {
  let failures = 0;
  ticks = startLiveDemo({
    data,
    write: (tick) => writeTick(url, config.writerToken!, tick),
    // One line for the first failure and every hundredth after it, not one a second.
    onError: (error) => {
      if (failures++ % 100 === 0) console.error(`Demo: a live tick failed (${failures} so far): ${error instanceof Error ? error.message : String(error)}`);
    },
  });
}
if (overridden.length > 0) {
  console.log(`\n${overridden.join(', ')} ignored: the demo keeps synthetic data out of real caches and makes its own tokens.`);
}
console.log(instructions(url, config, data, live));
