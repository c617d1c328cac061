import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../src/cache/redis-store.js';
import { ADMIN_TOKEN, testGateway, WRITER_TOKEN, type TestGateway } from './support/gateway.js';
import { startLiveGateway } from './support/live-gateway.js';
import { startRedisCluster, type RedisCluster } from './support/redis-cluster.js';
import { commandCalls } from './support/redis-server.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { useTopology } from './support/topologies.js';

/**
 * What only a Redis Cluster asks of the gateway: a request's reads go to each master it touches in
 * one round trip, counted at a proxy in front of each master; and a walk of the keyspace
 * (invalidateAll) visits every master. The behaviour every topology shares is tested on the
 * cluster by the store contract and the API tests (`describe.each(TOPOLOGIES)`).
 */

const harness = useTopology('cluster');

const SYMBOLS = Array.from({ length: 50 }, (_, i) => `C${i}/USDT`);
const PUT_TICKERS = `mutation($tickers: [TickerInput!]!) { putTickers(tickers: $tickers) }`;
const TICKERS = `query($symbols: [MarketSymbol!]!) { tickers(symbols: $symbols) { symbol last } }`;

/** The master (its port) that serves each key now. */
async function masterOfKeys(keys: string[]): Promise<number[]> {
  const slots = (await harness.probe.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>;
  return keys.map((key) => {
    const slot = calculateSlot(key);
    return slots.find(([from, to]) => slot >= from && slot <= to)![2][1];
  });
}

describe('a request on a 3-master cluster', () => {
  let proxies: Map<number, TcpProxy>;
  let client: Cluster;
  let gateway: TestGateway;
  beforeAll(async () => {
    // The client learns each master's address from the cluster; natMap sends it through a proxy instead.
    const masters = await harness.cluster!.masters();
    proxies = new Map(await Promise.all(masters.map(async (port) => [port, await startTcpProxy(port)] as const)));
    client = new Cluster(harness.cluster!.seeds.map((seed) => ({ host: '127.0.0.1', port: proxies.get(Number(seed.split(':')[1]))?.port ?? Number(seed.split(':')[1]) })), {
      scaleReads: 'master',
      natMap: Object.fromEntries([...proxies].map(([port, proxy]) => [`127.0.0.1:${port}`, { host: '127.0.0.1', port: proxy.port }])),
    });
    gateway = testGateway(createRedisStore({ redis: client, readTimeoutMs: 10_000, readMaxMs: 20_000, writeTimeoutMs: 10_000 }));
  });
  afterAll(async () => {
    client?.disconnect();
    await Promise.all([...(proxies?.values() ?? [])].map((proxy) => proxy.close()));
  });

  it('reads 50 tickers of many slots in one round trip per master: one MGET per slot, one pipeline per master', async () => {
    const keys = SYMBOLS.map((symbol) => `mdc:v1:ticker:{${symbol}}`);
    const owners = await masterOfKeys(keys);
    const slots = new Set(keys.map((key) => calculateSlot(key)));
    // The symbols are spread over every master and many slots, or the test would prove nothing.
    expect(new Set(owners).size).toBe(3);
    expect(slots.size).toBeGreaterThan(40);
    const put = await gateway.gql(PUT_TICKERS, { tickers: SYMBOLS.map((symbol, i) => ({ symbol, last: i + 1 })) }, WRITER_TOKEN);
    expect(put).toMatchObject({ data: { putTickers: 50 } });

    const nodes = new Map<number, Redis>([...proxies.keys()].map((port) => [port, harness.cluster!.node(port)]));
    await Promise.all([...nodes.values()].map((node) => node.config('RESETSTAT')));
    const before = new Map([...proxies].map(([port, proxy]) => [port, proxy.roundTrips()]));
    const response = await gateway.gql(TICKERS, { symbols: SYMBOLS });
    expect(response.data.tickers).toEqual(SYMBOLS.map((symbol, i) => ({ symbol, last: i + 1 })));

    const roundTrips = Object.fromEntries([...proxies].map(([port, proxy]) => [port, proxy.roundTrips() - before.get(port)!]));
    const mgets = Object.fromEntries(await Promise.all([...nodes].map(async ([port, node]) => [port, (await commandCalls(node))['mget'] ?? 0] as const)));
    const slotsOf = (port: number) => new Set(keys.filter((_, i) => owners[i] === port).map((key) => calculateSlot(key))).size;
    console.log(`50 tickers over ${slots.size} slots: round trips per master ${JSON.stringify(roundTrips)}, MGETs per master ${JSON.stringify(mgets)}`);
    expect(roundTrips).toEqual(Object.fromEntries([...proxies.keys()].map((port) => [port, 1])));
    expect(mgets).toEqual(Object.fromEntries([...proxies.keys()].map((port) => [port, slotsOf(port)])));
  });
});

describe('invalidateAll on a cluster', () => {
  it('removes every key of the namespace on every master, and nothing else', async () => {
    const gateway = testGateway(createRedisStore({ redis: harness.redis, readTimeoutMs: 5000, writeTimeoutMs: 5000 }));
    const write = (query: string, variables?: Record<string, unknown>) => gateway.gql(query, variables, WRITER_TOKEN);
    await write(PUT_TICKERS, { tickers: SYMBOLS.map((symbol, i) => ({ symbol, last: i + 1 })) });
    for (const symbol of SYMBOLS.slice(0, 10)) {
      await write(`mutation($s: MarketSymbol!) { putOrderBook(orderBook: { symbol: $s, bids: [{ price: 1, amount: 1 }], asks: [] }) { symbol } }`, { s: symbol });
      await write(`mutation($s: MarketSymbol!) { putBars(symbol: $s, timeframe: "1h", bars: [{ openTime: "2026-01-01T00:00:00Z", open: 1, high: 1, low: 1, close: 1, volume: 1 }]) }`, { s: symbol });
    }
    await write(`mutation { putFearGreed(fearGreed: { value: 50, classification: "Neutral" }) { value } }`);
    // Another application's keys, another version's and a look-alike namespace's, on every master.
    const foreign = Array.from({ length: 30 }, (_, i) => [`other-app:{${i}}`, `mdc:v2:ticker:{C${i}/USDT}`, `mdcx:v1:{${i}}`]).flat();
    for (const key of foreign) await harness.probe.set(key, 'keep me');
    const masters = await harness.cluster!.masters();
    const keysOf = async (port: number) => (await harness.cluster!.node(port).keys('*')).sort();
    for (const port of masters) {
      const keys = await keysOf(port);
      expect(keys.some((key) => key.startsWith('mdc:v1:')), `master ${port} holds keys of the namespace`).toBe(true);
      expect(keys.some((key) => !key.startsWith('mdc:v1:')), `master ${port} holds foreign keys`).toBe(true);
    }

    const response = await gateway.gql('mutation { invalidateAll { deleted } }', undefined, ADMIN_TOKEN);
    // 50 tickers, 10 books, 10 bar series and Fear & Greed.
    expect(response.data).toEqual({ invalidateAll: { deleted: 71 } });
    const owners = await masterOfKeys(foreign);
    for (const port of masters) {
      expect(await keysOf(port)).toEqual(foreign.filter((_, i) => owners[i] === port).sort());
    }
    expect((await gateway.gql('{ symbols { symbol } }')).data.symbols).toEqual([]);
  });
});

describe('a slot moved while the gateway runs (resharding)', () => {
  /** Node ids and admin clients of the master serving `key`'s slot and of another master. */
  async function sourceAndTarget(key: string) {
    const [owner] = await masterOfKeys([key]);
    const other = (await harness.cluster!.masters()).find((port) => port !== owner)!;
    const source = harness.cluster!.node(owner!);
    const target = harness.cluster!.node(other);
    const [sourceId, targetId] = (await Promise.all([source.cluster('MYID'), target.cluster('MYID')])) as string[];
    return { source, target, sourceId: sourceId!, targetId: targetId!, targetPort: other };
  }

  it('follows MOVED once a slot has moved and ASK while it moves: reads and writes still land', async () => {
    const store = createRedisStore({ redis: harness.redis, readTimeoutMs: 5000, writeTimeoutMs: 5000 });
    const ticker = 'mdc:v1:ticker:{MOVE/USDT}';
    const book = 'mdc:v1:book:{MOVE/USDT}';
    const slot = calculateSlot(ticker);
    await store.setMany([
      { key: ticker, value: 'T1', ttlMs: 60_000 },
      { key: book, value: 'B1', ttlMs: 60_000 },
    ]);
    expect(await store.getMany([ticker, book])).toEqual(['T1', 'B1']);
    const { source, target, sourceId, targetId, targetPort } = await sourceAndTarget(ticker);
    // A key of another slot on the same master: its command shares the pipeline with the moved
    // slot's, and gets an answer where the other gets a redirection.
    const [owner] = await masterOfKeys([ticker]);
    const candidates = Array.from({ length: 200 }, (_, i) => `mdc:v1:ticker:{STAY${i}/USDT}`);
    const owners = await masterOfKeys(candidates);
    const neighbour = candidates.find((key, i) => owners[i] === owner && calculateSlot(key) !== slot)!;
    await store.set(neighbour, 'N1', 60_000);

    // Mid-migration: the ticker has moved to the target, the book has not. The store's client
    // still sends both keys' commands to the source, which answers ASK for the ticker.
    await target.cluster('SETSLOT', slot, 'IMPORTING', sourceId);
    await source.cluster('SETSLOT', slot, 'MIGRATING', targetId);
    await source.migrate('127.0.0.1', targetPort, '', 0, 5000, 'KEYS', ticker);
    expect(await store.getMany([ticker, neighbour])).toEqual(['T1', 'N1']);
    expect(await store.getMany([book])).toEqual(['B1']);
    await store.set(ticker, 'T2', 60_000);
    // The target serves an importing slot's keys only to a client that says ASKING first.
    expect(await target.pipeline().asking().get(ticker).exec()).toEqual([
      [null, 'OK'],
      [null, 'T2'],
    ]);

    // Done: the slot belongs to the target; the store's client learns it from MOVED.
    await source.migrate('127.0.0.1', targetPort, '', 0, 5000, 'KEYS', book);
    for (const port of await harness.cluster!.masters()) await harness.cluster!.node(port).cluster('SETSLOT', slot, 'NODE', targetId);
    expect(await store.getMany([ticker, neighbour, book])).toEqual(['T2', 'N1', 'B1']);
    await store.setMany([
      { key: ticker, value: 'T3', ttlMs: 60_000 },
      { key: neighbour, value: 'N3', ttlMs: 60_000 },
      { key: book, value: 'B3', ttlMs: 60_000 },
    ]);
    expect(await source.get(neighbour)).toBe('N3');
    expect(await target.mget(ticker, book)).toEqual(['T3', 'B3']);
    expect(await store.delete([ticker, book])).toEqual([true, true]);
    expect(await target.exists(ticker, book)).toBe(0);
  });
});

describe('putTickers across the masters of a cluster', () => {
  it('is all or none: when one master refuses its part, what the others wrote is put back', async () => {
    const gateway = testGateway(createRedisStore({ redis: harness.redis, readTimeoutMs: 5000, writeTimeoutMs: 5000 }));
    const keys = SYMBOLS.map((symbol) => `mdc:v1:ticker:{${symbol}}`);
    const owners = await masterOfKeys(keys);
    const [refusing] = await harness.cluster!.masters();
    // Half the symbols held a ticker before; the other half held none.
    const before = SYMBOLS.slice(0, 25).map((symbol) => ({ symbol, last: 1 }));
    expect((await gateway.gql(PUT_TICKERS, { tickers: before }, WRITER_TOKEN)).data).toEqual({ putTickers: 25 });
    const snapshot = async () => Promise.all(keys.map((key) => harness.probe.get(key)));
    const held = await snapshot();

    // A master that cannot reach enough replicas refuses writes (NOREPLICAS): its slots' script fails.
    const node = harness.cluster!.node(refusing!);
    await node.config('SET', 'min-replicas-to-write', '2');
    try {
      const response = await gateway.gql(PUT_TICKERS, { tickers: SYMBOLS.map((symbol) => ({ symbol, last: 2 })) }, WRITER_TOKEN);
      expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['CACHE_UNAVAILABLE']);
    } finally {
      await node.config('SET', 'min-replicas-to-write', '0');
    }
    // Symbols of every master were in the write, and nothing of it is left.
    expect(new Set(owners).size).toBe(3);
    expect(await snapshot()).toEqual(held);
    const listed = (await gateway.gql('{ symbols(kind: TICKER) { symbol } }')).data.symbols.map(({ symbol }: { symbol: string }) => symbol);
    expect(listed.sort()).toEqual(before.map(({ symbol }) => symbol).sort());
  });
});

