import { Cluster, type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildGateway, type ChildGateway } from './support/attack-child.js';
import { dataProcesses, type Freezable } from './support/freeze.js';
import { ADMIN_TOKEN, WRITER_TOKEN } from './support/gateway.js';
import { sleep } from './support/load.js';
import { TOPOLOGIES, useTopology } from './support/topologies.js';

/**
 * Gateway processes that share a Redis agree: what one writes, fills or invalidates, every other
 * drops from its stale tier and its renderings as soon as Redis announces it, so that none serves
 * a value another has since changed or removed, stale or not, even once Redis stops answering.
 * Two real processes on a real Redis of each topology, every process of it that holds data
 * frozen with SIGSTOP.
 */

async function gql(gateway: ChildGateway, query: string, token?: string) {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(10_000),
  });
  return (await response.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> };
}

describe.each(TOPOLOGIES)('two gateway processes on one Redis (%s)', (topology) => {
  const redis = useTopology(topology);
  let frozen: Freezable;
  let a: ChildGateway;
  let b: ChildGateway;

  beforeAll(async () => {
    frozen = await dataProcesses(redis);
    const env = { ...redis.env, WRITER_TOKEN, ADMIN_TOKEN, STALE_MAX_AGE_SECONDS: '600' };
    [a, b] = await Promise.all([startChildGateway(env, { heapMiB: 256 }), startChildGateway(env, { heapMiB: 256 })]);
  }, 60_000);
  afterAll(async () => {
    frozen?.resume();
    // Waited for, so that the next topology's block starts on a quiet machine.
    const started = [a, b].filter((gateway) => gateway !== undefined);
    started.forEach((gateway) => gateway.stop());
    await Promise.all(started.map((gateway) => gateway.closed));
  });

  const put = (symbol: string, last: number) => gql(a, `mutation { putTicker(ticker: { symbol: "${symbol}", last: ${last} }, ttlSeconds: 600) { last } }`, WRITER_TOKEN);
  const read = (gateway: ChildGateway, symbol: string) => gql(gateway, `{ ticker(symbol: "${symbol}") { last stale } }`);
  /** Where subscribers connect: the server or master; on a cluster, every master (each counts only its own). */
  const masters = (): Redis[] => (redis.probe instanceof Cluster ? redis.probe.nodes('master') : [redis.probe]);

  /** Reads `symbol` on B while Redis is frozen: what B's own tier has to say of it. */
  async function readWithRedisFrozen(symbol: string) {
    // Long enough for B's subscriber to have read what Redis announced before it froze.
    await sleep(100);
    frozen.freeze();
    try {
      return await read(b, symbol);
    } finally {
      frozen.resume();
    }
  }

  it('(the control) B serves its last value, stale, while Redis is frozen when nothing changed it', async () => {
    await put('KEEP/USDT', 1);
    expect((await read(b, 'KEEP/USDT')).data).toEqual({ ticker: { last: 1, stale: false } });
    expect((await readWithRedisFrozen('KEEP/USDT')).data).toEqual({ ticker: { last: 1, stale: true } });
  }, 20_000);

  it('invalidate on A, then freeze Redis: B does not serve the invalidated value, stale or not', async () => {
    await put('GONE/USDT', 2);
    expect((await read(b, 'GONE/USDT')).data).toEqual({ ticker: { last: 2, stale: false } });
    expect((await gql(a, 'mutation { invalidateTicker(symbol: "GONE/USDT") { deleted } }', ADMIN_TOKEN)).data).toEqual({ invalidateTicker: { deleted: 1 } });

    const answer = await readWithRedisFrozen('GONE/USDT');
    expect(answer.data).toEqual({ ticker: null });
    expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(['CACHE_UNAVAILABLE']);
  }, 20_000);

  it('write on A, then freeze Redis: B does not serve the value it read before the write', async () => {
    await put('MOVED/USDT', 3);
    expect((await read(b, 'MOVED/USDT')).data).toEqual({ ticker: { last: 3, stale: false } });
    await put('MOVED/USDT', 4);

    const answer = await readWithRedisFrozen('MOVED/USDT');
    expect(answer.data?.ticker?.last).not.toBe(3);
    expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(['CACHE_UNAVAILABLE']);
    // Redis back, B reads the new value.
    expect((await read(b, 'MOVED/USDT')).data).toEqual({ ticker: { last: 4, stale: false } });
  }, 20_000);

  it('B, having lost its subscription while A invalidated, keeps nothing it read before: the announcement may be lost', async () => {
    await put('LOST/USDT', 7);
    expect((await read(b, 'LOST/USDT')).data).toEqual({ ticker: { last: 7, stale: false } });
    // Every subscriber's connection goes; A's invalidation is announced while B is not listening.
    // B is stopped (SIGSTOP) meanwhile: on a cluster it would subscribe again within a millisecond,
    // before A announces, and hear it.
    process.kill(b.pid, 'SIGSTOP');
    try {
      await Promise.all(masters().map((master) => master.client('KILL', 'TYPE', 'pubsub')));
      expect((await gql(a, 'mutation { invalidateTicker(symbol: "LOST/USDT") { deleted } }', ADMIN_TOKEN)).data).toEqual({ invalidateTicker: { deleted: 1 } });
    } finally {
      process.kill(b.pid, 'SIGCONT');
    }
    // B subscribes again within a second (ioredis, or on a cluster its own subscription, retries every 50-500 ms).
    const deadline = Date.now() + 5000;
    const subscribers = async () => {
      const counts = await Promise.all(masters().map(async (master) => Number((await master.pubsub('NUMSUB', 'mdc:v1:changes'))[1])));
      return counts.reduce((sum, count) => sum + count, 0);
    };
    while ((await subscribers()) < 2 && Date.now() < deadline) await sleep(50);

    const answer = await readWithRedisFrozen('LOST/USDT');
    expect(answer.data).toEqual({ ticker: null });
    expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(['CACHE_UNAVAILABLE']);
  }, 20_000);

  it('invalidateAll on A, then freeze Redis: B serves none of what it had read', async () => {
    await put('ALL1/USDT', 5);
    await put('ALL2/USDT', 6);
    for (const symbol of ['ALL1/USDT', 'ALL2/USDT']) expect((await read(b, symbol)).data.ticker.last).toBeGreaterThan(0);
    expect((await gql(a, 'mutation { invalidateAll { deleted } }', ADMIN_TOKEN)).errors).toBeUndefined();

    await sleep(100);
    frozen.freeze();
    try {
      const answer = await gql(b, '{ one: ticker(symbol: "ALL1/USDT") { last } two: ticker(symbol: "ALL2/USDT") { last } }');
      expect(answer.data).toEqual({ one: null, two: null });
    } finally {
      frozen.resume();
    }
  }, 20_000);
});
