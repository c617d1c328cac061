import { describe, expect, it } from 'vitest';
import { memoryPolicyProblem, parseRedisInfo } from '../../src/cache/redis-info.js';

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
