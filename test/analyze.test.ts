import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedisStore } from '../src/cache/redis-store.js';
import type { CacheStore } from '../src/cache/store.js';
import { DEFAULTS } from '../src/defaults.js';
import { startChildGateway, type ChildGateway } from './support/attack-child.js';
import { ADMIN_TOKEN, testGateway, WRITER_TOKEN, type GraphQLResponse, type TestGateway } from './support/gateway.js';
import { useRedis } from './support/harness.js';
import { DEFAULT_ANSWER, startLlmServer, type LlmServer } from './support/llm-server.js';
import { sleep } from './support/load.js';
import { commandsDuring } from './support/redis-server.js';
import { interruptible } from './support/stores.js';

/**
 * The `analyze` mutation, as a writer sees it: the cached analysis of an input, or the model's,
 * asked once however many ask at the same time and however many gateway processes share the
 * Redis, stored exactly as `putLlmAnalysis` stores it (the input never, only its SHA-256), for the
 * type's TTL. A failing model fails the mutation with `UPSTREAM_UNAVAILABLE` and stores nothing;
 * an invalidation during the model call wins. The model is a real OpenAI-compatible HTTP server on
 * loopback.
 */

const API_KEY = 'sk-loopback-analyze-0123456789';
const ANALYSES = {
  sentiment: { prompt: 'Rate the sentiment of the text. Answer {"sentiment": ..., "score": ...}.', ttlSeconds: 600 },
  summary: { prompt: 'Summarise the text as {"summary": ...}.', model: 'gpt-big' },
};
/** TTL_LLM_ANALYSIS_SECONDS for these gateways: not the default, so that a test can tell it was used. */
const DEFAULT_TTL_SECONDS = 1234;
const INPUT = 'BTC breaks its all-time high as funding turns negative';
const HASH = createHash('sha256').update(INPUT, 'utf8').digest('hex');
const ANALYZE = `mutation($type: String!, $input: String!) {
  analyze(analysisType: $type, input: $input) { analysisType inputHash result model cachedAt expiresAt stale }
}`;

const redis = useRedis();
let llm: LlmServer;
let dir: string;
let analysesPath: string;
let store: CacheStore;
let gateway: TestGateway;
// Each test's gateway has a namespace of its own: what an earlier test's gateway still does in
// the background (a waiter's retry) cannot touch this test's keys.
let namespace = 0;
let KEY: string;

function llmEnv() {
  return { LLM_BASE_URL: llm.baseUrl, LLM_API_KEY: API_KEY, LLM_MODEL: 'gpt-test', LLM_ANALYSES: analysesPath, TTL_LLM_ANALYSIS_SECONDS: String(DEFAULT_TTL_SECONDS) };
}

/** `token` '' sends no Authorization header. */
const analyze = (input = INPUT, type = 'sentiment', token = WRITER_TOKEN, target = gateway): Promise<GraphQLResponse> =>
  target.gql(ANALYZE, { type, input }, token);

beforeAll(async () => {
  llm = await startLlmServer({ apiKey: API_KEY });
  dir = mkdtempSync(join(tmpdir(), 'mdc-analyze-'));
  analysesPath = join(dir, 'analyses.json');
  writeFileSync(analysesPath, JSON.stringify(ANALYSES));
});
afterAll(async () => {
  await llm?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  llm.reset();
  namespace += 1;
  store = createRedisStore({ redis: redis.redis, subscriber: redis.server.client(), changeChannel: `a${namespace}:v1:changes`, readTimeoutMs: 5000, writeTimeoutMs: 5000 });
  KEY = `a${namespace}:v1:llm:{sentiment}:${HASH}`;
  gateway = testGateway(store, { ...llmEnv(), UPSTREAM_TIMEOUT_MS: '2000', CACHE_NAMESPACE: `a${namespace}` });
});

