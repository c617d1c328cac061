import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULTS } from '../src/defaults.js';
import { createLlmSource, loadLlmAnalyses, type LlmAnalyses } from '../src/sources/llm.js';
import { UpstreamError } from '../src/sources/source.js';
import { DEFAULT_ANSWER, startLlmServer, type LlmServer } from './support/llm-server.js';
import { endlessBody } from './support/upstream-server.js';
import { upstreamFailure } from './support/upstream-failure.js';

const API_KEY = 'sk-loopback-test';
const ANALYSES: LlmAnalyses = {
  sentiment: { prompt: 'Rate the sentiment of the text. Answer {"sentiment": ..., "score": ...}.', ttlSeconds: 3600 },
  summary: { prompt: 'Summarise the text as {"summary": ...}.', model: 'gpt-big' },
};

let server: LlmServer;
let source: ReturnType<typeof createLlmSource>;
let dir: string;

beforeAll(async () => {
  server = await startLlmServer({ apiKey: API_KEY });
  source = createLlmSource({ baseUrl: server.baseUrl, apiKey: API_KEY, model: 'gpt-test', analyses: ANALYSES });
  dir = mkdtempSync(join(tmpdir(), 'mdc-llm-'));
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => server.reset());

const analyze = (type = 'sentiment', input = 'BTC breaks its all-time high') => source.analyze(type, input, AbortSignal.timeout(5000));

/** The `UpstreamError` `promise` rejects with. */
const failure = (promise: Promise<unknown>) => upstreamFailure(promise, 'llm');

/** A `chat.completion` as OpenAI sends it, with `fields` replacing or adding top-level fields. */
function completion(content: unknown, fields: Record<string, unknown> = {}) {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_713_628_800,
    model: 'gpt-test',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    ...fields,
  });
}

