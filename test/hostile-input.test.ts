import type { Redis } from 'ioredis';
import { Lexer, Source, TokenKind } from 'graphql';
import { createServer, request, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheStore } from '../src/cache/store.js';
import { loadConfig } from '../src/config.js';
import { createGateway } from '../src/gateway.js';
import { captureLogger, testGateway, WRITER_TOKEN, type TestGateway } from './support/gateway.js';
import { useRedisGateway } from './support/harness.js';
import { commandsDuring } from './support/redis-server.js';
import { DEFAULTS } from '../src/defaults.js';

/**
 * What the gateway refuses before it does any work: operations too big or too deep, bodies and
 * variables too large, requests a browser could forge, origins it does not know; and what it
 * keeps to itself in production. Every refusal is checked for its code, its status, and for
 * not reaching Redis.
 */

const HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const GRAPHQL_RESPONSE = 'application/graphql-response+json';

const harness = useRedisGateway();
let redis: Redis;
let probe: Redis;
let store: CacheStore;
let gateway: TestGateway;
beforeAll(() => void ({ redis, probe, store, gateway } = harness));

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
  /** Commands that reached Redis while the request ran. */
  commands: Record<string, number>;
}

/** Sends a request in-process and records what reached Redis meanwhile. */
async function send(target: TestGateway, init: RequestInit & { url?: string }): Promise<Answer> {
  let response!: Response;
  const commands = await commandsDuring(probe, async () => {
    response = await target.fetch(init.url ?? 'http://gateway.test/graphql', init);
  });
  const text = await response.text();
  const body = response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : { text };
  return { status: response.status, headers: response.headers, body, commands };
}

interface PostOptions {
  token?: string;
  /** @default the GraphQL-over-HTTP media type, with which a refusal gets a 4xx status */
  accept?: string;
}

/** A JSON POST of `query`. */
function post(target: TestGateway, query: string, variables?: unknown, { token, accept = GRAPHQL_RESPONSE }: PostOptions = {}) {
  return send(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
}

function expectAccepted(answer: Answer) {
  expect(answer.body.errors, JSON.stringify(answer.body.errors)).toBeUndefined();
  expect(answer.status).toBe(200);
  expect(Object.keys(answer.commands).length).toBeGreaterThan(0);
}

function expectRefused(answer: Answer, { status, code, message }: { status: number; code: string; message: unknown }) {
  expect(answer.body.errors).toEqual([expect.objectContaining({ message, extensions: expect.objectContaining({ code }) })]);
  expect(answer.body.data ?? null).toBeNull();
  expect(answer.status).toBe(status);
  expect(answer.commands).toEqual({});
}

const aliased = (count: number, field: (i: number) => string) => Array.from({ length: count }, (_, i) => `a${i}: ${field(i)}`).join(' ');
/** `ticker { <fields> }` with the fields wrapped in `fragments` inline fragments: each one counts as a level. */
const nested = (fragments: number, fields = 'last') =>
  `{ ticker(symbol: "BTC/USDT") { ${'... on Ticker { '.repeat(fragments)}${fields}${' }'.repeat(fragments)} } }`;
const TICKER_FIELDS = 'symbol last bid ask high24h low24h volume24h changePercent24h time cachedAt expiresAt';
const tokensIn = (document: string) => {
  const lexer = new Lexer(new Source(document));
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF) count++;
  return count;
};
/** A valid mutation of exactly `tokens` tokens: its result holds a list of that many zeros, less the rest. */
const mutationOfTokens = (tokens: number) => {
  const document = (zeros: number) =>
    `mutation { putLlmAnalysis(analysisType: "padding", inputHash: "${HASH}", result: { pad: [${'0 '.repeat(zeros)}] }) { inputHash } }`;
  return document(tokens - tokensIn(document(0)));
};
/** A valid mutation whose brackets nest `depth` deep: an analysis result of nested objects. */
const mutationNested = (depth: number) => {
  // The operation's `{`, the arguments' `(` and the result's own `{` are three of the levels.
  const objects = depth - 3;
  return `mutation { putLlmAnalysis(analysisType: "nested", inputHash: "${HASH}", result: { ${'a: { '.repeat(objects)}b: 1${' }'.repeat(objects)} }) { inputHash } }`;
};

