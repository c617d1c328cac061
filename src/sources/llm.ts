import { readFileSync } from 'node:fs';
import { DEFAULTS } from '../defaults.js';
import { UpstreamError, type LlmAnswer, type LlmSource } from './source.js';
import { describe, httpUrl, isRecord, requestJson } from './http.js';

/**
 * An OpenAI-compatible chat completions API in JSON mode: `POST <baseUrl>/chat/completions` with
 * the analysis type's system prompt and the input as the user's message; the answer is
 * `choices[0].message.content`, a JSON object as a string. Plain `fetch`: one POST needs no SDK
 * (and openai 7 needs Node 22).
 */

const SOURCE = 'llm';
/** A completion is a few KiB; a body past this is not one the gateway would cache anyway. */
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_PROMPT_LENGTH = 20_000;
/** As a producer may write it (`putLlmAnalysis`'s `model`). */
const MAX_MODEL_LENGTH = 200;
const MAX_TTL_SECONDS = DEFAULTS.cache.maxTtlSeconds;
const NAME_PATTERN = DEFAULTS.namePattern;
const MODEL_EXPECTED = `a model name of 1-${MAX_MODEL_LENGTH} characters, not all white space`;
const ANALYSIS_FIELDS = ['prompt', 'model', 'ttlSeconds'];

/** One entry of the `LLM_ANALYSES` file. */
export interface LlmAnalysisConfig {
  /** The system prompt: 1-20,000 characters. */
  readonly prompt: string;
  /** Replaces the source's model for this analysis type. */
  readonly model?: string;
  /** How long this type's results are cached, in seconds (1 to `DEFAULTS.cache.maxTtlSeconds`). */
  readonly ttlSeconds?: number;
}

/** The `LLM_ANALYSES` file: analysis type (`DEFAULTS.namePattern`) to its configuration. */
export type LlmAnalyses = Readonly<Record<string, LlmAnalysisConfig>>;

export interface LlmSourceOptions {
  /** E.g. `https://api.openai.com/v1`; `/chat/completions` is appended (after any trailing `/`). */
  baseUrl: string;
  /** Sent as `authorization: Bearer <apiKey>`; no header when unset or empty. */
  apiKey?: string | undefined;
  /** The model of every analysis type that names none. */
  model: string;
  analyses: LlmAnalyses;
}

/**
 * Reads and checks the `LLM_ANALYSES` file. Throws an `Error` whose message names the file, the
 * entry and the field (`analyses.json: "sentiment".ttlSeconds: expected ..., received ...`).
 */