describe('the LLM source', () => {
  it('asks in JSON mode with the system prompt, the input, the model and the bearer key, and returns the object', async () => {
    await expect(analyze()).resolves.toEqual({ result: DEFAULT_ANSWER, model: 'gpt-test' });
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(request!.headers).toMatchObject({ authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' });
    expect(JSON.parse(request!.body)).toEqual({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: ANALYSES['sentiment']!.prompt },
        { role: 'user', content: 'BTC breaks its all-time high' },
      ],
      response_format: { type: 'json_object' },
    });
  });

  it("uses the analysis type's own model", async () => {
    server.setAnswer((request) => ({ summary: `${request.messages[1]!.content}, in short` }));
    await expect(analyze('summary', 'a long text')).resolves.toEqual({ result: { summary: 'a long text, in short' }, model: 'gpt-big' });
    expect(server.chatRequests()).toMatchObject([{ model: 'gpt-big', messages: [{ content: ANALYSES['summary']!.prompt }, {}] }]);
  });

  it('returns the model the response names, or the one asked for when it names none', async () => {
    server.setModes({ answer: { body: completion('{"a":1}', { model: 'gpt-test-2024-07-18' }) } });
    await expect(analyze()).resolves.toEqual({ result: { a: 1 }, model: 'gpt-test-2024-07-18' });
    server.setModes({ answer: { body: completion('{"a":1}', { model: undefined }) } });
    await expect(analyze()).resolves.toEqual({ result: { a: 1 }, model: 'gpt-test' });
  });

  it('sends no authorization without a key, and takes a base URL ending in a slash', async () => {
    const open = await startLlmServer();
    try {
      const keyless = createLlmSource({ baseUrl: `${open.baseUrl}/`, model: 'local', analyses: ANALYSES });
      await expect(keyless.analyze('sentiment', 'x', AbortSignal.timeout(5000))).resolves.toEqual({ result: DEFAULT_ANSWER, model: 'local' });
      expect(open.requests).toMatchObject([{ path: '/v1/chat/completions' }]);
      expect(open.requests[0]!.headers.authorization).toBeUndefined();
    } finally {
      await open.stop();
    }
  });

  it('knows the configured analysis types, and their TTLs, only', () => {
    expect(source.knows('sentiment')).toBe(true);
    expect(source.knows('summary')).toBe(true);
    for (const unknown of ['translation', 'constructor', '__proto__', 'toString', '']) expect(source.knows(unknown)).toBe(false);
    expect(source.ttlSecondsOf('sentiment')).toBe(3600);
    expect(source.ttlSecondsOf('summary')).toBeUndefined();
    expect(source.ttlSecondsOf('constructor')).toBeUndefined();
  });

  it('refuses to analyse an unknown type, without asking the upstream', async () => {
    await expect(analyze('translation')).rejects.toThrow('llm: analysisType: expected a configured analysis type, received "translation"');
    expect(server.calls()).toBe(0);
  });

  it.each([
    ['content that is not JSON', completion('Sure! Here is the JSON:'), 'choices[0].message.content: expected a JSON object as a string, received "Sure! Here is the JSON:"'],
    ['content that is an array', completion('[1,2]'), 'choices[0].message.content: expected a JSON object as a string, received "[1,2]"'],
    ['content that is null JSON', completion('null'), 'choices[0].message.content: expected a JSON object as a string, received "null"'],
    ['no content', completion(null), 'choices[0].message.content: expected a JSON object as a string, received null'],
    [
      'a refusal',
      completion(null, { choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: 'I cannot help.' }, finish_reason: 'stop' }] }),
      'choices[0].message.content: expected a JSON object as a string, received null (refusal: "I cannot help.")',
    ],
    [
      'a cut-off answer',
      completion(null, { choices: [{ index: 0, message: { role: 'assistant', content: '{"a":' }, finish_reason: 'length' }] }),
      'choices[0].message.content: expected a JSON object as a string, received "{\\"a\\":" (finish_reason: "length")',
    ],
    ['no choices', completion('{}', { choices: [] }), 'choices: expected a non-empty array, received []'],
    ['choices missing', completion('{}', { choices: undefined }), 'choices: expected a non-empty array, received nothing'],
    ['a choice that is not an object', completion('{}', { choices: ['{}'] }), 'choices[0]: expected an object, received "{}"'],
    ['a choice without a message', completion('{}', { choices: [{ index: 0, text: '{}' }] }), 'choices[0].message: expected an object, received nothing'],
    ['a model that is not a string', completion('{}', { model: 42 }), 'model: expected a model name of 1-200 characters, not all white space, received 42'],
    ['a body that is not an object', '"ok"', 'body: expected a JSON object, received "ok"'],
  ])('refuses %s, naming the field', async (_case, body, message) => {
    server.setModes({ answer: { body } });
    expect((await failure(analyze())).message).toBe(`llm: ${message}`);
  });

  it('fails on a refused key', async () => {
    const wrong = createLlmSource({ baseUrl: server.baseUrl, apiKey: 'sk-wrong', model: 'gpt-test', analyses: ANALYSES });
    const error = await failure(wrong.analyze('sentiment', 'x', AbortSignal.timeout(5000)));
    expect(error.message).toBe(`llm: POST ${server.baseUrl}/chat/completions: HTTP 401`);
    expect(error.message).not.toContain('sk-wrong');
  });

  it("reports a 429's Retry-After as retryAfterMs", async () => {
    server.setModes({ status429: { retryAfterSeconds: 20 } });
    const error = await failure(analyze());
    expect(error.message).toBe(`llm: POST ${server.baseUrl}/chat/completions: HTTP 429`);
    expect(error.retryAfterMs).toBe(20_000);
  });

  it('fails on a 500, on garbage and when the server hangs up', async () => {
    server.setModes({ status500: true });
    expect((await failure(analyze())).message).toBe(`llm: POST ${server.baseUrl}/chat/completions: HTTP 500`);
    server.setModes({ garbage: true });
    expect((await failure(analyze())).message).toMatch(/^llm: body: expected (JSON|UTF-8 text), received /);
    server.setModes({ close: true });
    expect((await failure(analyze())).message).toMatch(new RegExp(`^llm: POST ${server.baseUrl}/chat/completions: `));
  });

  it('stops reading a body past 1 MiB, and hangs up', async () => {
    const stream = endlessBody();
    server.setModes({ answer: { body: stream.body } });
    expect((await failure(analyze())).message).toBe(`llm: body: expected at most ${1024 * 1024} bytes, received more`);
    await vi.waitFor(() => expect(stream.ended).toBe(true));
    expect(stream.sentBytes).toBeLessThan(32 * 1024 * 1024);
  });

  it('gives up at once when its signal aborts', async () => {
    server.setModes({ delayMs: 10_000 });
    const started = Date.now();
    const error = await failure(source.analyze('sentiment', 'x', AbortSignal.timeout(100)));
    expect(error.message).toBe(`llm: POST ${server.baseUrl}/chat/completions: timed out`);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a redirect rather than carry the key elsewhere', async () => {
    server.setModes({ answer: { status: 307, headers: { location: 'http://127.0.0.1:1/steal' } } });
    expect((await failure(analyze())).message).toMatch(new RegExp(`^llm: POST ${server.baseUrl}/chat/completions: `));
    expect(server.calls()).toBe(1);
  });
});

