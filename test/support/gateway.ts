import { pino, type Logger } from 'pino';
import { Writable } from 'node:stream';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CacheStore } from '../../src/cache/store.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createGateway } from '../../src/gateway.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';

export const WRITER_TOKEN = 'writer-token-for-tests-0123456789';
export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string } }>;
}

export interface TestGateway {
  config: Config;
  logs: Array<Record<string, unknown>>;
  metrics: Metrics;
  /** Posts an operation in-process (no socket) and returns the parsed body and status. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>>;
  fetch(input: string, init?: RequestInit): Promise<Response>;
  /**
   * Serves the gateway over a real `node:http` server on a free loopback port, as `npm start`
   * does (through the fast lane unless `FAST_LANE=false`); `close` stops it.
   */
  listen(): Promise<{ url: string; close(): Promise<void> }>;
}

/** A gateway over `store`, configured as from `env` (tokens set unless overridden), logging to an array. */
export function testGateway(store: CacheStore, env: Record<string, string | undefined> = {}): TestGateway {
  const config = loadConfig({ WRITER_TOKEN, ADMIN_TOKEN, LOG_LEVEL: 'info', ...env });
  const logs: Array<Record<string, unknown>> = [];
  const logger = captureLogger(logs);
  const metrics = createMetrics();
  const gateway = createGateway({ config, store, logger, metrics });
  return {
    config,
    logs,
    metrics,
    fetch: (input, init) => Promise.resolve(gateway.fetch(new URL(input), init ?? {})),
    async listen() {
      const server = createServer(gateway.fastLane);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      return {
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      };
    },
    async gql(query, variables, token) {
      const response = await gateway.fetch(new URL('http://gateway.test/graphql'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as object) };
    },
  };
}

export function captureLogger(logs: Array<Record<string, unknown>>): Logger {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  return pino({ level: 'info' }, sink);
}
