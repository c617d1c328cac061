import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../examples/dashboard/build.js';
import { createDemoData, type DemoBar, type DemoData } from '../src/demo/demo-data.js';
import { openChromium, type Browser } from './support/chromium.js';
import { WRITER_TOKEN } from './support/gateway.js';
import { startLiveGateway, type LiveGateway } from './support/live-gateway.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

// The dashboard (examples/dashboard) as a user opens it: freshly built, served by a gateway on
// Redis under /dashboard/, filled with the demo's data through the writer mutations, in Debian's
// Chromium that can reach nothing but the gateway. The page's test hook (`window.dashboard`)
// exposes the chart's series, whose data is what the chart draws. That gateway accepts persisted
// documents only (the dashboard's manifest): the page sends ids, never text. The writes go through
// a second gateway on the same Redis, which takes any operation, as a writer's would.

const BROWSER_MS = 10_000;
/** A live update must reach the page within this, as the dashboard promises. */
const LIVE_MS = 1_000;
const HISTORY_BARS = 200;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCREENSHOT = join(ROOT, 'docs', 'dashboard.png');
const MANIFEST = join(ROOT, 'examples', 'dashboard', 'gql', 'persisted-documents.json');

type Candle = { time: number; open: number; high: number; low: number; close: number };

const candleOf = ({ openTime, open, high, low, close }: DemoBar): Candle => ({ time: Date.parse(openTime) / 1000, open, high, low, close });
/** A price as the page prints it: en-US digit grouping, two decimals at these sizes. */
const printed = (price: number) => price.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** What the chart draws now. */
function candles(page: Page): Promise<Candle[]> {
  return page.evaluate(() => window.dashboard.candles.data().map(({ time, open, high, low, close }: any) => ({ time, open, high, low, close })));
}

/** The tickers table as it reads: one array of cell texts per row, the symbol first. */
function tickerRows(page: Page): Promise<string[][]> {
  return page.locator('#tickers tr').evaluateAll((rows) =>
    rows.map((row) => [...row.children].map((cell) => (cell as HTMLElement).innerText.trim())),
  );
}

async function writeDemoData(writer: LiveGateway, data: DemoData) {
  const write = async (query: string, variables: Record<string, unknown>) => {
    const { errors } = await writer.gql(query, variables, WRITER_TOKEN);
    expect(errors, query).toBeUndefined();
  };
  await Promise.all([
    ...data.bars.map((series) =>
      write('mutation($symbol: MarketSymbol!, $timeframe: Timeframe!, $bars: [BarInput!]!) { putBars(symbol: $symbol, timeframe: $timeframe, bars: $bars, ttlSeconds: 3600) }', series),
    ),
    write('mutation($tickers: [TickerInput!]!) { putTickers(tickers: $tickers, ttlSeconds: 3600) }', { tickers: data.tickers }),
    ...data.fundingRates.map((fundingRate) =>
      write('mutation($fundingRate: FundingRateInput!) { putFundingRate(fundingRate: $fundingRate, ttlSeconds: 3600) { symbol } }', { fundingRate }),
    ),
    ...data.orderBooks.map((orderBook) =>
      write('mutation($orderBook: OrderBookInput!) { putOrderBook(orderBook: $orderBook, ttlSeconds: 3600) { symbol } }', { orderBook }),
    ),
    write('mutation($fearGreed: FearGreedInput!) { putFearGreed(fearGreed: $fearGreed, ttlSeconds: 3600) { value } }', { fearGreed: data.fearGreed }),
  ]);
}

