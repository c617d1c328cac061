import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyLayout } from '../src/cache/keys.js';
import { createMemoryStore } from '../src/cache/memory-store.js';
import { testGateway, WRITER_TOKEN, ADMIN_TOKEN, type TestGateway } from './support/gateway.js';
import { useRedisGateway } from './support/harness.js';
import { commandsDuring } from './support/redis-server.js';

/**
 * The fast lane (src/edge/fast-lane.ts) answers known documents straight from the socket. The
 * differential property in test/read-plans.test.ts checks that it answers as yoga does; these
 * check what it must refuse to answer itself although it knows the document (a limit that
 * depends on the variables), that it is really answering, and what it costs Redis.
 */

const keys = createKeyLayout({ namespace: 'mdc', version: 'v1' });
const HOUR = 3_600_000;

interface Served {
  url: string;
  close(): Promise<void>;
}

async function post(server: Served, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.text() };
}

const putTicker = (symbol: string, last: number) => ({
  query: 'mutation($t: TickerInput!) { putTicker(ticker: $t) { symbol } }',
  variables: { t: { symbol, last, time: new Date().toISOString() } },
});
const TICKERS = { query: 'query Tickers($s: [MarketSymbol!]!) { tickers(symbols: $s) { symbol last stale } }', operationName: 'Tickers' };

