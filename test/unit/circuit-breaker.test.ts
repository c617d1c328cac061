import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCircuitBreakerStore } from '../../src/cache/circuit-breaker-store.js';
import { createMemoryStore } from '../../src/cache/memory-store.js';
import { interruptible } from '../support/stores.js';

describe('the circuit breaker', () => {
  afterEach(() => void vi.useRealTimers());

  it('opens after 3 unavailable failures in a row, then fails fast without calling Redis', async () => {
    const store = interruptible(createMemoryStore());
    const breaker = createCircuitBreakerStore(store, { openMs: 250 });
    store.takeDown();
    for (let i = 0; i < 3; i++) await expect(breaker.getMany(['a'])).rejects.toThrow('taken down by the test');
    expect(breaker.state()).toBe('open');
    await expect(breaker.getMany(['a'])).rejects.toThrow('circuit open');
    expect(store.calls).toBe(3);
  });

  it('lets one call through every openMs and closes when it succeeds', async () => {
    vi.useFakeTimers();
    const store = interruptible(createMemoryStore());
    const breaker = createCircuitBreakerStore(store, { openMs: 250 });
    store.takeDown();
    for (let i = 0; i < 3; i++) await breaker.getMany(['a']).catch(() => {});
    vi.advanceTimersByTime(250);
    await expect(breaker.getMany(['a'])).rejects.toThrow('taken down by the test'); // the trial fails: open again
    expect(store.calls).toBe(4);
    await expect(breaker.getMany(['a'])).rejects.toThrow('circuit open');
    store.bringBack();
    vi.advanceTimersByTime(250);
    expect(await breaker.getMany(['a'])).toEqual([null]);
    expect(breaker.state()).toBe('closed');
  });

  it('is not opened by errors Redis replies with', async () => {
    const breaker = createCircuitBreakerStore(createMemoryStore());
    await breaker.set('plain', 'value', 60_000);
    const write = { key: 'plain', latestKey: 'plain:latest', members: [{ score: 1, member: 'm' }], ttlMs: 1000, maxMembers: 10 };
    for (let i = 0; i < 5; i++) await expect(breaker.upsertSeries(write)).rejects.toThrow(/WRONGTYPE/);
    expect(breaker.state()).toBe('closed');
  });
});