describe('operation limits at their defaults', () => {
  const limits = loadConfig({}).limits;
  const TOO_COMPLEX = { status: 400, code: 'OPERATION_TOO_COMPLEX' };

  it(`accepts an operation ${limits.depth} levels deep, fragments counting as levels`, async () => {
    expectAccepted(await post(gateway, nested(limits.depth - 2)));
  });

  it(`refuses an operation ${limits.depth + 1} levels deep before any command reaches Redis`, async () => {
    expectRefused(await post(gateway, nested(limits.depth - 1)), {
      ...TOO_COMPLEX,
      message: `operation depth: expected at most ${limits.depth} (MAX_DEPTH), received ${limits.depth + 1}`,
    });
  });

  it(`accepts ${limits.aliases} aliases, and reads them with one MGET`, async () => {
    const answer = await post(gateway, `{ ${aliased(limits.aliases, (i) => `ticker(symbol: "S${i}/USDT") { last }`)} }`);
    expectAccepted(answer);
    expect(answer.commands).toEqual({ mget: 1 });
  });

  it(`refuses ${limits.aliases + 1} aliases before any command reaches Redis`, async () => {
    expectRefused(await post(gateway, `{ ${aliased(limits.aliases + 1, (i) => `ticker(symbol: "S${i}/USDT") { last }`)} }`), {
      ...TOO_COMPLEX,
      message: `aliases: expected at most ${limits.aliases} (MAX_ALIASES), received ${limits.aliases + 1}`,
    });
  });

  it(`accepts ${limits.directives} directives`, async () => {
    expectAccepted(await post(gateway, `{ ${aliased(limits.directives, () => 'fearGreed @include(if: true) { value }')} }`));
  });

  it(`refuses ${limits.directives + 1} directives before any command reaches Redis`, async () => {
    expectRefused(await post(gateway, `{ ${aliased(limits.directives + 1, () => 'fearGreed @include(if: true) { value }')} }`), {
      ...TOO_COMPLEX,
      message: `directives: expected at most ${limits.directives} (MAX_DIRECTIVES), received ${limits.directives + 1}`,
    });
  });

  it(`accepts a document of ${limits.tokens} tokens`, async () => {
    const document = mutationOfTokens(limits.tokens);
    expect(tokensIn(document)).toBe(limits.tokens);
    expectAccepted(await post(gateway, document, undefined, { token: WRITER_TOKEN }));
  });

  it(`refuses a document of ${limits.tokens + 1} tokens, saying how many it has, before any command reaches Redis`, async () => {
    expectRefused(await post(gateway, mutationOfTokens(limits.tokens + 1), undefined, { token: WRITER_TOKEN }), {
      ...TOO_COMPLEX,
      message: `tokens: expected at most ${limits.tokens} (MAX_TOKENS), received ${limits.tokens + 1}`,
    });
  });

  it(`refuses an operation costing more than ${limits.cost} before any command reaches Redis`, async () => {
    // Each alias costs about 250: six nested fragments each multiply their content's cost by 1.5.
    const answer = await post(gateway, `{ ${aliased(limits.aliases, () => nested(limits.depth - 2, TICKER_FIELDS).slice(2, -2))} }`);
    const message = expect.stringMatching(new RegExp(`^operation cost: expected at most ${limits.cost} \\(MAX_COST\\), received [\\d.]+$`));
    expectRefused(answer, { ...TOO_COMPLEX, message });
  });

  const { nesting } = DEFAULTS.limits;

  it(`accepts a value nested ${nesting} brackets deep`, async () => {
    expectAccepted(await post(gateway, mutationNested(nesting), undefined, { token: WRITER_TOKEN }));
  });

  it(`refuses a value nested ${nesting + 1} brackets deep before parsing it, rather than overflowing the parser`, async () => {
    expectRefused(await post(gateway, mutationNested(nesting + 1), undefined, { token: WRITER_TOKEN }), {
      ...TOO_COMPLEX,
      message: `nesting: expected brackets nested at most ${nesting} deep, received ${nesting + 1}`,
    });
  });

  it('refuses a literal nested 50,000 deep, a few hundred kilobytes, as too complex and not as an unexpected error', async () => {
    const logsBefore = gateway.logs.length;
    const answer = await post(gateway, `{ tickers(symbols: ${'['.repeat(50_000)}"BTC/USDT"${']'.repeat(50_000)}) { last } }`);
    expectRefused(answer, { ...TOO_COMPLEX, message: `nesting: expected brackets nested at most ${nesting} deep, received 50002` });
    expect(gateway.logs.slice(logsBefore).filter((entry) => Number(entry.level) >= 50)).toEqual([]);
  });

  it('counts brackets inside strings, block strings and comments as text', async () => {
    const brackets = '{['.repeat(600);
    const answer = await post(
      gateway,
      `mutation { putLlmAnalysis(analysisType: "brackets", input: """${brackets}""", result: { text: "${brackets}" }) { inputHash } } # ${brackets}`,
      undefined,
      { token: WRITER_TOKEN },
    );
    expectAccepted(answer);
  });

  it('refuses a field repeated past what graphql-js will compare with a code and a reason, before any command reaches Redis', async () => {
    expectRefused(await post(gateway, `{ ${'fearGreed { value } '.repeat(1000)} }`), {
      ...TOO_COMPLEX,
      message: 'fields: expected few enough repeated fields for graphql-js to compare, received too many',
    });
  });

  it('answers a refusal with 200 to a client that accepts only application/json, as GraphQL over HTTP asks', async () => {
    const answer = await post(gateway, nested(limits.depth - 1), undefined, { accept: 'application/json' });
    expect(answer.status).toBe(200);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('OPERATION_TOO_COMPLEX');
  });
});

