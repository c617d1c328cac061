import { describe, expect, it } from 'vitest';
import { memoryPolicyProblem, parseRedisInfo, sumRedisInfo } from '../../src/cache/redis-info.js';

/** The part of Redis 7.0's `INFO` the gateway reads, as Redis writes it (CRLF, sections). */
const INFO = [
  '# Server',
  'redis_version:7.0.15',
  'redis_mode:standalone',
  'uptime_in_seconds:3605',
  '',
  '# Clients',
  'connected_clients:12',
  '',
  '# Memory',
  'used_memory:1048576',
  'maxmemory:67108864',
  'maxmemory_policy:allkeys-lru',
  '',
  '# Stats',
  'keyspace_hits:900',
  'keyspace_misses:100',
  'evicted_keys:7',
  '',
].join('\r\n');

describe('parseRedisInfo', () => {
  it("reads Redis's figures from INFO", () => {
    expect(parseRedisInfo(INFO)).toEqual({
      version: '7.0.15',
      topology: 'standalone',
      usedMemoryBytes: 1_048_576,
      maxMemoryBytes: 67_108_864,
      evictionPolicy: 'allkeys-lru',
      evictedKeys: 7,
      keyspaceHits: 900,
      keyspaceMisses: 100,
      connectedClients: 12,
      uptimeSeconds: 3605,
    });
  });

  it('reads maxmemory 0 as no limit', () => {
    expect(parseRedisInfo(INFO.replace('maxmemory:67108864', 'maxmemory:0')).maxMemoryBytes).toBeNull();
  });

  it('names a missing or malformed field and what it received', () => {
    expect(() => parseRedisInfo(INFO.replace('evicted_keys:7\r\n', ''))).toThrow('Redis INFO: expected a field evicted_keys, received none');
    expect(() => parseRedisInfo(INFO.replace('used_memory:1048576', 'used_memory:lots'))).toThrow(
      'Redis INFO: expected used_memory to be a non-negative integer, received "lots"',
    );
  });
});

describe('memoryPolicyProblem', () => {
  it.each([
    [null, 'noeviction', ['no maxmemory', 'noeviction']],
    [null, 'allkeys-lru', ['no maxmemory']],
    [64 * 1024 * 1024, 'noeviction', ['noeviction']],
  ] as const)('names what is wrong with maxmemory %s and policy %s', (maxMemoryBytes, evictionPolicy, problems) => {
    const problem = memoryPolicyProblem({ maxMemoryBytes, evictionPolicy });
    for (const expected of problems) expect(problem).toContain(expected);
  });

  it.each(['allkeys-lru', 'volatile-lru', 'allkeys-lfu'])('finds nothing wrong with maxmemory and %s', (evictionPolicy) => {
    expect(memoryPolicyProblem({ maxMemoryBytes: 1024, evictionPolicy })).toBeUndefined();
  });
});

describe("sumRedisInfo (a cluster: every master's INFO)", () => {
  const master = (port: number) => parseRedisInfo(INFO.replace('redis_mode:standalone', 'redis_mode:cluster').replace('uptime_in_seconds:3605', `uptime_in_seconds:${port}`));

  it('adds up memory, keys, hits, misses and clients, and keeps the youngest uptime', () => {
    expect(sumRedisInfo([master(7000), master(7001), master(300)])).toEqual({
      version: '7.0.15',
      topology: 'cluster',
      usedMemoryBytes: 3 * 1_048_576,
      maxMemoryBytes: 3 * 67_108_864,
      evictionPolicy: 'allkeys-lru',
      evictedKeys: 21,
      keyspaceHits: 2700,
      keyspaceMisses: 300,
      connectedClients: 36,
      uptimeSeconds: 300,
    });
  });

  it('has no maxmemory when a master has none, lists the policies that differ, and the start-up check sees both', () => {
    const unbounded = { ...master(7001), maxMemoryBytes: null, evictionPolicy: 'noeviction' };
    const summed = sumRedisInfo([master(7000), unbounded]);
    expect(summed).toMatchObject({ maxMemoryBytes: null, evictionPolicy: 'allkeys-lru,noeviction' });
    const problem = memoryPolicyProblem(summed);
    expect(problem).toContain('no maxmemory');
    expect(problem).toContain('noeviction');
  });
});
