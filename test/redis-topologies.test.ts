import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisCluster } from './support/redis-cluster.js';
import { startRedisSentinel, type RedisSentinelSet } from './support/redis-sentinel.js';

// The tests of each topology build on each other: the failover comes last.

describe('startRedisCluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  // Their slots are fixed by their names (CRC16), and redis-cli deals the slots out in three ranges.
  const keys = Array.from({ length: 12 }, (_, i) => `key:${i}`);
  beforeAll(async () => {
    cluster = await startRedisCluster();
    client = cluster.client();
  });
  afterAll(() => cluster?.stop());

  /** The keys each master holds, asked of the master itself. */
  const keysOn = async (port: number) => ((await cluster.node(port).scan('0', 'COUNT', 1000))[1] as string[]).sort();

  it('starts 3 masters, each with a replica of its own that is in sync', async () => {
    const masters = await cluster.masters();
    const replicas = await Promise.all(masters.map((port) => cluster.replicaOf(port)));
    expect(masters).toHaveLength(3);
    expect(new Set([...masters, ...replicas]).size).toBe(6);
    expect(cluster.seeds).toHaveLength(6);
    for (const [i, replica] of replicas.entries()) {
      const replication = await cluster.node(replica).info('replication');
      expect(replication).toContain(`master_port:${masters[i]}`);
      expect(replication).toContain('master_link_status:up');
    }
  });

  it('reads back, through client(), keys it wrote to the slots of every master', async () => {
    await Promise.all(keys.map((key) => client.set(key, `value of ${key}`)));
    expect(await Promise.all(keys.map((key) => client.get(key)))).toEqual(keys.map((key) => `value of ${key}`));
    const held = await Promise.all((await cluster.masters()).map(keysOn));
    expect(held.every((onMaster) => onMaster.length > 0)).toBe(true);
    expect(held.flat().sort()).toEqual([...keys].sort());
  });

  it('promotes the replica of a killed master, which then serves its keys, and keeps the keys of the others', async () => {
    const [victim, survivor] = await cluster.masters();
    const heir = await cluster.replicaOf(victim!);
    const [victimKeys, survivorKeys] = await Promise.all([keysOn(victim!), keysOn(survivor!)]);
    expect(await cluster.node(victim!).call('WAIT', 1, 2000)).toBe(1); // its keys have reached the replica

    await cluster.kill(victim!);
    expect(await cluster.waitForFailover(victim!)).toBe(heir);

    expect(await cluster.masters()).not.toContain(victim);
    expect(await cluster.masters()).toContain(heir);
    expect(await keysOn(heir)).toEqual(victimKeys);
    expect(await client.get(survivorKeys[0]!)).toBe(`value of ${survivorKeys[0]}`);
    expect(await client.get(victimKeys[0]!)).toBe(`value of ${victimKeys[0]}`);
    await client.set(victimKeys[0]!, 'after the failover');
    expect(await cluster.node(heir).get(victimKeys[0]!)).toBe('after the failover');

    await cluster.flushAll();
    expect(await Promise.all((await cluster.masters()).map(keysOn))).toEqual([[], [], []]);
  });
});

describe('startRedisSentinel', () => {
  let sentinel: RedisSentinelSet;
  beforeAll(async () => {
    sentinel = await startRedisSentinel();
  });
  afterAll(() => sentinel?.stop());

  it('serves the master through client() and replicates to the replica', async () => {
    const client = sentinel.client();
    await client.set('greeting', 'hello');
    expect(await client.get('greeting')).toBe('hello');
    expect(await sentinel.currentMaster()).toBe(sentinel.masterPort);
    expect(await sentinel.node(sentinel.masterPort).call('WAIT', 1, 2000)).toBe(1);
    expect(await sentinel.node(sentinel.replicaPort).get('greeting')).toBe('hello');
  });

  it('promotes the replica when the master is killed, and client() writes to it within 5 s', async () => {
    const client = sentinel.client();
    await client.set('before', 'the failover');
    expect(await sentinel.node(sentinel.masterPort).call('WAIT', 1, 2000)).toBe(1);

    await sentinel.kill(sentinel.masterPort);
    expect(await sentinel.waitForFailover(sentinel.masterPort)).toBe(sentinel.replicaPort);
    expect(await sentinel.currentMaster()).toBe(sentinel.replicaPort);

    const writing = Date.now();
    await client.set('after', 'the failover');
    expect(Date.now() - writing).toBeLessThan(5000);
    expect(await sentinel.node(sentinel.replicaPort).get('after')).toBe('the failover');
    expect(await client.get('before')).toBe('the failover');
  });
});