describe('operation limits set by the environment', () => {
  it('refuses an operation costing just over MAX_COST, and accepts one costing exactly that', async () => {
    // `ticker { last }` costs 2 for the object and 1.5 for the field under it.
    const small = testGateway(store, { MAX_COST: '350' });
    expectAccepted(await post(small, `{ ${aliased(100, (i) => `ticker(symbol: "S${i}/USDT") { last }`)} }`));
    expectRefused(await post(small, `{ ${aliased(101, (i) => `ticker(symbol: "S${i}/USDT") { last }`)} }`), {
      status: 400,
      code: 'OPERATION_TOO_COMPLEX',
      message: 'operation cost: expected at most 350 (MAX_COST), received 353.5',
    });
  });

  it('applies MAX_DEPTH, MAX_ALIASES, MAX_TOKENS and MAX_DIRECTIVES', async () => {
    const strict = testGateway(store, { MAX_DEPTH: '2', MAX_ALIASES: '1', MAX_TOKENS: '20', MAX_DIRECTIVES: '0' });
    const tooLong = `{ tickers(symbols: [${'"A" '.repeat(20)}]) { last } }`;
    const refusals = await Promise.all([
      post(strict, nested(1)),
      post(strict, '{ a: fearGreed { value } b: fearGreed { value } }'),
      post(strict, tooLong),
      post(strict, '{ fearGreed @skip(if: false) { value } }'),
    ]);
    expect(refusals.map((answer) => answer.body.errors?.[0]?.message)).toEqual([
      'operation depth: expected at most 2 (MAX_DEPTH), received 3',
      'aliases: expected at most 1 (MAX_ALIASES), received 2',
      `tokens: expected at most 20 (MAX_TOKENS), received ${tokensIn(tooLong)}`,
      'directives: expected at most 0 (MAX_DIRECTIVES), received 1',
    ]);
  });
});

