import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBar, DemoLevel } from '../src/demo/demo-data.js';
import { EXAMPLE_QUERY } from '../src/edge/example-query.js';
import { exitOf, kill, run, waitFor, type Run } from './support/process.js';

// `npm run demo` as a newcomer runs it: a real process, read only through what it prints.

const HOUR_MS = 3_600_000;
const TIMEFRAMES = { '1h': HOUR_MS, '4h': 4 * HOUR_MS, '1d': 24 * HOUR_MS };
const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];

/** A bar as the API serves it, which is the shape the demo writes. */
type Bar = DemoBar;
type Level = DemoLevel;

let demo: Run;
const printed = { url: '', writerToken: '', adminToken: '', curls: [] as string[] };

beforeAll(async () => {
  // Exactly this environment, nothing inherited: a REDIS_URL in the developer's shell must not matter.
  demo = run('src/demo/demo.ts', { PORT: '0', HOST: '127.0.0.1' });
  // The demo prints its instructions once the data is loaded; the last line says how to stop it.
  await waitFor(demo, () => (demo.output.stdout.includes('Ctrl+C stops') ? true : undefined));
  const output = demo.output;
  printed.url = output.stdout.match(/GraphiQL\s+(http:\/\/\S+)/)?.[1] ?? '';
  printed.writerToken = output.stdout.match(/Writer token\s+(\S+)/)?.[1] ?? '';
  printed.adminToken = output.stdout.match(/Admin token\s+(\S+)/)?.[1] ?? '';
  // A command runs from its `curl` line through each line its predecessor continues with `\`.
  printed.curls = output.stdout.match(/^curl (?:.*\\\n)*.*$/gm) ?? [];
});

afterAll(() => kill(demo?.child));

async function gql(query: string, variables?: Record<string, unknown>, token?: string) {
  const response = await fetch(printed.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(5_000),
  });
  return (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

/**
 * The arguments a POSIX shell hands to curl for a printed command. A shell function stands in for
 * the curl binary (which a CI image may lack): what is under test is the quoting, the URL, the
 * headers and the body, which the test then sends itself.
 */
function curlArguments(command: string): string[] {
  const argv = execFileSync('sh', ['-c', `curl() { printf '%s\\0' "$@"; }\n${command}`], { timeout: 5_000 });
  return argv.toString().split('\0').slice(0, -1);
}

async function runAsCurlWould(command: string) {
  const args = curlArguments(command);
  const headers = new Headers();
  let url = '';
  let body: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    if (args[i] === '-H') {
      const [name, ...value] = args[++i]!.split(':');
      headers.set(name!, value.join(':').trim());
    } else if (args[i] === '-d') body = args[++i];
    else if (!args[i]!.startsWith('-')) url = args[i]!;
  }
  const response = await fetch(url, { method: body === undefined ? 'GET' : 'POST', headers, body, signal: AbortSignal.timeout(5_000) });
  return (await response.json()) as { data?: any; errors?: unknown[] };
}

function expectConsistentOhlc(bars: Bar[]) {
  for (const bar of bars) {
    expect(bar.low).toBeLessThanOrEqual(Math.min(bar.open, bar.close));
    expect(bar.high).toBeGreaterThanOrEqual(Math.max(bar.open, bar.close));
    expect(bar.volume).toBeGreaterThanOrEqual(0);
  }
}

