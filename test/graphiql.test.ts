import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openChromium, type Browser } from './support/chromium.js';
import { WRITER_TOKEN } from './support/gateway.js';
import { startLiveGateway, type LiveGateway } from './support/live-gateway.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

// GraphiQL as a developer opens it: Debian's Chromium, driven by playwright-core, loading
// /graphql from a gateway on loopback. Every request for another origin is aborted and recorded,
// so the page must work with no network but the gateway, even on a machine with internet.

// A 9 MB page parsed on a noisy two-core machine: seconds, not milliseconds.
const BROWSER_MS = 20_000;
const SEEDED_LAST = 64123.5;

describe('GraphiQL in a browser that can reach nothing but the gateway', () => {
  let redis: RedisServer;
  let gateway: LiveGateway;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    redis = await startRedisServer();
    // A loaded machine is not what is tested here: Redis reads get 5 s, not 50 ms.
    gateway = await startLiveGateway(redis.url, { GRAPHIQL: 'true', REDIS_READ_TIMEOUT_MS: '5000' });
    const seeded = await gateway.gql(
      'mutation($ticker: TickerInput!) { putTicker(ticker: $ticker, ttlSeconds: 600) { last } }',
      { ticker: { symbol: 'BTC/USDT', last: SEEDED_LAST, changePercent24h: 1.25 } },
      WRITER_TOKEN,
    );
    expect(seeded.errors).toBeUndefined();

    browser = await openChromium(new URL(gateway.url).origin, { timeoutMs: BROWSER_MS });
    page = browser.page;
    await page.goto(gateway.url, { waitUntil: 'load' });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.shutdown();
    await redis?.stop();
  });

  it('renders the GraphiQL editor instead of a loading message', { timeout: 60_000 }, async () => {
    const editor = page.locator('.graphiql-query-editor .monaco-editor').first();
    const rendered = await editor.waitFor().then(
      () => true,
      () => false,
    );
    const root = (await page.locator('#root').innerText()).slice(0, 200);
    expect(rendered, `no GraphiQL editor after ${BROWSER_MS} ms; the page says: ${JSON.stringify(root)}`).toBe(true);
    expect(root).not.toMatch(/^Loading/);
  });

  it('opens on the example query, in the first tab', { timeout: 60_000 }, async () => {
    expect(await tabs(page)).toEqual([{ title: 'Dashboard', active: true }]);
    await expect.poll(() => queryEditorText(page), { timeout: BROWSER_MS }).toContain('query Dashboard {');
  });

  it('answers the example query when Run is clicked, with the seeded ticker', { timeout: 60_000 }, async () => {
    const text = await run(page);
    expect(text).not.toContain('Syntax Error');
    expect(text).toMatch(new RegExp(`"last": ${SEEDED_LAST}\\b`));
    expect(text).toContain('"symbol": "BTC/USDT"');
  });

  it('opens on the example query again on a later visit, and Run answers it', { timeout: 60_000 }, async () => {
    // GraphiQL now has tabs stored in this profile; it must not open on a new, empty one.
    await page.goto(gateway.url, { waitUntil: 'load' });
    await page.locator('.graphiql-query-editor .monaco-editor').first().waitFor();
    expect((await tabs(page)).find((tab) => tab.active)).toEqual({ title: 'Dashboard', active: true });
    await expect.poll(() => queryEditorText(page), { timeout: BROWSER_MS }).toContain('query Dashboard {');
    const text = await run(page);
    expect(text).not.toContain('Syntax Error');
    expect(text).toMatch(new RegExp(`"last": ${SEEDED_LAST}\\b`));
  });

  it('runs a subscription pasted into the editor: the current ticker, then each one written after it', { timeout: 60_000 }, async () => {
    await setQuery(page, 'subscription LiveTicker { tickers(symbols: ["BTC/USDT"]) { symbol last } }');
    await expect.poll(() => queryEditorText(page), { timeout: BROWSER_MS }).toContain('subscription LiveTicker { tickers(symbols: ["BTC/USDT"])');
    // GraphiQL parses the editor's text a moment after it changes: run before that, it asks for the
    // previous operation by name ("Cannot infer operation Dashboard", seen on a loaded machine).
    // Its tab takes the operation's name once it has.
    await expect.poll(async () => (await tabs(page)).find((tab) => tab.active)?.title, { timeout: BROWSER_MS }).toBe('LiveTicker');
    const response = page.locator('.graphiql-response .view-lines').first();
    await page.locator('.graphiql-execute-button').click();
    // On failure, say what the pane showed instead.
    await response
      .getByText(`"last": ${SEEDED_LAST}`)
      .waitFor()
      .catch(async (error: Error) => {
        throw new Error(`${error.message}\nthe result pane showed: ${await visibleText(page.locator('.graphiql-response').first())}`);
      });
    expect(await visibleText(response)).toContain('"symbol": "BTC/USDT"');

    const written = await gateway.gql(
      'mutation($ticker: TickerInput!) { putTicker(ticker: $ticker, ttlSeconds: 600) { last } }',
      { ticker: { symbol: 'BTC/USDT', last: 65432.25 } },
      WRITER_TOKEN,
    );
    expect(written.errors).toBeUndefined();
    // The same run, still open: no click in between.
    await response.getByText('"last": 65432.25').waitFor({ timeout: 5_000 });
    expect(await visibleText(response)).not.toContain('"errors"');
  });

  it('requested nothing from any origin but the gateway', () => {
    expect(browser.elsewhere, `requests that left for another origin (aborted):\n${browser.elsewhere.join('\n')}`).toEqual([]);
  });
});

/** The tabs as the tab bar shows them: each one's title, and whether it is the one open. */
function tabs(page: Page): Promise<Array<{ title: string; active: boolean }>> {
  return page
    .locator('.graphiql-tab')
    .evaluateAll((items) =>
      items.map((item) => ({
        title: item.querySelector('.graphiql-tab-button')?.textContent ?? '',
        active: item.getAttribute('aria-selected') === 'true',
      })),
    );
}

/** The open tab's query as the editor shows it. */
function queryEditorText(page: Page): Promise<string> {
  return visibleText(page.locator('.graphiql-query-editor .view-lines').first());
}

/**
 * Replaces the open tab's query with `text` as a paste would: in one insertion, so that the
 * editor's auto-closing of brackets and quotes, which typing key by key triggers, adds nothing.
 */
async function setQuery(page: Page, text: string): Promise<void> {
  await page.locator('.graphiql-query-editor .monaco-editor').first().click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
}

/** Clicks the execute (Run) button and returns the result pane's text once it shows an answer. */
async function run(page: Page): Promise<string> {
  const response = page.locator('.graphiql-response .view-lines').first();
  await page.locator('.graphiql-execute-button').click();
  await response.getByText(/"(data|errors)"/).first().waitFor();
  return visibleText(response);
}

/** What Monaco shows, with its non-breaking spaces as plain ones. */
async function visibleText(lines: Locator): Promise<string> {
  return (await lines.innerText()).replace(/\u00a0/g, ' ');
}
