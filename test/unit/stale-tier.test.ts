import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStaleTier, rangeKeyOf, type StaleTier } from '../../src/cache/stale-tier.js';

/** Remembers `value` as a read that has just returned would. */
function remember(tier: StaleTier, key: string, value: string | string[] | null) {
  const ticket = tier.begin();
  tier.remember(key, value, ticket);
  tier.end(ticket);
}

describe('the stale tier', () => {
  afterEach(() => void vi.useRealTimers());

  it('evicts least recently used values beyond its byte budget', () => {
    // Each entry costs 160 bytes of bookkeeping plus its key and value (16 + 2 bytes a character each).
    const tier = createStaleTier({ maxBytes: 500, maxAgeMs: 60_000 });
    remember(tier, 'a', 'x'.repeat(10)); // 160 + 18 + 36 = 214 bytes
    remember(tier, 'b', 'x'.repeat(10));
    tier.recall('a');
    remember(tier, 'c', 'x'.repeat(10));
    expect([tier.recall('a'), tier.recall('b'), tier.recall('c')]).toEqual(['x'.repeat(10), undefined, 'x'.repeat(10)]);
  });

  it('forgets a series with every range read of it, and nothing of other series', () => {
    const tier = createStaleTier({ maxBytes: 10_000, maxAgeMs: 60_000 });
    const range = (series: string, limit: number) => rangeKeyOf({ key: series, limit });
    remember(tier, range('bars:{A}:1h', 5), ['a5']);
    remember(tier, range('bars:{A}:1h', 10), ['a10']);
    remember(tier, range('bars:{A}:1h:latest', 5), ['not a series of A:1h']);
    remember(tier, range('bars:{B}:1h', 5), ['b5']);
    remember(tier, 'bars:{A}:1h:latest', 'latest');
    tier.forget('bars:{A}:1h');
    expect(tier.recall(range('bars:{A}:1h', 5))).toBeUndefined();
    expect(tier.recall(range('bars:{A}:1h', 10))).toBeUndefined();
    expect(tier.recall(range('bars:{A}:1h:latest', 5))).toEqual(['not a series of A:1h']);
    expect(tier.recall(range('bars:{B}:1h', 5))).toEqual(['b5']);
    expect(tier.recall('bars:{A}:1h:latest')).toBe('latest');
  });

  it('never serves a value older than maxAgeMs, and forgets what Redis no longer has', () => {
    vi.useFakeTimers();
    const tier = createStaleTier({ maxBytes: 1000, maxAgeMs: 1000 });
    remember(tier, 'a', 'A');
    remember(tier, 'b', 'B');
    remember(tier, 'b', null);
    vi.advanceTimersByTime(1000);
    expect(tier.recall('a')).toBe('A');
    vi.advanceTimersByTime(1);
    expect(tier.recall('a')).toBeUndefined();
    expect(tier.recall('b')).toBeUndefined();
  });
});