describe('loadLlmAnalyses', () => {
  let files = 0;
  function file(content: unknown): string {
    const path = join(dir, `analyses-${(files += 1)}.json`);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  }

  it('reads the analyses, frozen', () => {
    const analyses = loadLlmAnalyses(file(ANALYSES));
    expect(analyses).toEqual(ANALYSES);
    expect(Object.isFrozen(analyses)).toBe(true);
    expect(Object.isFrozen(analyses['sentiment'])).toBe(true);
  });

  const MAX_TTL = DEFAULTS.cache.maxTtlSeconds;
  it.each([
    ['"sentiment".prompt', { sentiment: {} }, 'a system prompt of 1-20000 characters, not all white space', 'nothing'],
    ['"sentiment".prompt', { sentiment: { prompt: ' ' } }, 'a system prompt of 1-20000 characters, not all white space', '" "'],
    ['"sentiment".prompt', { sentiment: { prompt: 'x'.repeat(20_001) } }, 'a system prompt of 1-20000 characters, not all white space', `"${'x'.repeat(76)}...`],
    ['"sentiment".model', { sentiment: { prompt: 'p', model: '' } }, 'a model name of 1-200 characters, not all white space', '""'],
    ['"sentiment".ttlSeconds', { sentiment: { prompt: 'p', ttlSeconds: 0 } }, `an integer from 1 to ${MAX_TTL}`, '0'],
    ['"sentiment".ttlSeconds', { sentiment: { prompt: 'p', ttlSeconds: 1.5 } }, `an integer from 1 to ${MAX_TTL}`, '1.5'],
    ['"sentiment".ttlSeconds', { sentiment: { prompt: 'p', ttlSeconds: MAX_TTL + 1 } }, `an integer from 1 to ${MAX_TTL}`, String(MAX_TTL + 1)],
    ['"sentiment".ttlSeconds', { sentiment: { prompt: 'p', ttlSeconds: '60' } }, `an integer from 1 to ${MAX_TTL}`, '"60"'],
    ['"sentiment".ttl_seconds', { sentiment: { prompt: 'p', ttl_seconds: 60 } }, 'no fields but prompt, model and ttlSeconds', '60'],
    ['"sentiment"', { sentiment: 'Rate it.' }, 'an object { prompt, model?, ttlSeconds? }', '"Rate it."'],
    ['"bad type"', { 'bad type': { prompt: 'p' } }, 'an analysis type of 1-64 characters of A-Z a-z 0-9 . _ -', '"bad type"'],
  ])('names the file, the entry and the field: %s', (field, content, expected, received) => {
    const path = file(content);
    expect(() => loadLlmAnalyses(path)).toThrow(new Error(`${path}: ${field}: expected ${expected}, received ${received}`));
  });

  it('names the file when it is missing, not JSON, or not an object of analyses', () => {
    const missing = join(dir, 'missing.json');
    expect(() => loadLlmAnalyses(missing)).toThrow(`${missing}: cannot be read (ENOENT)`);
    const broken = file('{"sentiment": {');
    expect(() => loadLlmAnalyses(broken)).toThrow(`${broken}: expected JSON, received text that does not parse`);
    for (const content of [[], {}, null]) {
      const path = file(content);
      expect(() => loadLlmAnalyses(path)).toThrow(`${path}: expected a JSON object mapping analysis types to { prompt, model?, ttlSeconds? }, received`);
    }
  });

  it('is what createLlmSource checks its analyses with', () => {
    expect(() => createLlmSource({ baseUrl: server.baseUrl, model: 'm', analyses: { sentiment: { prompt: '' } } })).toThrow(
      'llm: analyses: "sentiment".prompt: expected a system prompt of 1-20000 characters, not all white space, received ""',
    );
    expect(() => createLlmSource({ baseUrl: 'api.openai.com/v1', model: 'm', analyses: ANALYSES })).toThrow(
      'llm: baseUrl: expected an http(s) URL, received "api.openai.com/v1"',
    );
  });
});
