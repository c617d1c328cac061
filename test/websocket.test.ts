import type { FormattedExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WRITER_TOKEN } from './support/gateway.js';
import { startLiveGateway, type LiveGateway } from './support/live-gateway.js';
import { sleep } from './support/load.js';
import { waitUntil } from './support/wait-until.js';

/**
 * Subscriptions over WebSocket (graphql-ws protocol) on `/graphql`, and the edge rules a socket
 * is held to, as for HTTP: origins, message and variables sizes, operation limits, subscriptions
 * per connection, only subscriptions. Against a gateway on a real port (the embedded store).
 */


let gateway: LiveGateway;
let wsUrl: string;
const clients: Client[] = [];

beforeAll(async () => {
  gateway = await startLiveGateway({}, {
    CORS_ORIGINS: 'https://app.example.com',
    MAX_BODY_BYTES: '4096',
    MAX_VARIABLES_BYTES: '1024',
    MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
    MAX_DEPTH: '3',
  });
  wsUrl = gateway.url.replace(/^http/, 'ws');
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await gateway?.shutdown();
});

function client(): Client {
  const made = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
  clients.push(made);
  return made;
}

/** A subscription's results as they come, and a way to stop it. */
function follow(on: Client, query: string, variables?: Record<string, unknown>) {
  const results: Array<FormattedExecutionResult<Record<string, unknown>, unknown>> = [];
  let failure: unknown;
  let completed = false;
  const stop = on.subscribe(
    { query, variables },
    { next: (result) => void results.push(result), error: (error) => void (failure = error), complete: () => void (completed = true) },
  );
  return {
    results,
    stop,
    get failure() {
      return failure as Array<{ message: string; extensions?: { code?: string } }> | undefined;
    },
    get completed() {
      return completed;
    },
    async until(check: () => boolean, ms = 5000) {
      await waitUntil('the subscription got there', async () => expect(check()).toBe(true), ms);
    },
  };
}

/** How an upgrade with `headers` to `path` is answered: `open`, or the HTTP status it was refused with. */
function upgrade(path: string, headers: Record<string, string> = {}, protocol = 'graphql-transport-ws'): Promise<'open' | number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(new URL(path, wsUrl), protocol, { headers });
    socket.once('open', () => {
      socket.close();
      resolve('open');
    });
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', () => {});
  });
}

const putTicker = (last: number) =>
  gateway.gql('mutation($last: Float!) { putTicker(ticker: { symbol: "WS/USDT", last: $last }, ttlSeconds: 600) { last } }', { last }, WRITER_TOKEN);