describe('analyze', () => {
  it('refuses an anonymous caller with UNAUTHENTICATED, without a model call or a Redis command', async () => {
    let response!: GraphQLResponse;
    const commands = await commandsDuring(redis.probe, async () => {
      response = await analyze(INPUT, 'sentiment', '');
    });
    expect(response.data).toBeNull();
    expect(response.errors).toEqual([expect.objectContaining({ path: ['analyze'], extensions: { code: 'UNAUTHENTICATED' } })]);
    expect(commands).toEqual({});
    expect(llm.requests).toHaveLength(0);
  });

  it('runs with the admin token too, and is refused by a gateway with no token configured', async () => {
    expect((await analyze(INPUT, 'sentiment', ADMIN_TOKEN)).data.analyze).toMatchObject({ inputHash: HASH });
    const unguarded = testGateway(store, { ...llmEnv(), WRITER_TOKEN: undefined, ADMIN_TOKEN: undefined, CACHE_NAMESPACE: `a${namespace}` });
    const refused = await analyze('another input', 'sentiment', WRITER_TOKEN, unguarded);
    expect(refused.errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);
    expect(refused.errors![0]!.message).toMatch(/^Mutation\.analyze: disabled because no token is configured/);
    expect(llm.calls()).toBe(1);
  });

  it('asks the model once with the system prompt, the input and JSON mode, stores the analysis and returns it', async () => {
    const response = await analyze();
    expect(response.errors).toBeUndefined();
    const analysis = response.data.analyze;
    expect(analysis).toMatchObject({ analysisType: 'sentiment', inputHash: HASH, result: DEFAULT_ANSWER, model: 'gpt-test', stale: false });
    expect(Date.parse(analysis.expiresAt) - Date.parse(analysis.cachedAt)).toBe(600_000);

    expect(llm.chatRequests()).toEqual([
      {
        model: 'gpt-test',
        messages: [
          { role: 'system', content: ANALYSES.sentiment.prompt },
          { role: 'user', content: INPUT },
        ],
        response_format: { type: 'json_object' },
      },
    ]);
    expect(llm.requests[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);

    // Stored as served, the input never: only its hash. The lease is gone with the fill.
    const stored = (await redis.probe.get(KEY))!;
    expect(JSON.parse(stored)).toEqual({ analysisType: 'sentiment', inputHash: HASH, result: DEFAULT_ANSWER, model: 'gpt-test', cachedAt: analysis.cachedAt, expiresAt: analysis.expiresAt });
    expect(stored).not.toContain('all-time high');
    expect(await redis.probe.keys(`a${namespace}:*`)).toEqual([KEY]);
  });

  it('answers the next call from the cache without a model call, and llmAnalysis reads the same analysis', async () => {
    const first = await analyze();
    const second = await analyze();
    expect(second).toEqual(first);
    expect(llm.calls()).toBe(1);

    const read = await gateway.gql(`query($input: String!) { llmAnalysis(analysisType: "sentiment", input: $input) { analysisType inputHash result model cachedAt expiresAt stale } }`, { input: INPUT });
    expect(read.errors).toBeUndefined();
    expect(read.data.llmAnalysis).toEqual(first.data.analyze);
  });

  it('stores what putLlmAnalysis stores: the same fields in the same order', async () => {
    await analyze();
    const put = await gateway.gql(
      'mutation($result: JSONObject!) { putLlmAnalysis(analysisType: "sentiment", input: "another text", result: $result, model: "gpt-test", ttlSeconds: 600) { inputHash } }',
      { result: DEFAULT_ANSWER },
      WRITER_TOKEN,
    );
    expect(put.errors).toBeUndefined();
    const written = JSON.parse((await redis.probe.get(`a${namespace}:v1:llm:{sentiment}:${put.data.putLlmAnalysis.inputHash}`))!);
    const asked = JSON.parse((await redis.probe.get(KEY))!);
    expect(Object.keys(asked)).toEqual(Object.keys(written));
    expect({ ...asked, inputHash: '', cachedAt: '', expiresAt: '' }).toEqual({ ...written, inputHash: '', cachedAt: '', expiresAt: '' });
  });

  it.each([
    ['an analysisType not in LLM_ANALYSES', 'translation', INPUT, 'analysisType: expected an analysis type configured in LLM_ANALYSES, received "translation"'],
    ['an analysisType that is not a name', 'sentiment!', INPUT, 'analysisType: expected 1-64 characters of A-Z a-z 0-9 . _ -, received "sentiment!"'],
    ['an empty input', 'sentiment', '', 'input: expected 1-100000 characters, not all white space, received ""'],
    ['an input of white space', 'sentiment', ' \n\t', 'input: expected 1-100000 characters, not all white space, received " \\n\\t"'],
    ['an input over 100,000 characters', 'sentiment', 'x'.repeat(100_001), 'input: expected at most 100000 characters, received "100001 characters"'],
  ])('refuses %s with BAD_USER_INPUT, without a model call', async (_case, type, input, message) => {
    const response = await analyze(input, type);
    expect(response.data).toBeNull();
    expect(response.errors).toEqual([{ message, path: ['analyze'], locations: expect.any(Array), extensions: { code: 'BAD_USER_INPUT' } }]);
    expect(llm.requests).toHaveLength(0);
    expect(await redis.probe.keys(`a${namespace}:*`)).toEqual([]);
  });

  it('accepts an input of exactly 100,000 characters', async () => {
    expect(DEFAULTS.fields.maxAnalysisInputLength).toBe(100_000);
    const response = await analyze('x'.repeat(100_000));
    expect(response.errors).toBeUndefined();
    expect(llm.chatRequests()[0]!.messages[1]!.content).toHaveLength(100_000);
  });

  it('is refused with BAD_USER_INPUT naming LLM_BASE_URL by a gateway without an LLM', async () => {
    const plain = testGateway(store, { CACHE_NAMESPACE: `a${namespace}` });
    const response = await analyze(INPUT, 'sentiment', WRITER_TOKEN, plain);
    expect(response.errors).toEqual([expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } })]);
    expect(response.errors![0]!.message).toBe('analysisType: expected an analysis type configured in LLM_ANALYSES (none is: LLM_BASE_URL is not set), received "sentiment"');
    expect(llm.requests).toHaveLength(0);
  });

  it('costs one model call for 50 concurrent calls of one input', async () => {
    llm.setModes({ delayMs: 300 });
    let answers: GraphQLResponse[] = [];
    const commands = await commandsDuring(redis.probe, async () => {
      answers = await Promise.all(Array.from({ length: 50 }, () => analyze()));
    });
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    expect(new Set(answers.map((answer) => JSON.stringify(answer.data)))).toHaveProperty('size', 1);
    expect(llm.calls()).toBe(1);
    // And a read, a lease, a read under it and a fill in Redis (about 8 commands, the fill's
    // script counted with what it runs), not one of each per call: the calls share one promise.
    expect(Object.values(commands).reduce((sum, calls) => sum + calls, 0)).toBeLessThanOrEqual(10);
  });

  it('keeps an analysis for its type’s ttlSeconds, else for TTL_LLM_ANALYSIS_SECONDS', async () => {
    await analyze();
    const pttl = await redis.probe.pttl(KEY);
    expect(pttl).toBeGreaterThan(600_000 - 10_000);
    expect(pttl).toBeLessThanOrEqual(600_000);

    const summary = await analyze(INPUT, 'summary');
    expect(summary.data.analyze).toMatchObject({ analysisType: 'summary', model: 'gpt-big' });
    const { cachedAt, expiresAt } = summary.data.analyze;
    expect(Date.parse(expiresAt) - Date.parse(cachedAt)).toBe(DEFAULT_TTL_SECONDS * 1000);
    const summaryPttl = await redis.probe.pttl(`a${namespace}:v1:llm:{summary}:${HASH}`);
    expect(summaryPttl).toBeGreaterThan((DEFAULT_TTL_SECONDS - 10) * 1000);
    expect(summaryPttl).toBeLessThanOrEqual(DEFAULT_TTL_SECONDS * 1000);
  });
});

