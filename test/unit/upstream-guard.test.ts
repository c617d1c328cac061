import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/sources/source.js';
import { createUpstreamGuard } from '../../src/sources/upstream-guard.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A call that answers `value` after `ms`, or stops when its signal fires. */
const slow = <T>(ms: number, value: T) => (signal: AbortSignal) =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => resolve(value), ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('aborted'))));
  });
const failing = (retryAfterMs?: number) => () => Promise.reject(new UpstreamError('test', 'down', retryAfterMs));

describe('the upstream guard', () => {
  it('times a call out, aborting its signal, with an UpstreamError', async () => {
    const guard = createUpstreamGuard({ source: 'test', timeoutMs: 50 });
    let aborted = false;
    const started = performance.now();
    await expect(guard.run((signal) => (signal.addEventListener('abort', () => (aborted = true)), slow(1000, 'late')(signal)))).rejects.toThrow('test: no answer within 50 ms');
    expect(performance.now() - started).toBeLessThan(500);
    expect(aborted).toBe(true);
  });

  it('runs at most maxConcurrency calls at once, queues as many for queueMs, and refuses the rest at once', async () => {
    const guard = createUpstreamGuard({ source: 'test', maxConcurrency: 2, queueMs: 1000 });
    let running = 0;
    let most = 0;
    const call = async () => {
      running += 1;
      most = Math.max(most, running);
      await sleep(50);
      running -= 1;
      return 'ok';
    };
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => guard.run(call)));
    expect(most).toBe(2);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect((results[4] as PromiseRejectedResult).reason).toBeInstanceOf(UpstreamError);
  });

  it('fails a queued call once it has waited queueMs for a slot', async () => {
    const guard = createUpstreamGuard({ source: 'test', maxConcurrency: 1, queueMs: 30 });
    const first = guard.run(() => sleep(300).then(() => 'first'));
    await expect(guard.run(async () => 'second')).rejects.toThrow('busy: no free slot within 30 ms');
    await expect(first).resolves.toBe('first');
  });

  it('leaves a source alone after failureThreshold failures in a row, for a jittered back-off, then tries again', async () => {
    const guard = createUpstreamGuard({ source: 'test', failureThreshold: 3, backoffBaseMs: 200, random: () => 0.5 });
    let calls = 0;
    const counted = () => (calls += 1, failing()());
    for (let i = 0; i < 6; i++) await guard.run(counted).catch(() => {});
    expect(calls).toBe(3);
    await expect(guard.run(counted)).rejects.toThrow(/backing off for \d+ ms after failures/);
    await sleep(250);
    await expect(guard.run(async () => 'back')).resolves.toBe('back');
  });

  it('obeys Retry-After from the first failure, however short the back-off', async () => {
    const guard = createUpstreamGuard({ source: 'test', failureThreshold: 3, backoffBaseMs: 10 });
    await guard.run(failing(300)).catch(() => {});
    await expect(guard.run(async () => 'too soon')).rejects.toThrow(/backing off/);
    await sleep(350);
    await expect(guard.run(async () => 'later')).resolves.toBe('later');
  });

  it('turns any failure of a call into an UpstreamError naming the source', async () => {
    const guard = createUpstreamGuard({ source: 'test' });
    await expect(guard.run(() => Promise.reject(new TypeError('bad')))).rejects.toEqual(new UpstreamError('test', 'bad'));
  });
});

describe("the upstream guard's observer", () => {
  it('is told each outcome with its duration: ok, error, timeout, and rejected by the queue or the back-off without calling', async () => {
    const seen: Array<[string, number]> = [];
    const guard = createUpstreamGuard({ source: 'test', timeoutMs: 50, maxConcurrency: 1, queueMs: 20, failureThreshold: 2, observe: (outcome, seconds) => seen.push([outcome, seconds]) });
    await guard.run(slow(10, 'ok'));
    const holding = guard.run(slow(30, 'held'));
    await expect(guard.run(async () => 'queued too long')).rejects.toThrow('busy');
    await holding;
    await expect(guard.run(failing())).rejects.toThrow('down');
    await expect(guard.run(slow(1000, 'late'))).rejects.toThrow('no answer within 50 ms');
    let called = false;
    await expect(guard.run(async () => (called = true))).rejects.toThrow('backing off');

    expect(called).toBe(false);
    expect(seen.map(([outcome]) => outcome)).toEqual(['ok', 'rejected', 'ok', 'error', 'timeout', 'rejected']);
    const [ok, queued, , , timeout, backedOff] = seen.map(([, seconds]) => seconds);
    expect(ok).toBeGreaterThanOrEqual(0.005);
    expect(queued).toBeGreaterThanOrEqual(0.015);
    expect(timeout).toBeGreaterThanOrEqual(0.045);
    expect(backedOff).toBe(0);
  });
});
