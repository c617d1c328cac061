import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FormattedExecutionResult } from 'graphql';
import { createClient, type Client, type SubscribePayload } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createMemoryStore } from '../src/cache/memory-store.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { documentTextOf } from '../src/edge/persisted-documents.js';
import { testGateway, WRITER_TOKEN, type TestGateway } from './support/gateway.js';
import { startLiveGateway, type LiveGateway } from './support/live-gateway.js';
import { kill, run } from './support/process.js';
import { waitUntil } from './support/wait-until.js';

/**
 * Persisted documents (PERSISTED_DOCUMENTS, PERSISTED_DOCUMENTS_ONLY): operations by the id a
 * manifest gives them, as the client preset writes it, over POST, GET and WebSocket; the
 * refusals; and a manifest that stops start-up.
 */

const TICKER = 'query Ticker($symbol: MarketSymbol!) { ticker(symbol: $symbol) { symbol last } }';
const TICKERS = 'subscription Tickers($symbols: [MarketSymbol!]!) { tickers(symbols: $symbols) { symbol last } }';
const PUT_TICKER = 'mutation PutTicker($symbol: MarketSymbol!, $last: Float!) { putTicker(ticker: { symbol: $symbol, last: $last }, ttlSeconds: 600) { last } }';
const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');
const idOf = (text: string) => `sha256:${hashOf(text)}`;
const UNKNOWN = idOf('query Unknown { fearGreed { value } }');

const dir = mkdtempSync(join(tmpdir(), 'mdc-persisted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** Writes `content` (JSON unless a string) to a file of its own and returns its path. */
let files = 0;
function file(content: unknown): string {
  const path = join(dir, `manifest-${files++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}
const MANIFEST = file(Object.fromEntries([TICKER, TICKERS, PUT_TICKER].map((text) => [idOf(text), text])));

type Body = { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
async function answer(response: Response | Promise<Response>): Promise<Body & { status: number }> {
  const received = await response;
  return { status: received.status, ...((await received.json()) as Body) };
}
const post = (gateway: TestGateway, body: unknown, headers: Record<string, string> = {}) =>
  answer(gateway.fetch('http://gateway.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }));
const get = (gateway: TestGateway, search: Record<string, string>) =>
  answer(gateway.fetch(`http://gateway.test/graphql?${new URLSearchParams(search)}`, { headers: { 'x-graphql-yoga-csrf': '1', accept: 'application/json' } }));
const refusal = (code: string, message: string | RegExp) => ({
  status: 400,
  errors: [expect.objectContaining({ message: typeof message === 'string' ? message : expect.stringMatching(message), extensions: expect.objectContaining({ code }) })],
});

describe('persisted documents over HTTP (PERSISTED_DOCUMENTS)', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = testGateway(createMemoryStore(), { PERSISTED_DOCUMENTS: MANIFEST });
    const { errors } = await gateway.gql(PUT_TICKER, { symbol: 'PD/USDT', last: 42 }, WRITER_TOKEN);
    expect(errors).toBeUndefined();
  });

  it('runs the document a GET names by documentId, with its variables', async () => {
    expect(await get(gateway, { documentId: idOf(TICKER), variables: JSON.stringify({ symbol: 'PD/USDT' }) })).toEqual({
      status: 200,
      data: { ticker: { symbol: 'PD/USDT', last: 42 } },
    });
  });

  it('runs the document a POST names by documentId, with its variables and operationName, and still runs a query sent as text', async () => {
    const expected = { status: 200, data: { ticker: { symbol: 'PD/USDT', last: 42 } } };
    expect(await post(gateway, { documentId: idOf(TICKER), variables: { symbol: 'PD/USDT' }, operationName: 'Ticker' })).toEqual(expected);
    expect(await post(gateway, { query: TICKER, variables: { symbol: 'PD/USDT' } })).toEqual(expected);
  });

  it('refuses an unknown documentId with PERSISTED_DOCUMENT_NOT_FOUND, naming the id', async () => {
    const expected = refusal('PERSISTED_DOCUMENT_NOT_FOUND', `documentId: expected the id of a persisted document (PERSISTED_DOCUMENTS), received "${UNKNOWN}"`);
    expect(await post(gateway, { documentId: UNKNOWN })).toEqual(expected);
    expect(await get(gateway, { documentId: UNKNOWN })).toEqual(expected);
  });

  it('refuses a request carrying both a query and a documentId (BAD_REQUEST)', async () => {
    const expected = refusal('BAD_REQUEST', 'request: expected either documentId or query, received both');
    expect(await post(gateway, { query: TICKER, documentId: idOf(TICKER), variables: { symbol: 'PD/USDT' } })).toEqual(expected);
    expect(await get(gateway, { query: TICKER, documentId: idOf(TICKER), variables: JSON.stringify({ symbol: 'PD/USDT' }) })).toEqual(expected);
  });

  it('refuses a documentId over 256 characters, or not a string, without looking it up (BAD_REQUEST)', async () => {
    expect(await post(gateway, { documentId: `sha256:${'a'.repeat(300)}` })).toEqual(refusal('BAD_REQUEST', 'documentId: expected at most 256 characters, received 307 characters'));
    expect(await post(gateway, { documentId: 12 })).toEqual(refusal('BAD_REQUEST', 'documentId: expected a string, received 12'));
    const looked: unknown[] = [];
    const documents = new (class extends Map<string, string> {
      override get(id: string) {
        looked.push(id);
        return super.get(id);
      }
    })([[idOf(TICKER), TICKER]]);
    expect(documentTextOf(documents, 'x'.repeat(257))).toBeUndefined();
    expect(documentTextOf(documents, idOf(TICKER))).toBe(TICKER);
    expect(looked).toEqual([idOf(TICKER)]);
  });

  it("does not take Apollo's extensions.persistedQuery for a documentId, and says so", async () => {
    const apollo = { variables: { symbol: 'PD/USDT' }, extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(TICKER) } } };
    expect(await post(gateway, apollo)).toEqual(
      refusal('BAD_REQUEST', "request: expected a documentId or a query, received neither (Apollo's extensions.persistedQuery is not accepted)"),
    );
  });

  it('never runs a mutation named by a GET', async () => {
    const response = await gateway.fetch(`http://gateway.test/graphql?${new URLSearchParams({ documentId: idOf(PUT_TICKER), variables: JSON.stringify({ symbol: 'PD/USDT', last: 1 }) })}`, {
      headers: { 'x-graphql-yoga-csrf': '1', authorization: `Bearer ${WRITER_TOKEN}` },
    });
    expect(response.status).toBe(405);
    expect((await gateway.gql(TICKER, { symbol: 'PD/USDT' })).data).toEqual({ ticker: { symbol: 'PD/USDT', last: 42 } });
  });
});