describe('npm run demo', () => {
  it('prints a GraphiQL URL and two different tokens of at least 16 characters', () => {
    expect(printed.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(printed.writerToken).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(printed.adminToken).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(printed.writerToken).not.toBe(printed.adminToken);
  });

  it('answers the GraphiQL example query with data in every field', async () => {
    const { data, errors } = await gql(EXAMPLE_QUERY);
    expect(errors).toBeUndefined();
    for (const [field, value] of Object.entries(data)) expect(value, field).not.toBeNull();
    expect(data.tickers.map((t: { symbol: string } | null) => t?.symbol)).toEqual(['ETH/USDT', 'SOL/USDT']);
    expect(data.btc.last).toBeGreaterThan(40_000);

    const openTimes = data.bars.map((bar: Bar) => Date.parse(bar.openTime));
    expect(openTimes).toHaveLength(5);
    expect(openTimes.slice(1).map((time: number, i: number) => openTimes[i] - time)).toEqual([HOUR_MS, HOUR_MS, HOUR_MS, HOUR_MS]);
    expect(data.latestBar).toEqual({ openTime: data.bars[0].openTime, close: data.bars[0].close });
    // The ticker is the newest hourly bar's close, as on an exchange.
    expect(data.btc.last).toBe(data.latestBar.close);

    expect(data.orderBook.bids).toHaveLength(5);
    expect(data.orderBook.asks).toHaveLength(5);
    expect(data.trades).toHaveLength(5);
    expect(data.symbols.map((s: { symbol: string }) => s.symbol)).toEqual(expect.arrayContaining(SYMBOLS));
  });

  it('holds a few hundred bars in 1h, 4h and 1d for BTC, ETH and SOL, each a complete candle with consistent OHLC', async () => {
    const series = SYMBOLS.flatMap((symbol) => Object.keys(TIMEFRAMES).map((timeframe) => ({ symbol, timeframe })));
    const query = `{ ${series
      .map(({ symbol, timeframe }, i) => `s${i}: bars(symbol: "${symbol}", timeframe: "${timeframe}", limit: 1000) { openTime open high low close volume }`)
      .join('\n')} }`;
    const { data, errors } = await gql(query);
    expect(errors).toBeUndefined();

    series.forEach(({ symbol, timeframe }, i) => {
      const bars: Bar[] = data[`s${i}`];
      const timeframeMs = TIMEFRAMES[timeframe as keyof typeof TIMEFRAMES];
      expect(bars.length, `${symbol} ${timeframe}`).toBeGreaterThanOrEqual(200);
      expectConsistentOhlc(bars);
      const openTimes = bars.map((bar) => Date.parse(bar.openTime));
      expect(new Set(openTimes.slice(1).map((time, k) => openTimes[k]! - time))).toEqual(new Set([timeframeMs]));
      // The newest candle has closed, at a boundary of its timeframe, no longer ago than one more candle.
      const newestCloseMs = openTimes[0]! + timeframeMs;
      expect(newestCloseMs % timeframeMs).toBe(0);
      expect(newestCloseMs).toBeLessThanOrEqual(Date.now());
      expect(newestCloseMs).toBeGreaterThan(Date.now() - 2 * timeframeMs);
    });
  });

  it('serves tickers within their own 24-hour range, funding rates due at 00, 08 or 16 UTC, and a classified Fear & Greed reading', async () => {
    const { data, errors } = await gql(`{
      tickers(symbols: ["BTC/USDT", "ETH/USDT", "SOL/USDT"]) { last bid ask high24h low24h volume24h }
      btc: fundingRate(symbol: "BTC/USDT:USDT") { rate nextFundingTime }
      eth: fundingRate(symbol: "ETH/USDT:USDT") { rate nextFundingTime }
      sol: fundingRate(symbol: "SOL/USDT:USDT") { rate nextFundingTime }
      fearGreed { value classification }
    }`);
    expect(errors).toBeUndefined();
    for (const ticker of data.tickers) {
      expect(ticker.bid).toBeLessThan(ticker.ask);
      expect(ticker.last).toBeGreaterThanOrEqual(ticker.low24h);
      expect(ticker.last).toBeLessThanOrEqual(ticker.high24h);
      expect(ticker.volume24h).toBeGreaterThan(0);
    }
    for (const funding of [data.btc, data.eth, data.sol]) {
      expect(Math.abs(funding.rate)).toBeLessThan(0.001);
      const next = new Date(funding.nextFundingTime);
      expect(next.getTime()).toBeGreaterThan(Date.now() - 1_000);
      expect([0, 8, 16]).toContain(next.getUTCHours());
      expect(next.getTime() % HOUR_MS).toBe(0);
    }
    const { value, classification } = data.fearGreed;
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThanOrEqual(100);
    const expected =
      value <= 24 ? 'Extreme Fear' : value <= 44 ? 'Fear' : value <= 55 ? 'Neutral' : value <= 75 ? 'Greed' : 'Extreme Greed';
    expect(classification).toBe(expected);
  });

  it('serves an order book per symbol around its ticker: best first on each side, not crossed, `depth` levels deep', async () => {
    const query = `{ ${SYMBOLS.map(
      (symbol, i) => `t${i}: ticker(symbol: "${symbol}") { bid ask last }
        full${i}: orderBook(symbol: "${symbol}", depth: 1000) { symbol time bids { price amount } asks { price amount } }
        top${i}: orderBook(symbol: "${symbol}", depth: 7) { bids { price amount } asks { price amount } }`,
    ).join('\n')} }`;
    const { data, errors } = await gql(query);
    expect(errors).toBeUndefined();

    SYMBOLS.forEach((symbol, i) => {
      const { bids, asks, time } = data[`full${i}`] as { bids: Level[]; asks: Level[]; time: string };
      expect(data[`full${i}`].symbol).toBe(symbol);
      expect(bids.length, symbol).toBeGreaterThanOrEqual(20);
      expect(asks.length, symbol).toBeGreaterThanOrEqual(20);
      expect(bids.map((level) => level.price)).toEqual(bids.map((level) => level.price).sort((a, b) => b - a));
      expect(asks.map((level) => level.price)).toEqual(asks.map((level) => level.price).sort((a, b) => a - b));
      expect(new Set(bids.map((level) => level.price)).size).toBe(bids.length);
      expect(new Set(asks.map((level) => level.price)).size).toBe(asks.length);
      for (const level of [...bids, ...asks]) expect(level.amount, symbol).toBeGreaterThan(0);
      // The touch is the ticker's bid and ask, within a fraction of a percent of the last price.
      expect(bids[0]!.price).toBeLessThan(asks[0]!.price);
      expect([bids[0]!.price, asks[0]!.price]).toEqual([data[`t${i}`].bid, data[`t${i}`].ask]);
      expect(bids.at(-1)!.price).toBeGreaterThan(data[`t${i}`].last * 0.95);
      expect(asks.at(-1)!.price).toBeLessThan(data[`t${i}`].last * 1.05);
      expect(Date.parse(time)).toBeLessThanOrEqual(Date.now());

      // `depth` serves the best levels of the same book.
      expect(data[`top${i}`]).toEqual({ bids: bids.slice(0, 7), asks: asks.slice(0, 7) });
    });
  });

  it('serves the recent trades of each symbol newest first, near its last price, and `since` and `limit` bound them', async () => {
    const query = `{ ${SYMBOLS.map(
      (symbol, i) => `t${i}: ticker(symbol: "${symbol}") { last }
        all${i}: trades(symbol: "${symbol}", limit: 1000) { id time price amount side stale }
        latest${i}: trades(symbol: "${symbol}", limit: 3) { id }`,
    ).join('\n')} }`;
    const { data, errors } = await gql(query);
    expect(errors).toBeUndefined();

    for (const [i, symbol] of SYMBOLS.entries()) {
      const trades = data[`all${i}`] as Array<{ id: string; time: string; price: number; amount: number; side: string; stale: boolean }>;
      expect(trades.length, symbol).toBeGreaterThanOrEqual(100);
      const times = trades.map((trade) => Date.parse(trade.time));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(times[0]).toBeLessThanOrEqual(Date.now());
      expect(times.at(-1)).toBeGreaterThan(Date.now() - HOUR_MS);
      expect(new Set(trades.map((trade) => trade.id)).size).toBe(trades.length);
      expect(new Set(trades.map((trade) => trade.side))).toEqual(new Set(['BUY', 'SELL']));
      for (const trade of trades) {
        expect(trade.amount, symbol).toBeGreaterThan(0);
        expect(Math.abs(trade.price / data[`t${i}`].last - 1), symbol).toBeLessThan(0.02);
        expect(trade.stale).toBe(false);
      }
      expect(data[`latest${i}`]).toEqual(trades.slice(0, 3).map(({ id }) => ({ id })));

      const since = trades[9]!.time;
      const recent = await gql(`{ trades(symbol: "${symbol}", since: "${since}", limit: 1000) { id } }`);
      expect(recent.data.trades).toEqual(trades.slice(0, 10).map(({ id }) => ({ id })));
    }
  });

  it('lists each demo symbol with ORDER_BOOK and TRADES among its kinds, and each perpetual with its funding rate', async () => {
    const { data, errors } = await gql(`{
      all: symbols { symbol kinds timeframes }
      books: symbols(kind: ORDER_BOOK) { symbol }
      trades: symbols(kind: TRADES) { symbol }
    }`);
    expect(errors).toBeUndefined();
    const bySymbol = new Map(data.all.map((entry: { symbol: string }) => [entry.symbol, entry]));
    for (const symbol of SYMBOLS) {
      expect(bySymbol.get(symbol), symbol).toEqual({
        symbol,
        kinds: expect.arrayContaining(['TICKER', 'BARS', 'ORDER_BOOK', 'TRADES']),
        timeframes: expect.arrayContaining(Object.keys(TIMEFRAMES)),
      });
      expect(bySymbol.get(`${symbol}:USDT`), symbol).toMatchObject({ kinds: ['FUNDING_RATE'] });
    }
    expect(data.books).toEqual(SYMBOLS.map((symbol) => ({ symbol })));
    expect(data.trades).toEqual(SYMBOLS.map((symbol) => ({ symbol })));
  });

  it('serves its LLM market summary to whoever asks with the same input', async () => {
    const { data, errors } = await gql(
      `{ llmAnalysis(analysisType: "market-summary", input: "BTC/USDT 1h") { analysisType inputHash result model } }`,
    );
    expect(errors).toBeUndefined();
    expect(data.llmAnalysis).toMatchObject({
      analysisType: 'market-summary',
      inputHash: createHash('sha256').update('BTC/USDT 1h').digest('hex'),
      result: { symbol: 'BTC/USDT', timeframe: '1h' },
    });
    expect(data.llmAnalysis.model).toEqual(expect.any(String));
  });

  it('lets the printed writer token write, and only the printed admin token invalidate', async () => {
    const put = await gql(
      `mutation { putTicker(ticker: { symbol: "XRP/USDT", last: 2.5 }, ttlSeconds: 60) { symbol last } }`,
      {},
      printed.writerToken,
    );
    expect(put).toEqual({ data: { putTicker: { symbol: 'XRP/USDT', last: 2.5 } } });
    expect((await gql(`{ ticker(symbol: "XRP/USDT") { last } }`)).data).toEqual({ ticker: { last: 2.5 } });

    const invalidate = `mutation { invalidateTicker(symbol: "XRP/USDT") { deleted } }`;
    const byWriter = await gql(invalidate, {}, printed.writerToken);
    expect(byWriter.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await gql(invalidate, {}, printed.adminToken)).toEqual({ data: { invalidateTicker: { deleted: 1 } } });
    expect((await gql(`{ ticker(symbol: "XRP/USDT") { last } }`)).data).toEqual({ ticker: null });
  });

  it('prints curl commands that work as printed: reads, then a write with the writer token, then an invalidation with the admin token', async () => {
    expect(printed.curls.length).toBeGreaterThanOrEqual(3);
    // One after another, in the order printed: the invalidation removes what the write stored.
    const results: Array<Awaited<ReturnType<typeof runAsCurlWould>>> = [];
    for (const command of printed.curls) results.push(await runAsCurlWould(command));
    for (const result of results) expect(result.errors).toBeUndefined();

    const tokenOf = (command: string) =>
      command.includes(printed.writerToken) ? 'writer' : command.includes(printed.adminToken) ? 'admin' : 'none';
    const mutations = printed.curls
      .map((command, i) => ({ token: tokenOf(command), isMutation: command.includes('mutation'), data: results[i]!.data }))
      .filter(({ isMutation }) => isMutation);
    expect(mutations.map(({ token }) => token)).toEqual(['writer', 'admin']);
    expect(Object.values(mutations[1]!.data)).toEqual([{ deleted: 1 }]);
  });

  it('exits 0 on SIGTERM', async () => {
    demo.child.kill('SIGTERM');
    expect(await exitOf(demo)).toEqual({ code: 0, signal: null });
  });
});

describe('npm run demo -- --live', () => {
  let live: Run;
  let url = '';

  beforeAll(async () => {
    live = run('src/demo/demo.ts', { PORT: '0', HOST: '127.0.0.1' }, ['--live']);
    await waitFor(live, () => (live.output.stdout.includes('Ctrl+C stops') ? true : undefined));
    url = live.output.stdout.match(/GraphiQL\s+(http:\/\/\S+)/)?.[1] ?? '';
  });

  afterAll(() => kill(live?.child));

  const read = async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `{ ticker(symbol: "BTC/USDT") { last time } latestBar(symbol: "BTC/USDT", timeframe: "1h") { openTime close }
          trades(symbol: "BTC/USDT", limit: 1000) { id } orderBook(symbol: "BTC/USDT", depth: 1) { bids { price } asks { price } } }`,
      }),
      signal: AbortSignal.timeout(5_000),
    });
    return ((await response.json()) as { data: any }).data;
  };

  it('says it is live, and moves the market every second through the writer mutations', async () => {
    expect(live.output.stdout).toMatch(/^Live: every second/m);
    const before = await read();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const after = await read();
    expect(Date.parse(after.ticker.time)).toBeGreaterThan(Date.parse(before.ticker.time));
    // The open candle of the current hour, which the demo's history (complete candles only) lacks.
    expect(Date.parse(after.latestBar.openTime) % HOUR_MS).toBe(0);
    expect(Date.now() - Date.parse(after.latestBar.openTime)).toBeLessThan(HOUR_MS + 5_000);
    expect(after.trades.length).toBeGreaterThan(before.trades.length);
    expect(after.orderBook.bids[0].price).toBeLessThan(after.orderBook.asks[0].price);
  });

  it('stops writing before the gateway closes, and exits 0 on SIGTERM without a failed tick', async () => {
    live.child.kill('SIGTERM');
    expect(await exitOf(live)).toEqual({ code: 0, signal: null });
    expect(live.output.stderr).not.toContain('tick failed');
  });
});
