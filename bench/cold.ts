import type { Redis } from 'ioredis';
import { createBurster, type Answer } from './burst.js';
import { percentile } from './load.js';
import { FEAR_GREED_FIELDS } from './workloads.js';

/**
 * The cold workload: a key that has just expired, then `concurrency` requests for it at once.
 * One key (Fear & Greed), so upstream calls per round are upstream calls per expired key.
 */

export const COLD_BODY = JSON.stringify({ operationName: 'FearGreed', query: `query FearGreed { fearGreed { ${FEAR_GREED_FIELDS} } }` });

export interface ColdPeer {
  name: string;
  url: string;
  /** The Redis key the peer keeps the value under. */
  key: string;
  /**
   * What "just expired" is for this peer: `gone`, the key has left Redis (a true miss); `stale`,
   * the key is still in Redis (within its grace) and its `expiresAt` has just passed.
   */
  expired: 'gone' | 'stale';
}

export interface ColdOptions {
  rounds: number;
  concurrency: number;
  /** Where the runner watches the key (never through the peer). */
  redis: Redis;
  /** The upstream's calls so far. */
  upstreamCalls: () => Promise<number>;
  /** The reading's `value` every answer must carry. */
  expectedValue: number;
}

export interface Latencies {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Requests timed. */
  requests: number;
}

export interface ColdRow {
  peer: string;
  expired: ColdPeer['expired'];
  rounds: number;
  concurrency: number;
  /** Upstream calls that each round's expired key cost, fills and refreshes alike. */
  callsPerRound: number[];
  callsPerKey: { mean: number; max: number };
  /** Every request of every timed burst at the key just expired. */
  cold: Latencies;
  /**
   * The same burst at the same key while fresh, right after each cold one: what that many
   * requests at once cost this peer on this machine, expiry aside. The difference is the
   * expiry's cost.
   */
  warm: Latencies;
  /** Warm bursts not timed: too little freshness left to start one, or the key expired during it. */
  warmUntimed: number;
  /** Cold answers served with `stale: true` (the previous value, within its grace). */
  staleAnswers: number;
  /** Answers of either burst that were not a good fearGreed. */
  failed: number;
  firstFailure?: string;
  /** Rounds after which the key was not fresh again within `FRESH_WITHIN_MS`. */
  unrefreshedRounds: number;
}

const FRESH_WITHIN_MS = 5_000;
const EXPIRE_WITHIN_MS = 10_000;
/** A warm burst starts only with this much freshness left (it takes 50-300 ms here). */
const WARM_MARGIN_MS = 500;

/** Upstream call counts taken during one round. */
interface Marks {
  cold: number;
  /** Around the warm burst, when there was one. */
  warm?: { from: number; to: number };
}

/**
 * Primes the key, plays one untimed round (it opens the burst's connections and warms the fill
 * path), then `rounds` timed ones: wait until the key has just expired, send the cold burst, wait
 * until the key is fresh again, send the warm burst. A round's upstream calls are those from the
 * start of its cold burst to the start of the next round's, less those during its warm burst: so
 * a refresh that lands after its burst's answers still counts for its round.
 */