describe('the fast lane', () => {
  let gateway: TestGateway;
  let server: Served;
  const answered = () => gateway.metrics.fastLaneCounts().answered;

  beforeAll(async () => {
    gateway = testGateway(createMemoryStore(), { MAX_READ_COST: '3', MAX_VARIABLES_BYTES: '200' });
    server = await gateway.listen();
    for (const [symbol, last] of [['BTC/USDT', 1], ['ETH/USDT', 2], ['SOL/USDT', 3]] as const) {
      expect((await post(server, putTicker(symbol, last), { authorization: `Bearer ${WRITER_TOKEN}` })).status).toBe(200);
    }
  });
  afterAll(() => server.close());

  it('answers a document yoga has answered through a read plan, itself, with the same bytes', async () => {
    const request = { ...TICKERS, variables: { s: ['BTC/USDT', 'ETH/USDT'] } };
    const before = answered();
    const first = await post(server, request);
    expect(answered()).toBe(before); // unknown until yoga has answered it once
    const second = await post(server, request);
    expect(answered()).toBe(before + 1);
    expect(second).toEqual(first);
    expect(JSON.parse(second.body)).toEqual({
      data: { tickers: [{ symbol: 'BTC/USDT', last: 1, stale: false }, { symbol: 'ETH/USDT', last: 2, stale: false }] },
    });
  });

  it('hands a known document over when its variables read more than MAX_READ_COST, and yoga refuses it', async () => {
    await post(server, { ...TICKERS, variables: { s: ['BTC/USDT'] } });
    const before = answered();
    const refused = await post(server, { ...TICKERS, variables: { s: ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT'] } });
    expect(answered()).toBe(before);
    expect(refused.status).toBe(200);
    expect(JSON.parse(refused.body).errors[0]).toMatchObject({ extensions: { code: 'OPERATION_TOO_COMPLEX' } });
    expect(refused.body).toContain('MAX_READ_COST');
  });

  it('hands a known document over when its variables are over MAX_VARIABLES_BYTES, and yoga refuses them', async () => {
    await post(server, { ...TICKERS, variables: { s: ['BTC/USDT'] } });
    const before = answered();
    const refused = await post(server, { ...TICKERS, variables: { s: ['BTC/USDT'], padding: 'x'.repeat(300) } });
    expect(answered()).toBe(before);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body).errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(refused.body).toContain('MAX_VARIABLES_BYTES');
  });

  it('never serves a value an invalidation removed', async () => {
    const request = { query: '{ ticker(symbol: "SOL/USDT") { last } }' };
    await post(server, request);
    expect((await post(server, request)).body).toBe('{"data":{"ticker":{"last":3}}}');
    const invalidated = await post(server, { query: 'mutation { invalidateTicker(symbol: "SOL/USDT") { deleted } }' }, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(invalidated.body).toBe('{"data":{"invalidateTicker":{"deleted":1}}}');
    const before = answered();
    expect((await post(server, request)).body).toBe('{"data":{"ticker":null}}');
    expect(answered()).toBe(before + 1);
  });

  it('answers a GET with the caching headers yoga gives it, and a 304 to its ETag', async () => {
    const search = new URLSearchParams({ query: '{ ticker(symbol: "ETH/USDT") { last } }' });
    const get = (headers: Record<string, string> = {}) => fetch(`${server.url}/graphql?${search}`, { headers: { 'x-graphql-yoga-csrf': '1', ...headers } });
    const first = await get();
    const before = answered();
    const second = await get();
    expect(answered()).toBe(before + 1);
    expect(await second.text()).toBe('{"data":{"ticker":{"last":2}}}');
    const etag = second.headers.get('etag')!;
    expect(etag).toBe(first.headers.get('etag'));
    expect(second.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    const notModified = await get({ 'if-none-match': etag });
    expect(answered()).toBe(before + 2);
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe('');
    expect(notModified.headers.get('etag')).toBe(etag);
    expect(notModified.headers.get('content-type')).toBeNull();
  });

  it('counts what it answers in the request metrics, as yoga counts what it answers', async () => {
    const request = { query: '{ ticker(symbol: "BTC/USDT") { symbol } }' };
    await post(server, request);
    const metricsText = async () => (await fetch(`${server.url}/metrics`)).text();
    const count = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
    const before = await metricsText();
    await post(server, request);
    const after = await metricsText();
    const ok = /^mdc_graphql_requests_total\{operation="query",outcome="ok"\} (\d+)$/m;
    const lane = /^mdc_fast_lane_requests_total\{outcome="answered"\} (\d+)$/m;
    expect(count(after, ok) - count(before, ok)).toBe(1);
    expect(count(after, lane) - count(before, lane)).toBe(1);
  });
});

describe('the fast lane with PERSISTED_DOCUMENTS_ONLY', () => {
  const TICKER = 'query Ticker($s: MarketSymbol!) { ticker(symbol: $s) { symbol last } }';
  const id = `sha256:${createHash('sha256').update(TICKER).digest('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'mdc-fast-lane-'));
  let gateway: TestGateway;
  let server: Served;

  beforeAll(async () => {
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ [id]: TICKER }));
    gateway = testGateway(createMemoryStore(), { PERSISTED_DOCUMENTS: join(dir, 'manifest.json'), PERSISTED_DOCUMENTS_ONLY: 'true' });
    server = await gateway.listen();
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a document by its id, and never its text, although it knows the text', async () => {
    const byId = { documentId: id, variables: { s: 'BTC/USDT' } };
    await post(server, byId);
    const before = gateway.metrics.fastLaneCounts().answered;
    expect(await post(server, byId)).toEqual({ status: 200, body: '{"data":{"ticker":null}}' });
    expect(gateway.metrics.fastLaneCounts().answered).toBe(before + 1);
    const byText = await post(server, { query: TICKER, variables: { s: 'BTC/USDT' } });
    expect(byText.status).toBe(400);
    expect(JSON.parse(byText.body).errors[0].extensions.code).toBe('PERSISTED_DOCUMENT_REQUIRED');
    expect(gateway.metrics.fastLaneCounts().answered).toBe(before + 1);
  });
});

describe('the fast lane over Redis', () => {
  const harness = useRedisGateway();
  let server: Served;

  beforeAll(async () => {
    server = await harness.gateway.listen();
    // Loads the discard script, so that each discard below is one EVALSHA and not EVALSHA + EVAL.
    await harness.store.discard('warm-up', 'nothing');
  });
  afterAll(() => server.close());

  it('reads a known document’s keys with one MGET', async () => {
    const now = Date.now();
    const stored = (symbol: string, last: number) =>
      JSON.stringify({ symbol, last, time: new Date(now).toISOString(), cachedAt: new Date(now).toISOString(), expiresAt: new Date(now + HOUR).toISOString() });
    await harness.probe.set(keys.ticker('BTC/USDT'), stored('BTC/USDT', 1), 'PX', HOUR);
    await harness.probe.set(keys.ticker('ETH/USDT'), stored('ETH/USDT', 2), 'PX', HOUR);
    const request = { ...TICKERS, variables: { s: ['BTC/USDT', 'ETH/USDT'] } };
    await post(server, request);
    const before = harness.gateway.metrics.fastLaneCounts().answered;
    const commands = await commandsDuring(harness.probe, () => post(server, request));
    expect(harness.gateway.metrics.fastLaneCounts().answered).toBe(before + 1);
    expect(commands).toEqual({ mget: 1 });
  });

  it('hands a plan that meets a value that does not decode to the executor with what it read: Redis is read once', async () => {
    const request = { query: '{ ticker(symbol: "SOL/USDT") { symbol last } }' };
    const now = new Date().toISOString();
    const expiresAt = new Date(Date.now() + HOUR).toISOString();
    await harness.probe.set(keys.ticker('SOL/USDT'), JSON.stringify({ symbol: 'SOL/USDT', last: 3, time: now, cachedAt: now, expiresAt }), 'PX', HOUR);
    expect((await post(server, request)).body).toBe('{"data":{"ticker":{"symbol":"SOL/USDT","last":3}}}');
    await harness.probe.set(keys.ticker('SOL/USDT'), '{"symbol":"SOL/USDT","last":"not a number"}', 'PX', HOUR);
    let answer: { status: number; body: string } | undefined;
    const commands = await commandsDuring(harness.probe, async () => void (answer = await post(server, request)));
    expect(answer).toEqual({ status: 200, body: '{"data":{"ticker":null}}' });
    // The discard is one script; Redis counts the TYPE, GET and DEL it runs inside as well.
    expect(commands).toEqual({ mget: 1, evalsha: 1, type: 1, get: 1, del: 1 });
  });
});