describe('request body limit', () => {
  const maxBytes = loadConfig({}).maxBodyBytes;
  const TOO_LARGE = {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  };
  /** A valid request padded with trailing white space (which JSON allows) to exactly `bytes`. */
  const bodyOf = (bytes: number) => {
    const json = JSON.stringify({ query: '{ fearGreed { value } }' });
    return json + ' '.repeat(bytes - json.length);
  };
  /** `text` as a stream of 64 KiB chunks, sent with no Content-Length. */
  const streamOf = (text: string) => {
    const bytes = new TextEncoder().encode(text);
    let offset = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.length) return controller.close();
        controller.enqueue(bytes.subarray(offset, (offset += 65_536)));
      },
    });
  };
  const postBody = (body: BodyInit, headers: Record<string, string> = {}) =>
    send(gateway, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, duplex: 'half' } as RequestInit);

  it(`accepts a body of exactly ${maxBytes} bytes`, async () => {
    expectAccepted(await postBody(bodyOf(maxBytes)));
  });

  it(`refuses a body of ${maxBytes + 1} bytes with 413, from its Content-Length, before any command reaches Redis`, async () => {
    const answer = await postBody(bodyOf(maxBytes + 1), { 'content-length': String(maxBytes + 1) });
    expectRefused(answer, {
      ...TOO_LARGE,
      message: `request body: expected at most ${maxBytes} bytes (MAX_BODY_BYTES), received ${maxBytes + 1} bytes (Content-Length)`,
    });
    expect(answer.headers.get('connection')).toBe('close');
  });

  it(`accepts a chunked body of exactly ${maxBytes} bytes`, async () => {
    expectAccepted(await postBody(streamOf(bodyOf(maxBytes))));
  });

  it(`refuses a chunked body of ${maxBytes + 1} bytes with 413 before any command reaches Redis`, async () => {
    expectRefused(await postBody(streamOf(bodyOf(maxBytes + 1))), {
      ...TOO_LARGE,
      message: `request body: expected at most ${maxBytes} bytes (MAX_BODY_BYTES), received more than ${maxBytes} bytes`,
    });
  });

  it('refuses a body larger than its Content-Length says', async () => {
    expectRefused(await postBody(streamOf(bodyOf(3 * maxBytes)), { 'content-length': '100' }), {
      ...TOO_LARGE,
      message: `request body: expected at most ${maxBytes} bytes (MAX_BODY_BYTES), received more than ${maxBytes} bytes`,
    });
  });

  describe('over a socket, as src/main.ts serves it', () => {
    let http: Server;
    let port: number;
    beforeAll(async () => {
      http = createServer(createGateway({ config: loadConfig({}), store, logger: captureLogger([]) }));
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      port = (http.address() as { port: number }).port;
    });
    afterAll(() => new Promise((resolve) => http.close(resolve)));

    /** Streams `bytes` of body with chunked encoding (no Content-Length) and resolves with the answer, while still sending. */
    const upload = (bytes: number) =>
      new Promise<{ status: number; connection: string | undefined; body: any }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', agent: false, headers: { 'content-type': 'application/json' } });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => {
            resolve({ status: res.statusCode!, connection: res.headers.connection, body: JSON.parse(text) });
            req.destroy();
          });
        });
        // Once answered, the server stops reading and closes: writes still on their way may fail.
        req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
        let sent = 0;
        const write = () => {
          while (sent < bytes && !req.destroyed) {
            const size = Math.min(65_536, bytes - sent);
            sent += size;
            if (!req.write(' '.repeat(size))) return void req.once('drain', write);
          }
          if (!req.destroyed) req.end();
        };
        write();
      });

    it('reads a body no further than its Content-Length, which Node holds it to (so it is not counted again)', async () => {
      const query = JSON.stringify({ query: '{ fearGreed { value } }' });
      // Declares the query alone, then sends 3 times the limit after it on the same connection.
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({
          host: '127.0.0.1',
          port,
          path: '/graphql',
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': String(query.length) },
        });
        let answered: { status: number; body: string } | undefined;
        req.on('response', (res) => {
          answered = { status: res.statusCode!, body: '' };
          res.on('data', (chunk) => (answered!.body += chunk));
          res.on('end', () => resolve(answered!));
        });
        // Node 24 closes the connection on the trailing bytes while they are still being sent: the
        // writer then meets a reset, after the answer to the request itself has arrived.
        req.on('error', (error) => (req.destroyed && !answered ? undefined : answered ? resolve(answered) : reject(error)));
        req.write(query);
        req.write(' '.repeat(3 * maxBytes));
        req.end();
      });
      // The query is answered, unless Node's parser meets the trailing bytes (not a request) first
      // and answers 400 with no body; either way they were never read as this request's body.
      expect([
        { status: 200, body: '{"data":{"fearGreed":null}}' },
        { status: 400, body: '' },
      ]).toContainEqual(answer);
    });

    it('answers a chunked upload 25 times the limit with 413 while it is still being sent, and closes the connection', async () => {
      const answer = await upload(25 * maxBytes);
      expect(answer.status).toBe(413);
      expect(answer.connection).toBe('close');
      expect(answer.body.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    });
  });
});

