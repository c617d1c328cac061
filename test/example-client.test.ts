import { generate } from '@graphql-codegen/cli';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import codegenConfig from '../codegen.js';
import { WRITER_TOKEN } from './support/gateway.js';
import { useRedis } from './support/harness.js';
import { startLiveGateway, type LiveGateway } from './support/live-gateway.js';

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
  const redis = useRedis({ flushBeforeEach: false });
  let gateway: LiveGateway;
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
    gateway = await startLiveGateway(redis.server.url);
    url = gateway.url;
    const seeded = await gateway.gql(
      `mutation Seed($btc: TickerInput!, $eth: TickerInput!, $bars: [BarInput!]!) {
        btc: putTicker(ticker: $btc) { symbol }
        eth: putTicker(ticker: $eth) { symbol }
        putBars(symbol: "BTC/USDT", timeframe: "1h", bars: $bars)
      }`,
      { btc: BTC, eth: ETH, bars: BARS },
      WRITER_TOKEN,
    );
    expect(seeded.errors, 'seeding the gateway failed').toBeUndefined();
  });

  afterAll(() => gateway?.shutdown());

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