export function loadLlmAnalyses(path: string): LlmAnalyses {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: expected JSON, received text that does not parse (${(error as Error).message})`);
  }
  return checkedAnalyses(parsed, path);
}

export function createLlmSource({ baseUrl, apiKey, model, analyses }: LlmSourceOptions): LlmSource {
  const url = `${httpUrl(SOURCE, 'baseUrl', baseUrl).href.replace(/\/+$/, '')}/chat/completions`;
  if (!isModel(model)) throw new TypeError(`${SOURCE}: model: expected ${MODEL_EXPECTED}, received ${describe(model)}`);
  // A Map, not the object: `knows('constructor')` must be false.
  const byType = new Map(Object.entries(checkedAnalyses(analyses, `${SOURCE}: analyses`)));
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (apiKey) headers['authorization'] = `Bearer ${apiKey}`;

  return {
    knows: (analysisType) => byType.has(analysisType),
    ttlSecondsOf: (analysisType) => byType.get(analysisType)?.ttlSeconds,

    async analyze(analysisType, input, signal) {
      const analysis = byType.get(analysisType);
      // The caller asks `knows` first: this is a bug, not an upstream failure.
      if (!analysis) throw new Error(`${SOURCE}: analysisType: expected a configured analysis type, received ${describe(analysisType)}`);
      const requested = analysis.model ?? model;
      const body = JSON.stringify({
        model: requested,
        messages: [
          { role: 'system', content: analysis.prompt },
          { role: 'user', content: input },
        ],
        response_format: { type: 'json_object' },
      });
      // No redirects: one would carry the API key to wherever it points.
      const answer = await requestJson(SOURCE, url, { method: 'POST', headers, body, signal, redirect: 'error' }, MAX_BODY_BYTES);
      return answerOf(answer, requested);
    },
  };
}

function answerOf(body: unknown, requested: string): LlmAnswer {
  if (!isRecord(body)) throw malformed('body', 'a JSON object', body);
  const { choices } = body;
  if (!Array.isArray(choices) || choices.length === 0) throw malformed('choices', 'a non-empty array', choices);
  const choice: unknown = choices[0];
  if (!isRecord(choice)) throw malformed('choices[0]', 'an object', choice);
  const { message } = choice;
  if (!isRecord(message)) throw malformed('choices[0].message', 'an object', message);
  const { content } = message;
  let result: unknown;
  try {
    result = typeof content === 'string' ? JSON.parse(content) : undefined;
  } catch {
    // reported below
  }
  if (!isRecord(result)) {
    // A refusal comes with a null content, a cut-off answer with finish_reason "length": say so.
    const why =
      typeof message['refusal'] === 'string'
        ? ` (refusal: ${describe(message['refusal'])})`
        : choice['finish_reason'] != null && choice['finish_reason'] !== 'stop'
          ? ` (finish_reason: ${describe(choice['finish_reason'])})`
          : '';
    throw malformed('choices[0].message.content', 'a JSON object as a string', content, why);
  }
  const answered = body['model'];
  if (answered == null) return { result, model: requested };
  if (!isModel(answered)) throw malformed('model', MODEL_EXPECTED, answered);
  return { result, model: answered };
}

/**
 * A frozen copy of `value` holding only checked entries, or an `Error` naming `where` (the file),
 * the entry and the field. Fields other than the three are refused: a misspelt `ttl_seconds`
 * silently ignored would cache for the default TTL.
 */
function checkedAnalyses(value: unknown, where: string): LlmAnalyses {
  const fail = (field: string, expected: string, received: unknown) =>
    new Error(`${where}: ${field}: expected ${expected}, received ${describe(received)}`);
  if (!isRecord(value) || Object.keys(value).length === 0) {
    throw new Error(`${where}: expected a JSON object mapping analysis types to { prompt, model?, ttlSeconds? }, received ${describe(value)}`);
  }
  const checked: Record<string, LlmAnalysisConfig> = Object.create(null);
  for (const [type, entry] of Object.entries(value)) {
    const at = JSON.stringify(type);
    if (!NAME_PATTERN.test(type)) throw fail(at, 'an analysis type of 1-64 characters of A-Z a-z 0-9 . _ -', type);
    if (!isRecord(entry)) throw fail(at, 'an object { prompt, model?, ttlSeconds? }', entry);
    const extra = Object.keys(entry).find((field) => !ANALYSIS_FIELDS.includes(field));
    if (extra !== undefined) throw fail(`${at}.${extra}`, 'no fields but prompt, model and ttlSeconds', entry[extra]);
    const { prompt, model, ttlSeconds } = entry;
    if (typeof prompt !== 'string' || prompt.trim() === '' || prompt.length > MAX_PROMPT_LENGTH) {
      throw fail(`${at}.prompt`, `a system prompt of 1-${MAX_PROMPT_LENGTH} characters, not all white space`, prompt);
    }
    if (model !== undefined && !isModel(model)) throw fail(`${at}.model`, MODEL_EXPECTED, model);
    if (ttlSeconds !== undefined && !(Number.isInteger(ttlSeconds) && (ttlSeconds as number) >= 1 && (ttlSeconds as number) <= MAX_TTL_SECONDS)) {
      throw fail(`${at}.ttlSeconds`, `an integer from 1 to ${MAX_TTL_SECONDS}`, ttlSeconds);
    }
    checked[type] = Object.freeze({
      prompt,
      ...(model !== undefined && { model: model as string }),
      ...(ttlSeconds !== undefined && { ttlSeconds: ttlSeconds as number }),
    });
  }
  return Object.freeze(checked);
}

function isModel(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '' && value.length <= MAX_MODEL_LENGTH;
}

function malformed(field: string, expected: string, received: unknown, why = '') {
  return new UpstreamError(SOURCE, `${field}: expected ${expected}, received ${describe(received)}${why}`);
}
