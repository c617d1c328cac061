import { loadConfig } from '../../src/config.js';
import { start } from '../../src/main.js';
import { ADMIN_TOKEN, captureLogger, WRITER_TOKEN } from './gateway.js';
import { post, type GraphQLBody } from './load.js';

/**
 * The gateway as `npm start` wires it (Redis client, store guards, HTTP listener), in this
 * process on a real loopback port, logging to an array. Requests go over HTTP with `fetch`, each
 * bounded, so a hung request fails the test instead of stalling it.
 */
export interface LiveGateway {
  url: string;
  logs: Array<Record<string, any>>;
  /** Posts an operation; `status` 0 means no answer within `hangMs`. */
  gql(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLBody & { status: number; ms: number }>;
  /** GET of a path such as `/ready`; `status` 0 means no answer within `hangMs`. */
  get(path: string): Promise<{ status: number; body: unknown }>;
  shutdown(): Promise<void>;
}

const HANG_MS = 2000;

/** `redis`: a standalone Redis's URL, or the variables of any topology (`REDIS_CLUSTER_NODES`, ...). */
export async function startLiveGateway(redis: string | Record<string, string>, env: Record<string, string> = {}): Promise<LiveGateway> {
  const logs: Array<Record<string, any>> = [];
  const config = loadConfig({
    ...(typeof redis === 'string' ? { REDIS_URL: redis } : redis),
    WRITER_TOKEN,
    ADMIN_TOKEN,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...env,
  });
  const gateway = await start(config, { handleSignals: false, logger: captureLogger(logs) });
  return {
    url: gateway.url,
    logs,
    async gql(query, variables, token) {
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      const sample = await post(gateway.url, JSON.stringify({ query, variables }), headers, HANG_MS);
      return { status: sample.status, ms: sample.ms, ...sample.body };
    },
    async get(path) {
      try {
        const response = await fetch(new URL(path, gateway.url), { signal: AbortSignal.timeout(HANG_MS) });
        const text = await response.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text, the test says what it expected
        }
        return { status: response.status, body };
      } catch {
        return { status: 0, body: undefined };
      }
    },
    shutdown: () => gateway.shutdown('test'),
  };
}