describe('a cluster that requires a password', () => {
  const PASSWORD = 'cluster p@ss:word';
  let cluster: RedisCluster;
  beforeAll(async () => void (cluster = await startRedisCluster({ password: PASSWORD })), 60_000);
  afterAll(() => cluster?.stop());

  it('is reached with the credentials written once, on the first seed, by every connection the gateway makes', async () => {
    const [first, ...others] = cluster.seeds;
    const seeds = [`redis://:${encodeURIComponent(PASSWORD)}@${first}`, ...others].join(',');
    const [a, b] = await Promise.all([startLiveGateway({ REDIS_CLUSTER_NODES: seeds }), startLiveGateway({ REDIS_CLUSTER_NODES: seeds })]);
    try {
      expect((await a.gql(PUT_TICKERS, { tickers: SYMBOLS.map((symbol, i) => ({ symbol, last: i + 1 })) }, WRITER_TOKEN)).data).toEqual({ putTickers: 50 });
      expect((await b.gql(TICKERS, { symbols: SYMBOLS })).data?.tickers).toEqual(SYMBOLS.map((symbol, i) => ({ symbol, last: i + 1 })));
      expect((await b.gql('{ symbols(kind: TICKER) { symbol } }')).data?.symbols).toHaveLength(50);
      // Each gateway's change subscription authenticated too: it sits on one master or another.
      const subscribed = async () => {
        const counts = await Promise.all((await cluster.masters()).map(async (port) => Number((await cluster.node(port).pubsub('NUMSUB', 'mdc:v1:changes'))[1])));
        return counts.reduce((sum, count) => sum + count, 0);
      };
      const deadline = Date.now() + 5000;
      while ((await subscribed()) < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await subscribed()).toBe(2);
    } finally {
      await Promise.all([a.shutdown(), b.shutdown()]);
    }
  });

  it('refuses a gateway without them: not ready, and reads fail with CACHE_UNAVAILABLE', async () => {
    const gateway = await startLiveGateway({ REDIS_CLUSTER_NODES: cluster.seeds.join(',') });
    try {
      expect((await gateway.get('/ready')).status).toBe(503);
      const answer = await gateway.gql(TICKERS, { symbols: SYMBOLS.slice(0, 1) });
      expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(['CACHE_UNAVAILABLE']);
    } finally {
      await gateway.shutdown();
    }
  });
});