describe('variables limit', () => {
  const maxBytes = loadConfig({}).maxVariablesBytes;
  const QUERY = 'query($input: String) { llmAnalysis(analysisType: "sentiment", input: $input) { model } }';
  // `{"input":"..."}` is 12 bytes around the string.
  const variablesOf = (bytes: number) => ({ input: 'x'.repeat(bytes - 12) });

  it(`accepts variables of exactly ${maxBytes} bytes of JSON`, async () => {
    expect(Buffer.byteLength(JSON.stringify(variablesOf(maxBytes)))).toBe(maxBytes);
    expectAccepted(await post(gateway, QUERY, variablesOf(maxBytes)));
  });

  it(`refuses variables of ${maxBytes + 1} bytes with BAD_USER_INPUT, before any command reaches Redis`, async () => {
    expectRefused(await post(gateway, QUERY, variablesOf(maxBytes + 1)), {
      status: 400,
      code: 'BAD_USER_INPUT',
      message: `variables: expected at most ${maxBytes} bytes of JSON (MAX_VARIABLES_BYTES), received ${maxBytes + 1} bytes`,
    });
  });

  it('counts bytes, not characters', async () => {
    const answer = await post(gateway, QUERY, { input: '€'.repeat(Math.ceil(maxBytes / 3)) });
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(answer.commands).toEqual({});
  });

  it('refuses variables nested too deeply to serialise with BAD_USER_INPUT, not as an unexpected error', async () => {
    const depth = 100_000;
    const answer = await send(gateway, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"query":${JSON.stringify(QUERY)},"variables":{"input":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
    });
    expectRefused(answer, {
      status: 400,
      code: 'BAD_USER_INPUT',
      message: `variables: expected at most ${maxBytes} bytes of JSON (MAX_VARIABLES_BYTES), received a value nested too deeply to serialise`,
    });
  });
});