describe('subscriptions over WebSocket', () => {
  it('send the cached value, then each write', async () => {
    await putTicker(1);
    const tickers = follow(client(), 'subscription { tickers(symbols: ["WS/USDT"]) { symbol last } }');
    await tickers.until(() => tickers.results.length === 1);
    await putTicker(2);
    await tickers.until(() => tickers.results.length === 2);
    expect(tickers.results).toEqual([{ data: { tickers: { symbol: 'WS/USDT', last: 1 } } }, { data: { tickers: { symbol: 'WS/USDT', last: 2 } } }]);
    tickers.stop();
  });

  it('accept a browser of the same origin or of CORS_ORIGINS, and a client that sends no origin; refuse another origin and another path', async () => {
    const own = new URL(gateway.url).origin;
    expect(await upgrade('/graphql', { origin: own })).toBe('open');
    expect(await upgrade('/graphql', { origin: 'https://app.example.com' })).toBe('open');
    expect(await upgrade('/graphql')).toBe('open');
    expect(await upgrade('/graphql', { origin: 'https://evil.example' })).toBe(403);
    expect(await upgrade('/elsewhere')).toBe(404);
  });

  it('refuse queries and mutations (they go over HTTP), and keep the socket for subscriptions', async () => {
    const on = client();
    const query = follow(on, '{ ticker(symbol: "WS/USDT") { last } }');
    await query.until(() => query.failure !== undefined);
    expect(query.failure).toEqual([
      expect.objectContaining({
        message: 'operation: expected a subscription over WebSocket (queries and mutations go over HTTP), received "query"',
        extensions: { code: 'BAD_USER_INPUT' },
      }),
    ]);
    const tickers = follow(on, 'subscription { tickers(symbols: ["WS/USDT"]) { last } }');
    await tickers.until(() => tickers.results.length === 1);
    tickers.stop();
  });

  it('hold at most MAX_SUBSCRIPTIONS_PER_CONNECTION subscriptions on one connection, and take another once one ends', async () => {
    const on = client();
    const first = follow(on, 'subscription { fearGreed { value } }');
    const second = follow(on, 'subscription { tickers(symbols: ["WS/USDT"]) { last } }');
    await second.until(() => second.results.length === 1);
    const third = follow(on, 'subscription { fearGreed { value } }');
    await third.until(() => third.failure !== undefined);
    expect(third.failure).toEqual([
      expect.objectContaining({
        message: 'subscriptions on this connection: expected at most 2 (MAX_SUBSCRIPTIONS_PER_CONNECTION), received 3',
        extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
      }),
    ]);
    first.stop();
    await sleep(100);
    const fourth = follow(on, 'subscription { tickers(symbols: ["WS/USDT"]) { last } }');
    await fourth.until(() => fourth.results.length === 1);
    expect(fourth.failure).toBeUndefined();
    second.stop();
    fourth.stop();
  });

  it('hold an operation to the limits of HTTP: variables size, depth and arguments', async () => {
    const on = client();
    const big = follow(on, 'subscription($symbols: [MarketSymbol!]!) { tickers(symbols: $symbols) { last } }', { symbols: Array.from({ length: 200 }, (_, i) => `S${i}/USDT`) });
    const deep = follow(on, 'subscription { orderBook(symbol: "WS/USDT") { bids { ... on OrderBookLevel { price } } } }');
    await big.until(() => big.failure !== undefined);
    await deep.until(() => deep.failure !== undefined);
    expect(big.failure?.[0]).toMatchObject({ message: expect.stringMatching(/^variables: expected at most 1024 bytes of JSON \(MAX_VARIABLES_BYTES\), received \d+ bytes$/), extensions: { code: 'BAD_USER_INPUT' } });
    expect(deep.failure?.[0]).toMatchObject({ message: 'operation depth: expected at most 3 (MAX_DEPTH), received 4', extensions: { code: 'OPERATION_TOO_COMPLEX' } });
    const none = follow(on, 'subscription { tickers(symbols: []) { last } }');
    await none.until(() => none.results.length === 1 || none.failure !== undefined);
    expect(none.results[0]?.errors ?? none.failure).toEqual([expect.objectContaining({ message: 'symbols: expected 1 to 500 symbols, received 0' })]);
  });

  it('close a socket that sends a message over MAX_BODY_BYTES (1009), and one that never says connection_init (4408)', async () => {
    const closeOf = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    const loud = new WebSocket(wsUrl, 'graphql-transport-ws');
    await new Promise((resolve) => loud.once('open', resolve));
    const loudClosed = closeOf(loud);
    loud.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(5000) } }));
    expect(await loudClosed).toBe(1009);

    const silent = new WebSocket(wsUrl, 'graphql-transport-ws');
    const silentClosed = closeOf(silent);
    const opened = performance.now();
    expect(await silentClosed).toBe(4408);
    expect(performance.now() - opened).toBeGreaterThan(2500);
  });

  it('leave no subscription behind once the client goes', async () => {
    const on = client();
    const tickers = follow(on, 'subscription { tickers(symbols: ["WS/USDT"]) { last } }');
    await tickers.until(() => tickers.results.length === 1);
    const subscribers = async () => {
      const metrics = (await gateway.get('/metrics')).body as string;
      return Number(/^mdc_live_subscribers\{field="tickers"\} (\d+)$/m.exec(metrics)?.[1]);
    };
    expect(await subscribers()).toBeGreaterThanOrEqual(1);
    await on.dispose();
    await waitUntil('no subscriber left', async () => expect(await subscribers()).toBe(0), 3000);
  });
});
