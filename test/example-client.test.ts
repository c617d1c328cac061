import { generate } from '@graphql-codegen/cli';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import codegenConfig from '../codegen.js';
import { WRITER_TOKEN } from './support/gateway.js';
import { useRedis } from './support/harness.js';
import { startLiveGateway, type LiveGateway } from './support/live-gateway.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The client preset's output folders: the example client's and the dashboard's. */
/** Where type-checks keep what they found, between runs (never committed: node_modules/). */
const TYPECHECK_BUILD_INFO = 'node_modules/.cache/typecheck.tsbuildinfo';
const GENERATED_DIRS = ['examples/gql', 'examples/dashboard/gql'];

interface Finished {
  code: number | null;
  output: string;
  stdout: string;
  stderr: string;
}

/** Runs a command from the repository root to its end, killing it after `timeoutMs`. */
function run(command: string, args: string[], timeoutMs: number): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout.on('data', (chunk) => ((stdout += chunk), (output += chunk)));
    child.stderr.on('data', (chunk) => ((stderr += chunk), (output += chunk)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const killed = signal === null ? '' : `\n(killed by ${signal}: not done within ${timeoutMs} ms)`;
      resolve({ code, stdout, stderr, output: output + killed });
    });
  });
}

describe('the generated client code', () => {
  it('is exactly what `npm run codegen` generates from schema.graphql, the example and the dashboard', async () => {
    const outputs: Array<{ filename: string; content: string }> = await generate({ ...codegenConfig, cwd: ROOT, silent: true }, false);
    const generated = Object.fromEntries(outputs.map(({ filename, content }) => [filename, content]));
    const committed = Object.fromEntries(
      GENERATED_DIRS.flatMap((dir) =>
        readdirSync(`${ROOT}/${dir}`).map((name) => [`${dir}/${name}`, readFileSync(`${ROOT}/${dir}/${name}`, 'utf8')]),
      ),
    );
    expect(committed, `${GENERATED_DIRS.join('/ or ')}/ is stale: run \`npm run codegen\` and commit the result`).toEqual(generated);
  });

  it('type-checks with the rest of the project', async () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    // Incremental, as `npm run typecheck` is: a check finds what changed since the last one
    // (the second of CI's two runs, or a developer's next), and checks as much as a full one.
    const { code, output } = await run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', TYPECHECK_BUILD_INFO], 120_000);
    expect(code, `tsc --noEmit -p tsconfig.json failed:\n${output}`).toBe(0);
  }, 150_000);
});