describe('CSRF prevention', () => {
  const GET_URL = `http://gateway.test/graphql?query=${encodeURIComponent('{ fearGreed { value } }')}`;
  const MISSING = {
    status: 403,
    code: 'CSRF_HEADER_MISSING',
    message:
      'request: expected header x-graphql-yoga-csrf on a GET, or on a POST of a form, text/plain or no content-type (a JSON POST needs none), received none',
  };

  it('refuses a GET without the x-graphql-yoga-csrf header before any command reaches Redis', async () => {
    expectRefused(await send(gateway, { url: GET_URL }), MISSING);
  });

  it('serves a GET that carries the x-graphql-yoga-csrf header', async () => {
    const answer = await send(gateway, { url: GET_URL, headers: { 'x-graphql-yoga-csrf': '1' } });
    expectAccepted(answer);
    expect(answer.body.data).toEqual({ fearGreed: null });
  });

  it.each(['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain'])(
    'refuses a POST of %s without the header, as a form on another site would send it',
    async (contentType) => {
      const answer = await send(gateway, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: `query=${encodeURIComponent('{ fearGreed { value } }')}`,
      });
      expectRefused(answer, MISSING);
    },
  );

  it('serves a JSON POST with no extra header, as curl and GraphiQL send it', async () => {
    const answer = await post(gateway, '{ fearGreed { value } }', undefined, { accept: 'application/json' });
    expectAccepted(answer);
  });
});

describe('CORS', () => {
  const preflight = (target: TestGateway, origin: string) =>
    send(target, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    });
  const fromOrigin = (target: TestGateway, origin: string) =>
    send(target, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ fearGreed { value } }' }) });
  const corsHeaders = (answer: Answer) => [...answer.headers.keys()].filter((name) => name.startsWith('access-control-'));

  it('sends no CORS header at all by default, whatever the origin', async () => {
    for (const origin of ['https://app.example.com', 'null', 'http://localhost:3000']) {
      expect(corsHeaders(await fromOrigin(gateway, origin))).toEqual([]);
      expect(corsHeaders(await preflight(gateway, origin))).toEqual([]);
    }
  });

  describe('with CORS_ORIGINS', () => {
    const APP = 'https://app.example.com';
    const DESK = 'https://desk.example.com';

    it('allows each listed origin, by name, without credentials', async () => {
      const listed = testGateway(store, { CORS_ORIGINS: `${APP}, ${DESK}` });
      for (const origin of [APP, DESK]) {
        const answer = await fromOrigin(listed, origin);
        expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
        expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
        expect(answer.body.data).toEqual({ fearGreed: null });
      }
    });

    it('answers a listed origin’s preflight with the methods and headers it may use', async () => {
      const answer = await preflight(testGateway(store, { CORS_ORIGINS: APP }), APP);
      expect(answer.status).toBe(204);
      expect(answer.headers.get('access-control-allow-origin')).toBe(APP);
      expect(answer.headers.get('access-control-allow-methods')).toBe('GET, POST');
      expect(answer.headers.get('access-control-allow-headers')).toBe('content-type, authorization');
    });

    it.each([
      ['another origin', 'https://evil.example.com'],
      ['a listed origin’s subdomain', 'https://evil.app.example.com'],
      ['the listed origin over http', 'http://app.example.com'],
      ['the null origin of a sandboxed iframe', 'null'],
    ])('sends no CORS header to %s, with one origin listed or several', async (_what, origin) => {
      for (const origins of [APP, `${APP},${DESK}`]) {
        const listed = testGateway(store, { CORS_ORIGINS: origins });
        expect(corsHeaders(await fromOrigin(listed, origin))).toEqual([]);
        expect(corsHeaders(await preflight(listed, origin))).toEqual([]);
      }
    });
  });
});