describe('analyze with a failing model', () => {
  it.each([
    ['answers 500', () => llm.setModes({ status500: true })],
    ['answers 429 with Retry-After', () => llm.setModes({ status429: { retryAfterSeconds: 30 } })],
    ['answers garbage', () => llm.setModes({ garbage: true })],
    ['answers content that is not a JSON object', () => llm.setAnswer('I think it is bullish.')],
    ['hangs up', () => llm.setModes({ close: true })],
  ])('that %s fails with UPSTREAM_UNAVAILABLE and stores nothing', async (_case, fail) => {
    fail();
    const response = await analyze();
    expect(response.data).toBeNull();
    expect(response.errors).toEqual([expect.objectContaining({ path: ['analyze'], extensions: { code: 'UPSTREAM_UNAVAILABLE' } })]);
    expect(response.errors![0]!.message).toMatch(/^upstream unavailable: llm: /);
    expect(JSON.stringify(response)).not.toContain(API_KEY);
    expect(await redis.probe.exists(KEY)).toBe(0);
    expect(llm.calls()).toBe(1);
  });

  it('that times out fails with UPSTREAM_UNAVAILABLE within UPSTREAM_TIMEOUT_MS', async () => {
    const quick = testGateway(store, { ...llmEnv(), UPSTREAM_TIMEOUT_MS: '200', CACHE_NAMESPACE: `a${namespace}` });
    llm.setModes({ delayMs: 1000 });
    const started = performance.now();
    const response = await analyze(INPUT, 'sentiment', WRITER_TOKEN, quick);
    expect(performance.now() - started).toBeLessThan(900);
    expect(response.errors![0]).toMatchObject({ message: 'upstream unavailable: llm: no answer within 200 ms', extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(await redis.probe.exists(KEY)).toBe(0);
  });
});

describe('analyze without Redis', () => {
  it('fails with CACHE_UNAVAILABLE before asking the model: it could neither share nor keep the answer', async () => {
    const down = interruptible(store);
    const target = testGateway(down, { ...llmEnv(), CACHE_NAMESPACE: `a${namespace}` });
    down.takeDown();
    const response = await analyze(INPUT, 'sentiment', WRITER_TOKEN, target);
    expect(response.data).toBeNull();
    expect(response.errors).toEqual([expect.objectContaining({ path: ['analyze'], extensions: { code: 'CACHE_UNAVAILABLE' } })]);
    expect(llm.requests).toHaveLength(0);
  });
});

describe('analyze during an invalidation or a write', () => {
  it('loses to an invalidation during the model call: nothing is stored, and the next call asks again', async () => {
    llm.setModes({ delayMs: 600 });
    const asked = analyze();
    await sleep(200);
    const invalidated = await gateway.gql('mutation { invalidateLlmAnalysis(analysisType: "sentiment") { deleted } }', undefined, ADMIN_TOKEN);
    expect(invalidated.errors).toBeUndefined();
    const response = await asked;
    expect(response.data).toBeNull();
    expect(response.errors![0]).toMatchObject({ extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
    expect(response.errors![0]!.message).toMatch(/invalidated while the model answered/);
    await sleep(100);
    expect(await redis.probe.exists(KEY)).toBe(0);

    llm.setModes({});
    expect((await analyze()).data.analyze).toMatchObject({ result: DEFAULT_ANSWER });
    expect(llm.calls()).toBe(2);
    expect(await redis.probe.exists(KEY)).toBe(1);
  });

  it('loses to a putLlmAnalysis during the model call: what was written stays and is answered', async () => {
    llm.setModes({ delayMs: 600 });
    const asked = analyze();
    await sleep(200);
    const written = await gateway.gql(`mutation { putLlmAnalysis(analysisType: "sentiment", inputHash: "${HASH}", result: { sentiment: "written" }) { inputHash } }`, undefined, WRITER_TOKEN);
    expect(written.errors).toBeUndefined();
    expect((await asked).data.analyze).toMatchObject({ result: { sentiment: 'written' }, model: null });
    expect(JSON.parse((await redis.probe.get(KEY))!)).toMatchObject({ result: { sentiment: 'written' } });
  });
});

describe('two gateway processes on one Redis', () => {
  let gateways: ChildGateway[] = [];
  beforeAll(async () => {
    const env = { ...llmEnv(), REDIS_URL: redis.server.url, WRITER_TOKEN, UPSTREAM_TIMEOUT_MS: '2000', CACHE_NAMESPACE: 'two' };
    gateways = await Promise.all([startChildGateway(env, { heapMiB: 256 }), startChildGateway(env, { heapMiB: 256 })]);
  }, 60_000);
  afterAll(() => gateways.forEach((child) => child.stop()));

  it('make one model call in all for 100 concurrent calls of one input', async () => {
    llm.setModes({ delayMs: 300 });
    const ask = (url: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITER_TOKEN}` },
        body: JSON.stringify({ query: ANALYZE, variables: { type: 'sentiment', input: INPUT } }),
      }).then((response) => response.json() as Promise<GraphQLResponse>);
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => ask(gateways[i % 2]!.url)));
    console.info(`[analyze] 100 concurrent calls on two processes, model answering in 300 ms: ${(performance.now() - started).toFixed(0)} ms`);
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    expect(new Set(answers.map((answer) => JSON.stringify(answer.data)))).toHaveProperty('size', 1);
    expect(answers[0]!.data.analyze).toMatchObject({ inputHash: HASH, result: DEFAULT_ANSWER });
    expect(llm.calls()).toBe(1);
    expect(await redis.probe.exists(`two:v1:llm:{sentiment}:${HASH}`)).toBe(1);
  }, 30_000);
});