export async function measureCold(peer: ColdPeer, { rounds, concurrency, redis, upstreamCalls, expectedValue }: ColdOptions): Promise<ColdRow> {
  const burster = createBurster(peer.url, COLD_BODY);
  const latencies = { cold: [] as number[], warm: [] as number[] };
  let [stale, failed, unrefreshed, warmUntimed] = [0, 0, 0, 0];
  let firstFailure: string | undefined;
  /** The answers' verdicts, failures counted. */
  const judged = (answers: readonly Answer[]) =>
    answers.map((answer) => {
      const verdict = judge(answer, expectedValue);
      if (verdict !== 'fresh' && verdict !== 'stale') {
        failed += 1;
        firstFailure ??= verdict;
      }
      return verdict;
    });

  try {
    const primed = judge((await burster.fire(1))[0]!, expectedValue);
    if (primed !== 'fresh') throw new Error(`${peer.name} answered its first request with ${primed}: expected a fresh fearGreed with value ${expectedValue}`);
    // Untimed: opens the connections, warms the fill path.
    await untilExpired(redis, peer.key, peer.expired);
    await burster.fire(concurrency);
    await freshUntil(redis, peer.key);
    await burster.fire(concurrency);

    const marks: Marks[] = [];
    for (let round = 0; round < rounds; round += 1) {
      await untilExpired(redis, peer.key, peer.expired);
      const mark: Marks = { cold: await upstreamCalls() };
      marks.push(mark);
      const answers = await burster.fire(concurrency);
      stale += judged(answers).filter((verdict) => verdict === 'stale').length;
      latencies.cold.push(...answers.map((answer) => answer.ms));

      const expiresAt = await freshUntil(redis, peer.key);
      if (expiresAt === undefined) unrefreshed += 1;
      if (expiresAt === undefined || expiresAt - Date.now() < WARM_MARGIN_MS) {
        warmUntimed += 1;
        continue;
      }
      const from = await upstreamCalls();
      const warm = await burster.fire(concurrency);
      const allFresh = judged(warm).every((verdict) => verdict === 'fresh');
      if (allFresh && (await upstreamCalls()) === from) latencies.warm.push(...warm.map((answer) => answer.ms));
      else {
        // The key expired during the burst: its refill is not this round's, nor a warm figure.
        warmUntimed += 1;
        await freshUntil(redis, peer.key);
      }
      mark.warm = { from, to: await upstreamCalls() };
    }
    await freshUntil(redis, peer.key);
    const end = await upstreamCalls();

    const callsPerRound = marks.map(({ cold, warm }, i) => (marks[i + 1]?.cold ?? end) - cold - (warm ? warm.to - warm.from : 0));
    return {
      peer: peer.name,
      expired: peer.expired,
      rounds,
      concurrency,
      callsPerRound,
      callsPerKey: { mean: callsPerRound.reduce((sum, n) => sum + n, 0) / rounds, max: Math.max(...callsPerRound) },
      cold: summary(latencies.cold),
      warm: summary(latencies.warm),
      warmUntimed,
      staleAnswers: stale,
      failed,
      ...(firstFailure !== undefined && { firstFailure }),
      unrefreshedRounds: unrefreshed,
    };
  } finally {
    burster.close();
  }
}

function summary(latencies: number[]): Latencies {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), maxMs: sorted.at(-1) ?? Number.NaN, requests: sorted.length };
}

/** `fresh` or `stale` for a good answer; otherwise what was wrong with it. */
function judge(answer: Answer, expectedValue: number): string {
  if ('error' in answer) return `no answer: ${answer.error}`;
  const excerpt = answer.body.slice(0, 200);
  if (answer.status !== 200) return `HTTP ${answer.status}: ${excerpt}`;
  let fearGreed: { value?: unknown; stale?: unknown } | undefined;
  try {
    const parsed = JSON.parse(answer.body);
    if (parsed.errors !== undefined) return `errors: ${excerpt}`;
    fearGreed = parsed.data?.fearGreed;
  } catch {
    return `not JSON: ${excerpt}`;
  }
  if (fearGreed?.value !== expectedValue) return `expected fearGreed.value ${expectedValue}: ${excerpt}`;
  return fearGreed.stale === true ? 'stale' : 'fresh';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const expiresAtOf = (raw: string) => Date.parse(JSON.parse(raw).expiresAt);

/** Resolves once `key` is in the state `expired` names, as soon after it as a few ms of polling allows. */
async function untilExpired(redis: Redis, key: string, expired: ColdPeer['expired']): Promise<void> {
  const deadline = Date.now() + EXPIRE_WITHIN_MS;
  for (;;) {
    const raw = await redis.get(key);
    const now = Date.now();
    if (raw === null) {
      if (expired === 'gone') return;
      throw new Error(`${key} has left Redis: expected it kept past its expiresAt, within its grace`);
    }
    const expiresAt = expiresAtOf(raw);
    if (expired === 'stale' && expiresAt < now) return;
    if (now > deadline) throw new Error(`${key} did not expire within ${EXPIRE_WITHIN_MS} ms (expiresAt ${new Date(expiresAt).toISOString()})`);
    // Redis drops a key at its own expiry, a few ms after the `expiresAt` stamped just before it was set.
    await sleep(Math.max(2, Math.min(50, expiresAt - now + 1)));
  }
}

/** The `expiresAt` (ms) of `key` once it holds a value not yet expired; undefined if it does not within `FRESH_WITHIN_MS`. */
async function freshUntil(redis: Redis, key: string): Promise<number | undefined> {
  const deadline = Date.now() + FRESH_WITHIN_MS;
  for (;;) {
    const raw = await redis.get(key);
    const expiresAt = raw === null ? Number.NaN : expiresAtOf(raw);
    if (expiresAt > Date.now()) return expiresAt;
    if (Date.now() > deadline) return undefined;
    await sleep(5);
  }
}