describe('in production (NODE_ENV=production)', () => {
  let production: TestGateway;
  beforeAll(() => {
    production = testGateway(store, { NODE_ENV: 'production' });
  });

  it('names no field, argument or type in a validation error: no "Did you mean"', async () => {
    const typos = ['{ ticker(symbol: "BTC/USDT") { lst } }', '{ ticker(symbl: "BTC/USDT") { last } }', 'query($t: Tickr) { fearGreed { value } }'];
    for (const typo of typos) {
      const answer = await post(production, typo);
      expect(answer.body.errors?.length).toBeGreaterThan(0);
      expect(JSON.stringify(answer.body)).not.toContain('Did you mean');
      expect(answer.commands).toEqual({});
      // The same typo suggests in development: the check above is not vacuous.
      expect(JSON.stringify((await post(gateway, typo)).body)).toContain('Did you mean');
    }
  });

  it('names no input field in a variable’s error either', async () => {
    const document = 'mutation($t: TickerInput!) { putTicker(ticker: $t) { last } }';
    const answer = await post(production, document, { t: { symbol: 'BTC/USDT', lst: 1 } }, { token: WRITER_TOKEN });
    expect(answer.body.errors?.map((error) => error.extensions?.code)).toContain('BAD_USER_INPUT');
    expect(answer.body.errors?.map((error) => error.message)).toContain(
      'Variable "$t" got invalid value { symbol: "BTC/USDT", lst: 1 }; Field "lst" is not defined by type "TickerInput".',
    );
    expect(JSON.stringify(answer.body)).not.toContain('Did you mean');
    expect(answer.commands).toEqual({});
  });

  it('refuses introspection', async () => {
    for (const document of ['{ __schema { queryType { name } } }', '{ __type(name: "Ticker") { fields { name } } }']) {
      const answer = await post(production, document);
      expect(answer.status).toBe(400);
      expect(answer.body.data ?? null).toBeNull();
      expect(answer.body.errors?.[0]).toMatchObject({
        message: expect.stringContaining('GraphQL introspection has been disabled'),
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      });
    }
  });

  it('still answers __typename', async () => {
    expect((await post(production, '{ __typename }')).body).toEqual({ data: { __typename: 'Query' } });
  });

  it('allows introspection again with INTROSPECTION=true', async () => {
    const answer = await post(testGateway(store, { NODE_ENV: 'production', INTROSPECTION: 'true' }), '{ __schema { queryType { name } } }');
    expect(answer.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('serves no GraphiQL page', async () => {
    const answer = await send(production, { headers: { accept: 'text/html' } });
    expect(answer.status).not.toBe(200);
    expect(answer.headers.get('content-type') ?? '').not.toContain('text/html');
  });

  it('answers an unexpected error with a generic message, and logs the detail', async () => {
    const failing: CacheStore = {
      ...store,
      getMany: () => Promise.reject(new Error('secret detail: redis://admin:hunter2@10.0.0.7')),
      set: () => Promise.reject(new Error('secret detail: redis://admin:hunter2@10.0.0.7')),
    };
    const broken = testGateway(failing, { NODE_ENV: 'production' });
    const read = await post(broken, '{ ticker(symbol: "BTC/USDT") { last } }');
    const write = await post(broken, 'mutation { putTicker(ticker: { symbol: "BTC/USDT", last: 1 }) { last } }', undefined, { token: WRITER_TOKEN });
    for (const answer of [read, write]) {
      expect(answer.body.errors).toEqual([expect.objectContaining({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
      expect(JSON.stringify(answer.body)).not.toContain('secret');
    }
    expect(broken.logs.filter((entry) => Number(entry.level) >= 50 && JSON.stringify(entry).includes('secret detail'))).toHaveLength(2);
  });
});

describe('in development (the defaults)', () => {
  it('answers introspection', async () => {
    const answer = await post(gateway, '{ __schema { queryType { name } mutationType { name } } }');
    expect(answer.body).toEqual({ data: { __schema: { queryType: { name: 'Query' }, mutationType: { name: 'Mutation' } } } });
  });

  it('serves GraphiQL to a browser', async () => {
    const answer = await send(gateway, { headers: { accept: 'text/html' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('text/html');
    expect(answer.body).toEqual({ text: expect.stringContaining('<title>Market data cache gateway</title>') });
  });

  it('serves no GraphiQL page with GRAPHIQL=false', async () => {
    const answer = await send(testGateway(store, { GRAPHIQL: 'false' }), { headers: { accept: 'text/html' } });
    expect(answer.headers.get('content-type') ?? '').not.toContain('text/html');
  });
});
