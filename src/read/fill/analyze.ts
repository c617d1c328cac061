import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { decodeLlmAnalysis, DecodeError, encode, stamp, type Stamped } from '../../cache/codec.js';
import type { KeyLayout } from '../../cache/keys.js';
import type { LlmAnalysis, Stored } from '../../cache/market-types.js';
import type { CacheStore } from '../../cache/store.js';
import { DEFAULTS } from '../../defaults.js';
import { badUserInput } from '../../errors.js';
import { UpstreamError, type LlmAnswer, type LlmSource } from '../../sources/source.js';
import type { UpstreamGuard } from '../../sources/upstream-guard.js';
import { UpstreamUnavailableError } from './upstream-unavailable.js';

/** An analysis as stored and as `llmAnalysis` reads it back. */
export type Analysis = Stored<Stamped<LlmAnalysis>>;

/** The cached analysis of `input`, or the model's, stored first. */
export type Analyze = (analysisType: string, input: string) => Promise<Analysis>;

export interface AnalyzerOptions {
  store: CacheStore;
  keys: KeyLayout;
  llm: { source: LlmSource; guard: UpstreamGuard };
  /** How long an analysis is kept when its type configures no `ttlSeconds` (TTL_LLM_ANALYSIS_SECONDS). */
  ttlSeconds: number;
  /**
   * How long a lease holds: the model call's timeout and some slack.
   * @default the guard's timeout + DEFAULTS.upstream.leaseSlackMs
   */
  leaseMs?: number;
  logger: Logger;
}

/**
 * The `analyze` mutation's work: answer the cached analysis of an input, or ask the model once,
 * store its answer (exactly as `putLlmAnalysis` would) and answer that. A model call costs money,
 * so concurrent calls for one (type, input) share one: within a process they share a promise;
 * across the processes sharing a Redis, the one that takes the key's fill lease asks the model and
 * the others wait for its fill to be announced, bounded by the lease, then read it. A waiter asks
 * for itself only once the lease has gone with nothing stored (its holder failed, died or overran).
 * The answer is stored only while the lease is still the one taken: a write or an invalidation
 * since dropped it, and wins. It is the read-through filler (filler.ts) for one key, for a
 * mutation: the caller always waits, and a failure is the mutation's error.
 */
export function createAnalyzer({ store, keys, llm, ttlSeconds, leaseMs = llm.guard.timeoutMs + DEFAULTS.upstream.leaseSlackMs, logger }: AnalyzerOptions) {
  const inFlight = new Map<string, Promise<Analysis>>();

  const analyze: Analyze = (analysisType, input) => {
    if (!llm.source.knows(analysisType)) {
      return Promise.reject(badUserInput('analysisType', 'an analysis type configured in LLM_ANALYSES', analysisType));
    }
    const inputHash = createHash('sha256').update(input, 'utf8').digest('hex');
    const key = keys.llmAnalysis(analysisType, inputHash);
    let shared = inFlight.get(key);
    if (shared === undefined) {
      shared = cachedOrAsked({ analysisType, input, inputHash, key });
      inFlight.set(key, shared);
      const forget = () => inFlight.get(key) === shared && inFlight.delete(key);
      shared.then(forget, forget);
    }
    return shared;
  };

  interface Wanted {
    analysisType: string;
    input: string;
    inputHash: string;
    key: string;
  }

  /** With `mayWait`, an analysis another process is asking for is waited for; without, it is busy. */
  async function cachedOrAsked(wanted: Wanted, mayWait = true): Promise<Analysis> {
    const cached = await readNow(wanted.key);
    if (cached !== null) return cached;
    const token = randomUUID();
    const [taken] = await store.lease([keys.lease(wanted.key)], token, leaseMs);
    // Read again under the lease: a fill that landed between the read and the lease released
    // its lease, which this one then took. Without this read, that would be a second model call.
    // (The lease then lapses by itself; until it does, an invalidation or a write drops it.)
    if (taken) return (await readNow(wanted.key)) ?? ask(wanted, token);
    if (!mayWait) throw new UpstreamUnavailableError('llm: another process is asking the model, or failed to');
    // Listening before reading: a fill announced between the two is heard, not waited out.
    const filled = store.awaitFill(wanted.key, leaseMs).catch(() => {});
    const now = await readNow(wanted.key);
    if (now !== null) return now;
    await filled;
    // Still nothing: the holder failed, died or overran. Whoever takes the lease now asks.
    return (await readNow(wanted.key)) ?? cachedOrAsked(wanted, false);
  }

  async function ask({ analysisType, input, inputHash, key }: Wanted, token: string): Promise<Analysis> {
    const startedMs = performance.now();
    let answer: LlmAnswer;
    try {
      answer = await llm.guard.run((signal) => llm.source.analyze(analysisType, input, signal));
    } catch (error) {
      // The lease is kept until it expires: the other processes do not all ask a failing model
      // at once, and meanwhile fail fast.
      throw unavailable(error);
    }
    const ttlMs = (llm.source.ttlSecondsOf(analysisType) ?? ttlSeconds) * 1000;
    const value = encode(stamp({ analysisType, inputHash, result: answer.result, model: answer.model }, Date.now(), ttlMs));
    let analysis: Analysis;
    try {
      // The check a read applies: nothing is stored that `llmAnalysis` would discard.
      analysis = decodeLlmAnalysis(value);
    } catch (error) {
      if (error instanceof DecodeError) throw unavailable(new UpstreamError('llm', `malformed analysis: ${error.message}`));
      throw error;
    }
    // The input is never logged, as it is never stored: its hash says which one it was.
    logger.info({ analysisType, inputHash, model: answer.model, ms: Math.round(performance.now() - startedMs) }, 'analysis asked of the model');
    const [stored] = await store.fill([{ key, leaseKey: keys.lease(key), value, ttlMs }], token);
    if (stored) return analysis;
    // A write or an invalidation came in meanwhile, and wins: answer what a write left, and
    // after an invalidation nothing the model said before it.
    const written = await readNow(key);
    if (written !== null) return written;
    throw new UpstreamUnavailableError('llm: the analysis was invalidated while the model answered, and nothing was stored: ask again');
  }

  /** The analysis stored under `key`, or `null`; one that does not decode is a miss, which a fill replaces. */
  async function readNow(key: string): Promise<Analysis | null> {
    const [raw] = await store.getMany([key]);
    if (raw == null) return null;
    try {
      return decodeLlmAnalysis(raw);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      logger.warn({ key, reason: error.message }, 'undecodable analysis treated as a miss');
      return null;
    }
  }

  function unavailable(error: unknown): Error {
    if (!(error instanceof UpstreamError)) return error instanceof Error ? error : new Error(String(error));
    logger.debug({ source: error.source, reason: error.message }, 'analysis failed');
    return new UpstreamUnavailableError(error);
  }

  return { analyze };
}
