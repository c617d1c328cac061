import { generate } from '@graphql-codegen/cli';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import codegenConfig from '../codegen.js';
import { createRedisStore } from '../src/cache/redis-store.js';
import { loadConfig } from '../src/config.js';
import { createGateway } from '../src/gateway.js';
import { ADMIN_TOKEN, captureLogger, WRITER_TOKEN } from './support/gateway.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GENERATED_DIR = 'examples/gql';

interface Finished {
  code: number | null;
  output: string;
  stdout: string;
  stderr: string;
}

/** Runs a command from the repository root to its end, killing it after `timeoutMs`. */
function run(command: string, args: string[], timeoutMs: number): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout.on('data', (chunk) => ((stdout += chunk), (output += chunk)));
    child.stderr.on('data', (chunk) => ((stderr += chunk), (output += chunk)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const killed = signal === null ? '' : `\n(killed by ${signal}: not done within ${timeoutMs} ms)`;
      resolve({ code, stdout, stderr, output: output + killed });
    });
  });
}

describe('the generated client code', () => {
  it('is exactly what `npm run codegen` generates from schema.graphql and the example', async () => {
    const outputs: Array<{ filename: string; content: string }> = await generate({ ...codegenConfig, cwd: ROOT, silent: true }, false);
    const generated = Object.fromEntries(outputs.map(({ filename, content }) => [filename, content]));
    const committed = Object.fromEntries(
      readdirSync(`${ROOT}/${GENERATED_DIR}`).map((name) => [
        `${GENERATED_DIR}/${name}`,
        readFileSync(`${ROOT}/${GENERATED_DIR}/${name}`, 'utf8'),
      ]),
    );
    expect(committed, `${GENERATED_DIR}/ is stale: run \`npm run codegen\` and commit the result`).toEqual(generated);
  });

  it('type-checks with the rest of the project', async () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const { code, output } = await run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], 120_000);
    expect(code, `tsc --noEmit -p tsconfig.json failed:\n${output}`).toBe(0);
  }, 150_000);
});

describe('the example client, run against a gateway on Redis', () => {
  let redisServer: RedisServer;
  let server: Server;
  let url: string;

  const BTC = { symbol: 'BTC/USDT', last: 97123.5, bid: 97123.25, ask: 97124.75, changePercent24h: 1.25 };
  const ETH = { symbol: 'ETH/USDT', last: 3456.78 };
  // Newest first is how the client prints them.
  const BARS = [
    { openTime: '2026-01-02T12:00:00.000Z', open: 97050, high: 97200, low: 97010, close: 97123.5, volume: 12.5 },
    { openTime: '2026-01-02T11:00:00.000Z', open: 96900, high: 97080, low: 96850, close: 97050, volume: 8.25 },
    { openTime: '2026-01-02T10:00:00.000Z', open: 96800, high: 96950, low: 96700, close: 96900, volume: 10 },
  ];

  const client = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'examples/market-client.ts', url, ...args], 30_000);

  beforeAll(async () => {
    redisServer = await startRedisServer();
    const store = createRedisStore({ redis: redisServer.client() });
    const config = loadConfig({ WRITER_TOKEN, ADMIN_TOKEN, LOG_LEVEL: 'info' });
    const gateway = createGateway({ config, store, logger: captureLogger([]) });
    server = createServer(gateway);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;

    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITER_TOKEN}` },
      body: JSON.stringify({
        query: `mutation Seed($btc: TickerInput!, $eth: TickerInput!, $bars: [BarInput!]!) {
          btc: putTicker(ticker: $btc) { symbol }
          eth: putTicker(ticker: $eth) { symbol }
          putBars(symbol: "BTC/USDT", timeframe: "1h", bars: $bars)
        }`,
        variables: { btc: BTC, eth: ETH, bars: BARS },
      }),
    });
    const body = (await response.json()) as { errors?: unknown };
    expect(body.errors, 'seeding the gateway failed').toBeUndefined();
  });

  afterAll(async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await redisServer?.stop();
  });

  it('prints each ticker and the newest 1h bars as aligned rows', async () => {
    const { code, stdout, output } = await client('BTC/USDT', 'ETH/USDT');
    expect(code, output).toBe(0);

    const lines = stdout.split('\n');
    const row = (first: string) => lines.find((line) => line.startsWith(`${first} `))?.split(/\s+/);
    expect(row('BTC/USDT')?.slice(0, 5)).toEqual(['BTC/USDT', '97123.5', '97123.25', '97124.75', '1.25']);
    expect(row('ETH/USDT')?.slice(0, 4)).toEqual(['ETH/USDT', '3456.78', '-', '-']);
    for (const bar of BARS) {
      expect(row(bar.openTime)).toEqual([bar.openTime, ...[bar.open, bar.high, bar.low, bar.close, bar.volume].map(String)]);
    }
    const barTimes = lines.filter((line) => line.startsWith('2026-')).map((line) => line.split(' ')[0]);
    expect(barTimes).toEqual(BARS.map((bar) => bar.openTime));
    expect(stdout).toContain('ETH/USDT 1h bars, newest first\n(none cached)');
  });

  it("exits non-zero with the gateway's error messages when a query is refused", async () => {
    const { code, stdout, stderr } = await client('BTC USDT');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: .*MarketSymbol/m);
  });
});
