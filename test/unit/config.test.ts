import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../../src/config.js';
import { DEFAULTS } from '../../src/defaults.js';

const TOKEN_A = 'a-token-of-sixteen+';
const TOKEN_B = 'b-token-of-sixteen+';

/** Calls `loadConfig(env)` and returns the `ConfigError` it throws. */
function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) accepted the environment`);
}

describe('loadConfig', () => {
  it('gives every setting its default in an empty environment', () => {
    const config = loadConfig({});

    expect(config).toMatchObject({
      port: DEFAULTS.http.port,
      redis: undefined,
      redisWaitReplicas: 0,
      namespace: DEFAULTS.cache.namespace,
      version: DEFAULTS.cache.version,
      writerToken: undefined,
      adminToken: undefined,
      barsMaxPerSeries: DEFAULTS.cache.barsMaxPerSeries,
      ttlSeconds: DEFAULTS.ttlSeconds,
    });
  });

  it('treats an empty or blank REDIS_URL as unset, meaning the in-memory store', () => {
    expect(loadConfig({ REDIS_URL: '' }).redis).toBeUndefined();
    expect(loadConfig({ REDIS_URL: '   ' }).redis).toBeUndefined();
  });

  const overrides: Array<[string, string, Partial<Record<keyof Config, unknown>>]> = [
    ['PORT', '8080', { port: 8080 }],
    ['PORT', '0', { port: 0 }],
    ['PORT', '65535', { port: 65_535 }],
    ['HOST', '127.0.0.1', { host: '127.0.0.1' }],
    ['REDIS_URL', 'redis://cache.internal:6379/2', { redis: { kind: 'standalone', url: 'redis://cache.internal:6379/2' } }],
    ['REDIS_URL', 'rediss://:secret@cache.internal:6380', { redis: { kind: 'standalone', url: 'rediss://:secret@cache.internal:6380' } }],
    ['REDIS_WAIT_REPLICAS', '1', { redisWaitReplicas: 1 }],
    ['CACHE_NAMESPACE', 'market-data_2', { namespace: 'market-data_2' }],
    ['CACHE_VERSION', 'v2.1', { version: 'v2.1' }],
    ['WRITER_TOKEN', TOKEN_A, { writerToken: TOKEN_A }],
    ['ADMIN_TOKEN', TOKEN_B, { adminToken: TOKEN_B }],
    ['BARS_MAX_PER_SERIES', '1', { barsMaxPerSeries: 1 }],
    ['BARS_MAX_PER_SERIES', '20000', { barsMaxPerSeries: 20_000 }],
    ['MEMORY_MAX_KEYS', '5000', { memoryMaxKeys: 5000 }],
    ['MAX_READ_COST', '500', { maxReadCost: 500 }],
    ['MAX_RESPONSE_BYTES', '65536', { maxResponseBytes: 65_536 }],
    ['MAX_HEAP_MB', '256', { maxHeapMb: 256 }],
    ['REDIS_READ_MAX_MS', '2000', { redisReadMaxMs: 2000 }],
    ['MAX_CONNECTIONS', '64', { http: expect.objectContaining({ maxConnections: 64 }) }],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', '1000', { http: expect.objectContaining({ keepAliveTimeoutMs: 1000 }) }],
    ['EXCHANGE_ID', 'binance', { sources: expect.objectContaining({ exchangeId: 'binance' }) }],
    ['FEAR_GREED_URL', 'https://api.alternative.me/fng/', { sources: expect.objectContaining({ fearGreedUrl: 'https://api.alternative.me/fng/' }) }],
    ['UPSTREAM_TIMEOUT_MS', '1500', { sources: expect.objectContaining({ timeoutMs: 1500 }) }],
    ['UPSTREAM_MAX_CONCURRENCY', '2', { sources: expect.objectContaining({ maxConcurrency: 2 }) }],
    ['NEGATIVE_TTL_SECONDS', '5', { sources: expect.objectContaining({ negativeTtlSeconds: 5 }) }],
    ['GRACE_TICKER_SECONDS', '0', { graceSeconds: expect.objectContaining({ ticker: 0 }) }],
    ['GRACE_BARS_SECONDS', '600', { graceSeconds: expect.objectContaining({ bars: 600 }) }],
    ['LOG_LEVEL', 'debug', { logLevel: 'debug' }],
    ['NODE_ENV', 'production', { production: true }],
  ];

  it.each(overrides)('reads %s=%s', (name, value, expected) => {
    expect(loadConfig({ [name]: value })).toMatchObject(expected);
  });

  const ttls: Array<[string, keyof Config['ttlSeconds']]> = [
    ['TTL_TICKER_SECONDS', 'ticker'],
    ['TTL_FUNDING_RATE_SECONDS', 'fundingRate'],
    ['TTL_FEAR_GREED_SECONDS', 'fearGreed'],
    ['TTL_BARS_SECONDS', 'bars'],
    ['TTL_LLM_ANALYSIS_SECONDS', 'llmAnalysis'],
  ];

  it.each(ttls)('reads %s into ttlSeconds.%s, from 1 to 31536000', (name, kind) => {
    expect(loadConfig({ [name]: '1' }).ttlSeconds[kind]).toBe(1);
    expect(loadConfig({ [name]: '31536000' }).ttlSeconds[kind]).toBe(31_536_000);
    expect(loadConfig({ [name]: ' 42 ' }).ttlSeconds[kind]).toBe(42);
  });

  it('accepts a token of exactly 16 characters', () => {
    expect(loadConfig({ WRITER_TOKEN: '0123456789abcdef' }).writerToken).toBe('0123456789abcdef');
  });

  it('returns a frozen config, ttlSeconds included', () => {
    const config = loadConfig({ PORT: '8080' });

    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.ttlSeconds)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.ttlSeconds as { ticker: number }).ticker = 1;
    }).toThrow(TypeError);
    expect(config.port).toBe(8080);
    expect(config.ttlSeconds.ticker).toBe(10);
  });
});

describe('loadConfig with a bad value', () => {
  const INTEGER = (min: number, max: number) => `an integer from ${min} to ${max}`;
  const badValues: Array<[string, string, string, string]> = [
    // [variable, value, what is expected, how the value received is shown]
    ['PORT', 'abc', INTEGER(0, 65_535), '"abc"'],
    ['PORT', '70000', INTEGER(0, 65_535), '"70000"'],
    ['PORT', '-1', INTEGER(0, 65_535), '"-1"'],
    ['PORT', '80.5', INTEGER(0, 65_535), '"80.5"'],
    ['REDIS_URL', 'http://x', 'a redis:// or rediss:// URL', '"http://x"'],
    ['REDIS_URL', 'localhost:6379', 'a redis:// or rediss:// URL', '"localhost:6379"'],
    ['CACHE_NAMESPACE', 'mdc*', '1-64 characters of A-Z a-z 0-9 _ . -', '"mdc*"'],
    ['CACHE_NAMESPACE', 'md{c}', '1-64 characters of A-Z a-z 0-9 _ . -', '"md{c}"'],
    ['CACHE_NAMESPACE', 'mdc:prod', '1-64 characters of A-Z a-z 0-9 _ . -', '"mdc:prod"'],
    ['CACHE_VERSION', 'v1?', '1-64 characters of A-Z a-z 0-9 _ . -', '"v1?"'],
    ...['TTL_TICKER_SECONDS', 'TTL_FUNDING_RATE_SECONDS', 'TTL_FEAR_GREED_SECONDS', 'TTL_BARS_SECONDS', 'TTL_LLM_ANALYSIS_SECONDS'].flatMap(
      (name): Array<[string, string, string, string]> => [
        [name, '0', INTEGER(1, 31_536_000), '"0"'],
        [name, '31536001', INTEGER(1, 31_536_000), '"31536001"'],
        [name, 'ten', INTEGER(1, 31_536_000), '"ten"'],
      ],
    ),
    ['BARS_MAX_PER_SERIES', '0', INTEGER(1, 1_000_000), '"0"'],
    ['MEMORY_MAX_KEYS', '0', INTEGER(1, 100_000_000), '"0"'],
    ['MAX_READ_COST', '0', INTEGER(1, 10_000_000), '"0"'],
    ['MAX_HEAP_MB', '32', INTEGER(64, 65_536), '"32"'],
    ['HTTP_HEADERS_TIMEOUT_MS', '50', INTEGER(100, 600_000), '"50"'],
    ['MAX_CONNECTIONS', '0', INTEGER(1, 1_000_000), '"0"'],
    ['LOG_LEVEL', 'verbose', 'one of fatal, error, warn, info, debug, trace, silent', '"verbose"'],
    ['EXCHANGE_ID', 'Binance US', 'a ccxt exchange id such as binance, bybit or okx', '"Binance US"'],
    ['FEAR_GREED_URL', 'ftp://x/fng', 'an http:// or https:// URL', '"ftp://x/fng"'],
    ['UPSTREAM_TIMEOUT_MS', '0', INTEGER(1, 120_000), '"0"'],
    ['UPSTREAM_MAX_CONCURRENCY', '0', INTEGER(1, 1000), '"0"'],
    ['GRACE_FEAR_GREED_SECONDS', '-1', INTEGER(0, 31_536_000), '"-1"'],
    ['LLM_BASE_URL', 'ftp://llm.internal/v1', 'an http:// or https:// URL', '"ftp://llm.internal/v1"'],
    ['LLM_BASE_URL', 'https://[llm/v1', 'an http:// or https:// URL without credentials', '"https://[llm/v1"'],
  ];

  it('reads WARM_SYMBOLS and WARM_TIMEFRAMES as lists, with an exchange to fill from', () => {
    expect(loadConfig({ EXCHANGE_ID: 'binance', WARM_SYMBOLS: 'BTC/USDT, BTC/USDT:USDT', WARM_TIMEFRAMES: '1h,1d' }).sources).toMatchObject({
      warmSymbols: ['BTC/USDT', 'BTC/USDT:USDT'],
      warmTimeframes: ['1h', '1d'],
    });
    expect(configErrorOf({ WARM_SYMBOLS: 'BTC/USDT' }).message).toBe('WARM_SYMBOLS: expected EXCHANGE_ID to be set too, received WARM_SYMBOLS alone');
    expect(configErrorOf({ EXCHANGE_ID: 'binance', WARM_SYMBOLS: 'BTC USDT' }).message).toBe(
      'WARM_SYMBOLS: expected comma-separated symbols like BTC/USDT,BTC/USDT:USDT, received "BTC USDT"',
    );
    expect(configErrorOf({ EXCHANGE_ID: 'binance', WARM_SYMBOLS: 'BTC/USDT', WARM_TIMEFRAMES: '1h,2d' }).message).toMatch(/^WARM_TIMEFRAMES: expected comma-separated timeframes among 1m .* 1M, received "2d"$/);
  });

  describe('Redis topologies', () => {
    it('reads REDIS_CLUSTER_NODES as seeds, with credentials and TLS written once on the first', () => {
      expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001,[::1]:7002' }).redis).toEqual({
        kind: 'cluster',
        nodes: [
          { host: '10.0.0.1', port: 7000 },
          { host: '10.0.0.2', port: 7001 },
          { host: '::1', port: 7002 },
        ],
        username: undefined,
        password: undefined,
        tls: false,
      });
      expect(loadConfig({ REDIS_CLUSTER_NODES: 'rediss://gateway:p%40ss@redis-1.internal:6379,redis-2.internal:6379' }).redis).toEqual({
        kind: 'cluster',
        nodes: [
          { host: 'redis-1.internal', port: 6379 },
          { host: 'redis-2.internal', port: 6379 },
        ],
        username: 'gateway',
        password: 'p@ss',
        tls: true,
      });
    });

    it('reads REDIS_SENTINELS with REDIS_SENTINEL_NAME, and a database number on the first seed', () => {
      expect(loadConfig({ REDIS_SENTINELS: 'redis://:secret@10.0.0.1:26379/3,10.0.0.2:26379', REDIS_SENTINEL_NAME: 'mymaster' }).redis).toEqual({
        kind: 'sentinel',
        sentinels: [
          { host: '10.0.0.1', port: 26_379 },
          { host: '10.0.0.2', port: 26_379 },
        ],
        name: 'mymaster',
        db: 3,
        username: undefined,
        password: 'secret',
        tls: false,
      });
    });

    it.each([
      [{ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: '127.0.0.1:7000' }, 'REDIS_CLUSTER_NODES: expected only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS, received REDIS_URL and REDIS_CLUSTER_NODES'],
      [{ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS: expected only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS, received REDIS_CLUSTER_NODES and REDIS_SENTINELS'],
      [{ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_SENTINEL_NAME: 'mymaster' }, 'REDIS_SENTINEL_NAME: expected REDIS_SENTINELS to be set too, received REDIS_SENTINEL_NAME alone'],
      [{ REDIS_SENTINELS: '127.0.0.1:26379' }, 'REDIS_SENTINEL_NAME: expected the name of the master the sentinels watch (as in `sentinel monitor <name> ...`), received nothing'],
      [{ REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_NAME: 'my master' }, 'REDIS_SENTINEL_NAME: expected 1-64 characters of A-Z a-z 0-9 _ . -, received "my master"'],
      [{ REDIS_CLUSTER_NODES: '127.0.0.1' }, 'REDIS_CLUSTER_NODES: expected comma-separated seeds, each host:port or a redis:// or rediss:// URL such as rediss://user:password@10.0.0.1:6379, received "127.0.0.1"'],
      [{ REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:70000' }, 'REDIS_CLUSTER_NODES: expected comma-separated seeds, each host:port or a redis:// or rediss:// URL such as rediss://user:password@10.0.0.1:6379, received "127.0.0.1:70000"'],
      [{ REDIS_CLUSTER_NODES: '127.0.0.1:7000,' }, 'REDIS_CLUSTER_NODES: expected comma-separated seeds, each host:port or a redis:// or rediss:// URL such as rediss://user:password@10.0.0.1:6379, received ""'],
      [{ REDIS_CLUSTER_NODES: 'redis://127.0.0.1:7000/2' }, 'REDIS_CLUSTER_NODES: expected seeds without a database number (a cluster has only database 0), received "redis://127.0.0.1:7000/2"'],
      [{ REDIS_CLUSTER_NODES: 'rediss://:hunter2-secret@10.0.0.1:7000,redis://:other-secret@10.0.0.2:7000' }, 'REDIS_CLUSTER_NODES: expected the credentials, TLS and database of the first seed, or none (write them once, on the first seed), received "***@10.0.0.2:7000"'],
    ])('stops start-up on a bad topology: %j', (env, message) => {
      expect(configErrorOf(env).message).toBe(message);
    });

    it("never echoes a seed's password", () => {
      const error = configErrorOf({ REDIS_CLUSTER_NODES: 'redis://:hunter2-secret@10.0.0.1:7000,redis://:hunter2-secret@bad host:7000' });
      expect(error.message).toMatch(/^REDIS_CLUSTER_NODES: expected comma-separated seeds/);
      expect(error.message).not.toContain('hunter2-secret');
    });
  });

  it('refuses EXCHANGE_API_URL without EXCHANGE_ID', () => {
    expect(configErrorOf({ EXCHANGE_API_URL: 'http://127.0.0.1:8080' }).message).toBe('EXCHANGE_API_URL: expected EXCHANGE_ID to be set too, received EXCHANGE_API_URL alone');
  });

  it.each(badValues)('rejects %s=%s, naming the variable, what it expects and what it received', (name, value, expected, received) => {
    const error = configErrorOf({ [name]: value });

    expect(error.message).toBe(`${name}: expected ${expected}, received ${received}`);
  });

  it.each(['WRITER_TOKEN', 'ADMIN_TOKEN'])('rejects %s shorter than 16 characters without echoing it', (name) => {
    const token = 'short-token-15c';
    const error = configErrorOf({ [name]: token });

    expect(error.message).toBe(`${name}: expected at least 16 characters with no white space, received "15 characters"`);
    expect(error.message).not.toContain(token);
  });

  it('rejects a token with white space inside without echoing it', () => {
    const error = configErrorOf({ ADMIN_TOKEN: 'admin token with spaces' });

    expect(error.message).toMatch(/^ADMIN_TOKEN: expected at least 16 characters with no white space, received /);
    expect(error.message).not.toContain('with spaces');
  });

  it.each([
    [{ HTTP_REQUEST_TIMEOUT_MS: '5000' }, 'HTTP_REQUEST_TIMEOUT_MS: expected at least HTTP_HEADERS_TIMEOUT_MS (10000), received "5000"'],
    [{ REDIS_READ_TIMEOUT_MS: '200', REDIS_READ_MAX_MS: '100' }, 'REDIS_READ_MAX_MS: expected at least REDIS_READ_TIMEOUT_MS (200), received "100"'],
  ])('rejects a limit shorter than the one it contains: %j', (env, message) => {
    expect(configErrorOf(env).message).toBe(message);
  });

  it('gives the new bounds their documented defaults', () => {
    const { http } = DEFAULTS;
    expect(loadConfig({})).toMatchObject({
      memoryMaxBytes: DEFAULTS.cache.memoryMaxBytes,
      maxReadCost: DEFAULTS.limits.readCost,
      maxResponseBytes: DEFAULTS.limits.responseBytes,
      maxHeapMb: DEFAULTS.process.maxHeapMb,
      redisReadMaxMs: DEFAULTS.redis.readMaxMs,
      limits: expect.objectContaining({ tokens: DEFAULTS.limits.tokens }),
      http: { headersTimeoutMs: http.headersTimeoutMs, requestTimeoutMs: http.requestTimeoutMs, keepAliveTimeoutMs: http.keepAliveTimeoutMs, maxConnections: http.maxConnections },
    });
  });

  it('rejects a WRITER_TOKEN equal to ADMIN_TOKEN without echoing it', () => {
    const error = configErrorOf({ WRITER_TOKEN: TOKEN_A, ADMIN_TOKEN: TOKEN_A });

    expect(error.message).toMatch(/^WRITER_TOKEN: expected a token different from ADMIN_TOKEN, received /);
    expect(error.message).not.toContain(TOKEN_A);
  });

  it.each([
    ['a URL with another scheme', 'http://default:hunter2-secret@cache.internal:6379'],
    ['a URL with white space in it', 'redis://default:hunter2-secret@cache.internal :6379'],
    ['a URL missing a slash', 'redis:/default:hunter2-secret@cache.internal:6379'],
    ['a URL with no scheme', 'default:hunter2-secret@cache.internal:6379'],
  ])('does not echo the password of %s in REDIS_URL', (_shape, url) => {
    const error = configErrorOf({ REDIS_URL: url });

    expect(error.message).toMatch(/^REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL, received /);
    expect(error.message).not.toContain('hunter2-secret');
  });
});

describe('loadConfig with an LLM', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mdc-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const ANALYSES = { sentiment: { prompt: 'Rate the sentiment as {"score": ...}.', ttlSeconds: 600 }, summary: { prompt: 'Summarise.', model: 'gpt-big' } };
  const analyses = file('analyses.json', JSON.stringify(ANALYSES));
  const KEY = 'sk-proj-secret-key-0123456789';
  const LLM = { LLM_BASE_URL: 'https://api.openai.com/v1', LLM_API_KEY: KEY, LLM_MODEL: 'gpt-4o-mini', LLM_ANALYSES: analyses };

  it('has none without LLM_BASE_URL', () => {
    expect(loadConfig({}).sources.llm).toBeUndefined();
  });

  it('reads LLM_BASE_URL, LLM_API_KEY, LLM_MODEL and LLM_ANALYSES (the file loaded and checked) into sources.llm, frozen', () => {
    const { llm } = loadConfig(LLM).sources;
    expect(llm).toEqual({ baseUrl: 'https://api.openai.com/v1', apiKey: KEY, model: 'gpt-4o-mini', analyses: ANALYSES });
    expect(Object.isFrozen(llm)).toBe(true);
    expect(Object.isFrozen(llm!.analyses)).toBe(true);
  });

  it('needs no LLM_API_KEY (an API on a private network may want none)', () => {
    expect(loadConfig({ ...LLM, LLM_API_KEY: '', LLM_BASE_URL: 'http://127.0.0.1:8080/v1' }).sources.llm).toMatchObject({ apiKey: undefined, baseUrl: 'http://127.0.0.1:8080/v1' });
  });

  it.each([
    ['LLM_MODEL', 'LLM_MODEL: expected a model name, as LLM_BASE_URL is set, received nothing'],
    ['LLM_ANALYSES', 'LLM_ANALYSES: expected the path of a JSON file of analysis types, as LLM_BASE_URL is set, received nothing'],
  ])('refuses LLM_BASE_URL without %s', (missing, message) => {
    expect(configErrorOf({ ...LLM, [missing]: '' }).message).toBe(message);
  });

  it.each(['LLM_API_KEY', 'LLM_MODEL', 'LLM_ANALYSES'])('refuses %s without LLM_BASE_URL', (variable) => {
    const error = configErrorOf({ [variable]: LLM[variable as keyof typeof LLM] });
    expect(error.message).toBe(`${variable}: expected LLM_BASE_URL to be set too, received ${variable} alone`);
    expect(error.message).not.toContain(KEY);
  });

  it.each([
    ['cannot be read', join(dir, 'missing.json'), `LLM_ANALYSES: ${join(dir, 'missing.json')}: cannot be read (ENOENT)`],
    ['is not JSON', file('text.json', 'sentiment: rate it'), /^LLM_ANALYSES: .*text\.json: expected JSON, received text that does not parse/],
    ['has an entry without a prompt', file('no-prompt.json', '{"sentiment": {"ttlSeconds": 60}}'), /^LLM_ANALYSES: .*no-prompt\.json: "sentiment"\.prompt: expected a system prompt of 1-20000 characters/],
    ['misspells a field', file('misspelt.json', '{"sentiment": {"prompt": "Rate it.", "ttl_seconds": 60}}'), /^LLM_ANALYSES: .*misspelt\.json: "sentiment"\.ttl_seconds: expected no fields but prompt, model and ttlSeconds/],
  ])('refuses an LLM_ANALYSES file that %s, naming the variable, the file and the field', (_case, path, message) => {
    const error = configErrorOf({ ...LLM, LLM_ANALYSES: path });
    if (typeof message === 'string') expect(error.message).toBe(message);
    else expect(error.message).toMatch(message);
    expect(error.message).not.toContain(KEY);
  });

  it('refuses an LLM_MODEL over 200 characters', () => {
    expect(configErrorOf({ ...LLM, LLM_MODEL: 'm'.repeat(201) }).message).toBe('LLM_MODEL: expected a model name of 1-200 characters, received 201 characters');
  });

  it('refuses an LLM_API_KEY with white space inside without echoing it', () => {
    const error = configErrorOf({ ...LLM, LLM_API_KEY: 'sk-proj secret-part' });
    expect(error.message).toBe('LLM_API_KEY: expected a key with no white space, received 19 characters');
    expect(error.message).not.toContain('secret-part');
  });

  it('refuses credentials in LLM_BASE_URL without echoing them', () => {
    const error = configErrorOf({ ...LLM, LLM_BASE_URL: 'https://user:hunter2-secret@llm.internal/v1' });
    expect(error.message).toBe('LLM_BASE_URL: expected an http:// or https:// URL without credentials, received "https://***@llm.internal/v1"');
  });
});

describe("the README's configuration tables", () => {
  // Every row `| ... | \`VARIABLE\` | \`default\` | ...`: setting a variable to the default the
  // README gives it must change nothing, so that the README cannot drift from DEFAULTS.
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const documented = [...readme.matchAll(/^\|.*?`([A-Z][A-Z0-9_]+)` \| `([^`]+)`/gm)].map(([, variable, value]) => [variable!, value!] as const);

  it('documents the defaults of at least the thirty variables it lists', () => {
    expect(documented.length).toBeGreaterThanOrEqual(30);
  });

  it.each(documented)('gives %s the default the code has: %s', (variable, value) => {
    expect(loadConfig({ [variable]: value })).toEqual(loadConfig({}));
  });
});