/** The lines printed under `title`, up to the blank line that ends its table. */
function section(stdout: string, title: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.indexOf(title);
  expect(start, `no line ${JSON.stringify(title)} in:\n${stdout}`).toBeGreaterThanOrEqual(0);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

/** The cells of a table's rows, under its header and its line of dashes. */
function rowsOf(table: string[]): string[][] {
  expect(table[1], 'a header underlined with dashes').toMatch(/^-+( +-+)*$/);
  return table.slice(2).map((line) => line.trim().split(/\s+/));
}

describe('the example client, run against a gateway on Redis', () => {
  const redis = useRedis({ flushBeforeEach: false });
  let gateway: LiveGateway;
  let url: string;
  let printed: Finished;

  const BTC = { symbol: 'BTC/USDT', last: 97123.5, bid: 97123.25, ask: 97124.75, changePercent24h: 1.25 };
  const ETH = { symbol: 'ETH/USDT', last: 3456.78 };
  // Newest first is how the client prints them.
  const BARS = [
    { openTime: '2026-01-02T12:00:00.000Z', open: 97050, high: 97200, low: 97010, close: 97123.5, volume: 12.5 },
    { openTime: '2026-01-02T11:00:00.000Z', open: 96900, high: 97080, low: 96850, close: 97050, volume: 8.25 },
    { openTime: '2026-01-02T10:00:00.000Z', open: 96800, high: 96950, low: 96700, close: 96900, volume: 10 },
  ];

  // Seven levels a side and six trades: the client shows the best five of each.
  const BOOK = {
    symbol: 'BTC/USDT',
    time: '2026-01-02T12:30:00.000Z',
    bids: [97123.25, 97123, 97122.5, 97122, 97121.5, 97121, 97120.5].map((price, i) => ({ price, amount: 0.5 + i })),
    asks: [97124.75, 97125, 97125.5, 97126, 97126.5, 97127, 97127.5].map((price, i) => ({ price, amount: 0.25 + i })),
  };
  const TRADES = [
    { id: 't6', time: '2026-01-02T12:29:59.500Z', price: 97124.75, amount: 0.02, side: 'BUY' },
    { id: 't5', time: '2026-01-02T12:29:58.000Z', price: 97123.25, amount: 0.15, side: 'SELL' },
    { id: 't4', time: '2026-01-02T12:29:57.250Z', price: 97124.5, amount: 1.5, side: 'BUY' },
    { id: 't3', time: '2026-01-02T12:29:55.000Z', price: 97122, amount: 0.003, side: 'SELL' },
    { time: '2026-01-02T12:29:54.000Z', price: 97121.5, amount: 0.4 },
    { id: 't1', time: '2026-01-02T12:29:50.000Z', price: 97120, amount: 2, side: 'SELL' },
  ];

  const client = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'examples/market-client.ts', url, ...args], 30_000);

  beforeAll(async () => {
    gateway = await startLiveGateway(redis.server.url);
    url = gateway.url;
    const seeded = await gateway.gql(
      `mutation Seed($btc: TickerInput!, $eth: TickerInput!, $bars: [BarInput!]!, $book: OrderBookInput!, $trades: [TradeInput!]!) {
        btc: putTicker(ticker: $btc, ttlSeconds: 600) { symbol }
        eth: putTicker(ticker: $eth, ttlSeconds: 600) { symbol }
        putBars(symbol: "BTC/USDT", timeframe: "1h", bars: $bars)
        putOrderBook(orderBook: $book, ttlSeconds: 600) { symbol }
        putTrades(symbol: "BTC/USDT", trades: $trades, ttlSeconds: 600)
      }`,
      { btc: BTC, eth: ETH, bars: BARS, book: BOOK, trades: TRADES },
      WRITER_TOKEN,
    );
    expect(seeded.errors, 'seeding the gateway failed').toBeUndefined();
    // One run, read by each test below: a tsx start-up costs seconds on a busy machine.
    printed = await client('BTC/USDT', 'ETH/USDT');
  }, 60_000);

  afterAll(() => gateway?.shutdown());

  it('prints each ticker and the newest 1h bars as aligned rows', async () => {
    const { code, stdout, output } = printed;
    expect(code, output).toBe(0);

    const lines = stdout.split('\n');
    const row = (first: string) => lines.find((line) => line.startsWith(`${first} `))?.split(/\s+/);
    expect(row('BTC/USDT')?.slice(0, 5)).toEqual(['BTC/USDT', '97123.5', '97123.25', '97124.75', '1.25']);
    expect(row('ETH/USDT')?.slice(0, 4)).toEqual(['ETH/USDT', '3456.78', '-', '-']);
    const bars = rowsOf(section(stdout, 'BTC/USDT 1h bars, newest first'));
    expect(bars).toEqual(BARS.map((bar) => [bar.openTime, ...[bar.open, bar.high, bar.low, bar.close, bar.volume].map(String)]));
    expect(section(stdout, 'ETH/USDT 1h bars, newest first')).toEqual(['(none cached)']);
  });

  it('prints the best five levels of each order book side by side, bids left and asks right', async () => {
    const { code, stdout, output } = printed;
    expect(code, output).toBe(0);

    const book = section(stdout, `BTC/USDT order book, best 5 levels a side at ${BOOK.time}`);
    expect(book[0]?.split(/\s+/)).toEqual(['LEVEL', 'BID', 'AMOUNT', 'BID', 'ASK', 'ASK', 'AMOUNT']);
    expect(rowsOf(book)).toEqual(
      [0, 1, 2, 3, 4].map((i) => [String(i + 1), ...[BOOK.bids[i]!.amount, BOOK.bids[i]!.price, BOOK.asks[i]!.price, BOOK.asks[i]!.amount].map(String)]),
    );
    expect(section(stdout, 'ETH/USDT order book, best 5 levels a side')).toEqual(['(none cached)']);
  });

  it('prints the five latest trades newest first, with - for a side or id the trade has none of', async () => {
    const { code, stdout, output } = printed;
    expect(code, output).toBe(0);

    expect(rowsOf(section(stdout, 'BTC/USDT latest trades, newest first'))).toEqual(
      TRADES.slice(0, 5).map((trade) => [trade.time, trade.side ?? '-', String(trade.price), String(trade.amount), trade.id ?? '-']),
    );
    expect(section(stdout, 'ETH/USDT latest trades, newest first')).toEqual(['(none cached)']);
  });

  it('prints every cached symbol with its kinds and bar timeframes', async () => {
    const { code, stdout, output } = printed;
    expect(code, output).toBe(0);

    expect(rowsOf(section(stdout, 'Cached symbols'))).toEqual([
      ['BTC/USDT', 'TICKER,BARS,ORDER_BOOK,TRADES', '1h'],
      ['ETH/USDT', 'TICKER', '-'],
    ]);
  });

  it("exits non-zero with the gateway's error messages when a query is refused", async () => {
    const { code, stdout, stderr } = await client('BTC USDT');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: .*MarketSymbol/m);
  });
});