describe('the dashboard, served by the gateway, in a browser that can reach nothing but the gateway', () => {
  const data = createDemoData();
  const seriesOf = (symbol: string, timeframe: string) => data.bars.find((entry) => entry.symbol === symbol && entry.timeframe === timeframe)!.bars;
  let redis: RedisServer;
  let gateway: LiveGateway;
  let writer: LiveGateway;
  let dist: string;
  let browser: Browser;
  let page: Page;
  let origin: string;

  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'mdc-dashboard-'));
    [redis] = await Promise.all([startRedisServer(), buildDashboard(dist)]);
    [gateway, writer] = await Promise.all([
      startLiveGateway(redis.url, { DASHBOARD_DIR: dist, REDIS_READ_TIMEOUT_MS: '5000', PERSISTED_DOCUMENTS: MANIFEST, PERSISTED_DOCUMENTS_ONLY: 'true' }),
      startLiveGateway(redis.url, { REDIS_READ_TIMEOUT_MS: '5000' }),
    ]);
    origin = new URL(gateway.url).origin;
    await writeDemoData(writer, data);
    browser = await openChromium(origin, { timeoutMs: BROWSER_MS, viewport: { width: 1280, height: 760 } });
    page = browser.page;
    await page.goto(`${origin}/dashboard/`, { waitUntil: 'load' });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([gateway?.shutdown(), writer?.shutdown()]);
    await redis?.stop();
    if (dist) rmSync(dist, { recursive: true, force: true });
  });

  it('draws the newest 200 candles of the first symbol at 1h, as the demo wrote them', async () => {
    await expect.poll(() => candles(page), { timeout: BROWSER_MS }).toHaveLength(HISTORY_BARS);
    expect(await candles(page)).toEqual(seriesOf('BTC/USDT', '1h').slice(-HISTORY_BARS).map(candleOf));
    expect(await page.locator('#symbol').inputValue()).toBe('BTC/USDT');
    expect(await page.locator('#timeframe').inputValue()).toBe('1h');
    // Timeframes by length, not alphabetically.
    expect(await page.locator('#timeframe option').allInnerTexts()).toEqual(['1h', '4h', '1d']);
    await expect.poll(() => page.locator('#chart-title').innerText()).toBe('BTC/USDT 1h');
    expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);
  });

  it('lists every symbol with a ticker, with its last price, and marks none stale', async () => {
    const expected = data.tickers.map((ticker) => [ticker.symbol, printed(ticker.last)]);
    await expect.poll(async () => (await tickerRows(page)).map((row) => row.slice(0, 2)), { timeout: BROWSER_MS }).toEqual(expected);
    expect(await page.locator('#tickers .stale:visible').count()).toBe(0);
  });

  it("shows the selected symbol's best five levels a side and spread, its perpetual's funding rate, and Fear & Greed", async () => {
    const book = data.orderBooks.find((entry) => entry.symbol === 'BTC/USDT')!;
    const levels = () => page.locator('#book-rows tr').evaluateAll((rows) => rows.map((row) => [...row.children].map((cell) => (cell as HTMLElement).innerText)));
    await expect.poll(levels, { timeout: BROWSER_MS }).toHaveLength(5);
    expect((await levels()).map((cells) => [cells[1], cells[2]])).toEqual(book.bids.slice(0, 5).map((bid, i) => [printed(bid.price), printed(book.asks[i]!.price)]));
    expect(await page.locator('#book-spread').innerText()).toContain(`spread ${printed(book.asks[0]!.price - book.bids[0]!.price)}`);

    const funding = data.fundingRates.find((entry) => entry.symbol === 'BTC/USDT:USDT')!;
    await expect.poll(() => page.locator('#funding-detail').innerText(), { timeout: BROWSER_MS }).toContain('BTC/USDT:USDT');
    expect(await page.locator('#funding-value').innerText()).toBe(`${funding.rate > 0 ? '+' : ''}${(funding.rate * 100).toFixed(4)}%`);

    await expect.poll(() => page.locator('#fear-greed-value').innerText(), { timeout: BROWSER_MS }).toBe(String(data.fearGreed.value));
    expect(await page.locator('#fear-greed-detail').innerText()).toContain(data.fearGreed.classification);
    expect(await page.locator('.stale:visible').count(), 'stale markers shown for fresh values').toBe(0);
  });

  it('saves a screenshot of itself (to docs/dashboard.png with UPDATE_SCREENSHOTS=1)', async () => {
    const path = join(tmpdir(), 'mdc-dashboard.png');
    await page.screenshot({ path, fullPage: true });
    expect(readFileSync(path).subarray(1, 4).toString()).toBe('PNG');
    if (process.env['UPDATE_SCREENSHOTS'] === '1') {
      mkdirSync(join(ROOT, 'docs'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }
  });

  it('shows a ticker written through putTicker within a second, without a reload', async () => {
    const written = { symbol: 'ETH/USDT', last: 3456.78, bid: 3456.5, ask: 3457, changePercent24h: -1.5 };
    const startedMs = Date.now();
    const shown = page.waitForFunction(
      (last) => [...document.querySelectorAll('#tickers tr')].some((row) => row.textContent?.startsWith('ETH/USDT') && row.textContent.includes(last)),
      printed(written.last),
      { timeout: LIVE_MS * 3 },
    );
    const { errors } = await writer.gql('mutation($ticker: TickerInput!) { putTicker(ticker: $ticker, ttlSeconds: 600) { symbol } }', { ticker: written }, WRITER_TOKEN);
    expect(errors).toBeUndefined();
    await shown;
    expect(Date.now() - startedMs, 'from the mutation sent to the new price shown, in ms').toBeLessThan(LIVE_MS);
    const row = (await tickerRows(page)).find((cells) => cells[0] === 'ETH/USDT');
    expect(row?.slice(1, 5)).toEqual(['3,456.78', '-1.50%', '3,456.50', '3,457.00']);
  });

  it('moves the open candle when a bar with its open time is written, and appends the next one', async () => {
    const newest = seriesOf('BTC/USDT', '1h').at(-1)!;
    const moved = { ...newest, high: newest.high + 250, close: newest.high + 200, volume: newest.volume + 10 };
    let result = await writer.gql('mutation($bars: [BarInput!]!) { putBars(symbol: "BTC/USDT", timeframe: "1h", bars: $bars) }', { bars: [moved] }, WRITER_TOKEN);
    expect(result.errors).toBeUndefined();
    await expect.poll(async () => (await candles(page)).at(-1), { timeout: BROWSER_MS }).toEqual(candleOf(moved));
    expect(await candles(page)).toHaveLength(HISTORY_BARS);

    const next = { openTime: new Date(Date.parse(newest.openTime) + 3_600_000).toISOString(), open: moved.close, high: moved.close + 5, low: moved.close - 5, close: moved.close + 1, volume: 1 };
    result = await writer.gql('mutation($bars: [BarInput!]!) { putBars(symbol: "BTC/USDT", timeframe: "1h", bars: $bars) }', { bars: [next] }, WRITER_TOKEN);
    expect(result.errors).toBeUndefined();
    await expect.poll(async () => (await candles(page)).at(-1), { timeout: BROWSER_MS }).toEqual(candleOf(next));
    expect((await candles(page)).slice(-2, -1)).toEqual([candleOf(moved)]);
  });

  it('carries every subscription over one WebSocket to its own /graphql', () => {
    expect(browser.websockets).toEqual([`${origin.replace('http', 'ws')}/graphql`]);
  });

  it('follows the picker: another symbol shows its own candles and moves with its own bars only', async () => {
    await page.locator('#symbol').selectOption('ETH/USDT');
    const eth = seriesOf('ETH/USDT', '1h');
    await expect.poll(async () => (await candles(page)).at(-1), { timeout: BROWSER_MS }).toEqual(candleOf(eth.at(-1)!));
    expect(await candles(page)).toEqual(eth.slice(-HISTORY_BARS).map(candleOf));
    expect(new URL(page.url()).search).toBe('?symbol=ETH%2FUSDT&timeframe=1h');

    // A BTC bar no longer reaches the chart; an ETH one does.
    const btc = { ...seriesOf('BTC/USDT', '1h').at(-1)!, close: 1 };
    const moved = { ...eth.at(-1)!, high: eth.at(-1)!.high + 10, close: eth.at(-1)!.high + 5 };
    const result = await writer.gql(
      'mutation($btc: [BarInput!]!, $eth: [BarInput!]!) { a: putBars(symbol: "BTC/USDT", timeframe: "1h", bars: $btc) b: putBars(symbol: "ETH/USDT", timeframe: "1h", bars: $eth) }',
      { btc: [{ ...btc, low: 1 }], eth: [moved] },
      WRITER_TOKEN,
    );
    expect(result.errors).toBeUndefined();
    await expect.poll(async () => (await candles(page)).at(-1), { timeout: BROWSER_MS }).toEqual(candleOf(moved));
    expect((await candles(page)).every((candle) => candle.close > 100)).toBe(true);
  });

  it('showed no error, and requested nothing from any origin but the gateway', async () => {
    expect(await page.locator('#error').isHidden(), await page.locator('#error').innerText()).toBe(true);
    expect(browser.elsewhere, `requests that left for another origin (aborted):\n${browser.elsewhere.join('\n')}`).toEqual([]);
  });
});