describe('persisted documents only (PERSISTED_DOCUMENTS_ONLY=true)', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = testGateway(createMemoryStore(), { PERSISTED_DOCUMENTS: MANIFEST, PERSISTED_DOCUMENTS_ONLY: 'true' });
    const put = await post(gateway, { documentId: idOf(PUT_TICKER), variables: { symbol: 'PD/USDT', last: 7 } }, { authorization: `Bearer ${WRITER_TOKEN}` });
    expect(put).toEqual({ status: 200, data: { putTicker: { last: 7 } } });
  });

  it('refuses a query sent as text with PERSISTED_DOCUMENT_REQUIRED, saying to send a documentId', async () => {
    const expected = refusal(
      'PERSISTED_DOCUMENT_REQUIRED',
      'request: expected a documentId, the id of a persisted document, instead of a query (PERSISTED_DOCUMENTS_ONLY), received a query',
    );
    expect(await post(gateway, { query: TICKER, variables: { symbol: 'PD/USDT' } })).toEqual(expected);
    expect(await get(gateway, { query: '{ fearGreed { value } }' })).toEqual(expected);
    // Even the text of a persisted document: the id is what is accepted.
    expect(await post(gateway, { query: '{ __typename }' })).toEqual(expected);
  });

  it('refuses a request with neither, Apollo form included, with PERSISTED_DOCUMENT_REQUIRED', async () => {
    expect(await post(gateway, { variables: {} })).toEqual(refusal('PERSISTED_DOCUMENT_REQUIRED', /received neither$/));
    expect(await post(gateway, { extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(TICKER) } } })).toEqual(
      refusal('PERSISTED_DOCUMENT_REQUIRED', /received neither \(Apollo's extensions.persistedQuery is not accepted\)$/),
    );
  });

  it('runs a document named by its documentId, over POST and GET', async () => {
    const expected = { status: 200, data: { ticker: { symbol: 'PD/USDT', last: 7 } } };
    expect(await post(gateway, { documentId: idOf(TICKER), variables: { symbol: 'PD/USDT' } })).toEqual(expected);
    expect(await get(gateway, { documentId: idOf(TICKER), variables: JSON.stringify({ symbol: 'PD/USDT' }) })).toEqual(expected);
  });

  it('holds a persisted document to the same checks as any other (bad variables)', async () => {
    const { errors } = await post(gateway, { documentId: idOf(TICKER), variables: { symbol: 'not a symbol' } });
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('persisted documents over WebSocket', () => {
  let gateway: LiveGateway;
  const clients: Client[] = [];
  beforeAll(async () => {
    gateway = await startLiveGateway({}, { PERSISTED_DOCUMENTS: MANIFEST, PERSISTED_DOCUMENTS_ONLY: 'true' });
    const response = await fetch(new URL('/graphql', gateway.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITER_TOKEN}` },
      body: JSON.stringify({ documentId: idOf(PUT_TICKER), variables: { symbol: 'WS/USDT', last: 1 } }),
    });
    expect(await response.json()).toEqual({ data: { putTicker: { last: 1 } } });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await gateway?.shutdown();
  });

  /** Subscribes with `payload` as graphql-ws sends it, and collects what comes back. */
  function follow(payload: Record<string, unknown>) {
    const client = createClient({ url: gateway.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
    clients.push(client);
    const results: Array<FormattedExecutionResult<Record<string, unknown>, unknown>> = [];
    const seen: { failure?: Array<{ message: string; extensions?: { code?: string } }> } = {};
    client.subscribe(payload as unknown as SubscribePayload, {
      next: (result) => void results.push(result),
      error: (error) => void (seen.failure = error as never),
      complete: () => {},
    });
    return { results, seen };
  }

  it('subscribes by documentId, sent beside an empty query', async () => {
    const { results } = follow({ query: '', documentId: idOf(TICKERS), variables: { symbols: ['WS/USDT'] } });
    await waitUntil('the cached ticker came', async () => expect(results).toEqual([{ data: { tickers: { symbol: 'WS/USDT', last: 1 } } }]));
  });

  it('refuses a subscription sent as text (PERSISTED_DOCUMENT_REQUIRED) and an unknown id (PERSISTED_DOCUMENT_NOT_FOUND)', async () => {
    const text = follow({ query: TICKERS, variables: { symbols: ['WS/USDT'] } });
    const unknown = follow({ query: '', documentId: UNKNOWN });
    const both = follow({ query: TICKERS, documentId: idOf(TICKERS), variables: { symbols: ['WS/USDT'] } });
    await waitUntil('all three were refused', async () => expect([text, unknown, both].every(({ seen }) => seen.failure !== undefined)).toBe(true));
    expect(text.seen.failure).toEqual([expect.objectContaining({ message: expect.stringMatching(/instead of a query \(PERSISTED_DOCUMENTS_ONLY\), received a query$/), extensions: expect.objectContaining({ code: 'PERSISTED_DOCUMENT_REQUIRED' }) })]);
    expect(unknown.seen.failure).toEqual([expect.objectContaining({ message: `documentId: expected the id of a persisted document (PERSISTED_DOCUMENTS), received "${UNKNOWN}"`, extensions: expect.objectContaining({ code: 'PERSISTED_DOCUMENT_NOT_FOUND' }) })]);
    expect(both.seen.failure).toEqual([expect.objectContaining({ message: 'request: expected either documentId or query, received both', extensions: expect.objectContaining({ code: 'BAD_REQUEST' }) })]);
    expect(text.results).toEqual([]);
  });
});

describe('a manifest that stops start-up', () => {
  function configErrorOf(env: Record<string, string>): string {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error(`loadConfig(${JSON.stringify(env)}) accepted the environment`);
  }
  const manifestError = (content: unknown) => configErrorOf({ PERSISTED_DOCUMENTS: file(content) });

  it('loads the manifest into the configuration', () => {
    const config = loadConfig({ PERSISTED_DOCUMENTS: MANIFEST, PERSISTED_DOCUMENTS_ONLY: 'true' });
    expect(config.persistedDocuments?.get(idOf(TICKER))).toBe(TICKER);
    expect(config.persistedDocumentsOnly).toBe(true);
    expect(loadConfig({}).persistedDocuments).toBeUndefined();
  });

  it('refuses PERSISTED_DOCUMENTS_ONLY without PERSISTED_DOCUMENTS, a missing file, and one that is not a manifest', () => {
    expect(configErrorOf({ PERSISTED_DOCUMENTS_ONLY: 'true' })).toBe('PERSISTED_DOCUMENTS_ONLY: expected PERSISTED_DOCUMENTS to be set too, received PERSISTED_DOCUMENTS_ONLY=true alone');
    expect(configErrorOf({ PERSISTED_DOCUMENTS: MANIFEST, PERSISTED_DOCUMENTS_ONLY: 'yes' })).toBe('PERSISTED_DOCUMENTS_ONLY: expected true or false, received "yes"');
    expect(configErrorOf({ PERSISTED_DOCUMENTS: join(dir, 'none.json') })).toBe(`PERSISTED_DOCUMENTS: expected a readable file, received "${join(dir, 'none.json')}" (ENOENT)`);
    expect(manifestError('{"a":')).toMatch(/^PERSISTED_DOCUMENTS: expected JSON in .*, received text that does not parse \(/);
    expect(manifestError([TICKER])).toMatch(/^PERSISTED_DOCUMENTS: expected a JSON object of document id to document text in .*, received an array$/);
    expect(manifestError({})).toMatch(/^PERSISTED_DOCUMENTS: expected at least one document in .*, received an empty object$/);
  });

  it('refuses an entry that is not a document, a sha256 id that is not its text’s hash, and an overlong id', () => {
    expect(manifestError({ [idOf(TICKER)]: 5 })).toMatch(/^PERSISTED_DOCUMENTS: expected the text of a GraphQL document for each id, received number for "sha256:/);
    expect(manifestError({ [idOf(TICKER)]: TICKERS })).toMatch(new RegExp(`^PERSISTED_DOCUMENTS: expected each sha256: id to be the SHA-256 of its text, received text whose SHA-256 is ${hashOf(TICKERS)} for "sha256:`));
    expect(manifestError({ 'my-query': 'query {' })).toMatch(/^PERSISTED_DOCUMENTS: expected GraphQL documents, received text that does not parse for "my-query" in .* \(Syntax Error: /);
    expect(manifestError({ ['x'.repeat(257)]: TICKER })).toMatch(/^PERSISTED_DOCUMENTS: expected ids of 1 to 256 characters, received "x{77}\.\.\." in .* \(257 characters\)$/);
  });

  it('refuses a manifest over 8 MiB without parsing it', () => {
    expect(manifestError(`{"a": "${'x'.repeat(8 * 1024 * 1024)}"}`)).toMatch(/^PERSISTED_DOCUMENTS: expected a manifest of at most 8388608 bytes, received 8388617 bytes in /);
  });

  it('keeps the process from starting, naming the variable on stderr', { timeout: 60_000 }, async () => {
    const started = run('src/main.ts', { PORT: '0', HOST: '127.0.0.1', PERSISTED_DOCUMENTS: file({ [idOf(TICKER)]: TICKERS }) });
    try {
      // Not `exitOf`: tsx alone takes seconds to start on a busy machine; the test's timeout bounds the wait.
      expect((await started.closed).code).not.toBe(0);
      expect(started.output.stderr).toContain('Configuration error: PERSISTED_DOCUMENTS: expected each sha256: id to be the SHA-256 of its text');
      expect(started.output.stdout).not.toContain('listening');
    } finally {
      kill(started.child);
    }
  });
});
