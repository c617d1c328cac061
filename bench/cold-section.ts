import type { Redis } from 'ioredis';
import { createKeyLayout } from '../src/cache/keys.js';
import { DEFAULTS } from '../src/defaults.js';
import { DEFAULT_READING } from '../test/support/fear-greed-server.js';
import { GATEWAY_NODE_ARGS, startServer, type ServerChild } from './children.js';
import { measureCold, type ColdPeer, type ColdRow } from './cold.js';
import type { Goal } from './report.js';

/**
 * The cold workload against three peers, one at a time, each in its own process and each keeping
 * its key under its own prefix in the runner's Redis: the gateway reading through with no grace
 * (an expired key is a true miss: single flight measured), the gateway with its default grace
 * (an expired key is served stale while one refresh runs), and cache-aside
 * (bench/servers/cache-aside.ts). The upstream is alternative.me's `/fng/` on loopback, in a
 * child of its own (bench/servers/upstream.ts).
 *
 * Fear & Greed only: it is one key, and it is the gateway's source that is plain HTTP. Tickers
 * fill through ccxt, whose rate limiter spaces Binance's multi-ticker calls by about 800 ms and
 * which loads the markets first, so a ticker round would time ccxt and the Binance stand-in more
 * than the cache; both kinds go through the same filler (leases, pub/sub, refresh).
 */

export const COLD = Object.freeze({
  concurrency: 200,
  /** TTL_FEAR_GREED_SECONDS of every peer: the least the gateway accepts, so rounds are short. */
  ttlSeconds: 1,
  upstreamDelayMs: 50,
});

export interface ColdSection {
  settings: string;
  rows: ColdRow[];
  /** Every peer that reads through keeps one upstream call per expired key, in every round. */
  goals: Goal[];
}

export async function runColdSection({ redisUrl, redis, rounds }: { redisUrl: string; redis: Redis; rounds: number }): Promise<ColdSection> {
  const upstream = await startServer('upstream', 'bench/servers/upstream.ts', { args: [String(COLD.upstreamDelayMs)] });
  const upstreamUrl = new URL('/fng/', upstream.url).href;
  const upstreamCalls = async () => (await upstream.ask<{ calls: number }>({ calls: true })).calls;

  const gateway = (namespace: string, graceSeconds?: number) => ({
    file: 'bench/servers/gateway.ts',
    key: createKeyLayout({ namespace, version: 'v1' }).fearGreed(),
    options: {
      env: {
        REDIS_URL: redisUrl,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        CACHE_NAMESPACE: namespace,
        FEAR_GREED_URL: upstreamUrl,
        TTL_FEAR_GREED_SECONDS: String(COLD.ttlSeconds),
        ...(graceSeconds !== undefined && { GRACE_FEAR_GREED_SECONDS: String(graceSeconds) }),
      },
      nodeArgs: GATEWAY_NODE_ARGS,
    },
  });
  // readsThrough: the peer single-flights its fills, so one upstream call per expired key is its
  // goal; cache-aside is there to show what that saves.
  const peers: Array<Omit<ColdPeer, 'url'> & { file: string; options: Parameters<typeof startServer>[2]; readsThrough: boolean }> = [
    { name: 'gateway, grace 0', expired: 'gone', readsThrough: true, ...gateway('cold-miss', 0) },
    { name: `gateway, grace ${DEFAULTS.graceSeconds.fearGreed} s (default)`, expired: 'stale', readsThrough: true, ...gateway('cold-stale') },
    { name: 'cache-aside', expired: 'gone', readsThrough: false, file: 'bench/servers/cache-aside.ts', key: 'cache-aside:fear-greed', options: { args: [redisUrl, upstreamUrl, String(COLD.ttlSeconds)] } },
  ];

  const rows: ColdRow[] = [];
  const goals: Goal[] = [];
  let server: ServerChild | undefined;
  try {
    for (const { file, options, readsThrough, ...peer } of peers) {
      process.stdout.write(`cold ${peer.name}... `);
      server = await startServer(peer.name, file, options);
      const row = await measureCold({ ...peer, url: server.url }, { rounds, concurrency: COLD.concurrency, redis, upstreamCalls, expectedValue: Number(DEFAULT_READING['value']) });
      await server.stop();
      rows.push(row);
      if (readsThrough) goals.push(oneCallPerExpiredKey(row));
      console.log(`${row.callsPerKey.mean.toFixed(2)} upstream calls per expired key, cold p99 ${row.cold.p99Ms.toFixed(1)} ms`);
    }
  } finally {
    await Promise.all([server?.stop(), upstream.stop()]);
  }
  const settings = `${rounds} rounds of ${COLD.concurrency} requests at once (cold, then warm; after one untimed round), TTL ${COLD.ttlSeconds} s, upstream ${COLD.upstreamDelayMs} ms per answer`;
  return { settings, rows, goals };
}

function oneCallPerExpiredKey(row: ColdRow): Goal {
  return {
    what: `upstream calls per expired key (${row.peer})`,
    measured: `${row.callsPerKey.mean.toFixed(2)} mean, ${Math.min(...row.callsPerRound)}-${row.callsPerKey.max}`,
    target: `1 in each of ${row.rounds} rounds`,
    pass: row.callsPerRound.every((calls) => calls === 1),
  };
}
