import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Metrics, OperationType, Outcome } from '../metrics/metrics.js';
import { sameToken } from '../resolvers/auth.js';

export interface MetricsOptions {
  /** When set, `GET /metrics` needs `Authorization: Bearer <token>`. */
  token?: string;
  /** @default '/metrics' */
  endpoint?: string;
}

interface Pending {
  startedMs: number;
  operation: OperationType;
  outcome?: Outcome;
}

/**
 * Counts and times every GraphQL request by operation type (`none` for one refused before an
 * operation was chosen: a body, parse or validation error) and outcome (`error` when the result
 * carries errors), and answers `GET /metrics` with the gateway's metrics in Prometheus's text
 * format, before anything else looks at the request: no CSRF header, no GraphQL.
 *
 * A request is followed by its server context, the one object every hook of it sees (the request
 * itself may be replaced on the way, by the body limit).
 */
export function useMetrics(metrics: Metrics, { token, endpoint = '/metrics' }: MetricsOptions = {}): Plugin {
  const pending = new WeakMap<object, Pending>();
  return {
    onRequest({ url, request, serverContext, endResponse }) {
      if (url.pathname !== endpoint) {
        pending.set(serverContext, { startedMs: performance.now(), operation: 'none' });
        return;
      }
      if (token !== undefined && !sameToken(/^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('authorization') ?? '')?.[1] ?? '', token)) {
        endResponse(
          new Response('expected "Authorization: Bearer <METRICS_TOKEN>"\n', {
            status: 401,
            headers: { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer', 'cache-control': 'no-store' },
          }),
        );
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      return metrics.exposition().then((text) =>
        endResponse(new Response(request.method === 'HEAD' ? null : text, { headers: { 'content-type': metrics.contentType, 'cache-control': 'no-store' } })),
      );
    },
    onExecute({ args }) {
      const request = pending.get(args.contextValue);
      if (request !== undefined) request.operation = getOperationAST(args.document, args.operationName)?.operation ?? 'none';
    },
    onSubscribe({ args }) {
      const request = pending.get(args.contextValue);
      if (request !== undefined) request.operation = 'subscription';
    },
    onResultProcess({ result, serverContext }) {
      const request = pending.get(serverContext);
      // Only `errors` is looked at: a read plan's result parses its `data` when asked for it.
      const failed = (one: { errors?: readonly unknown[] }) => (one.errors?.length ?? 0) > 0;
      if (request !== undefined) request.outcome = Array.isArray(result) ? (result.some(failed) ? 'error' : 'ok') : Symbol.asyncIterator in result ? 'ok' : failed(result) ? 'error' : 'ok';
    },
    onResponse({ serverContext }) {
      const request = pending.get(serverContext);
      // Without an outcome, the request was not a GraphQL one (`/health`, `/ready`, GraphiQL, a 413).
      if (request?.outcome === undefined) return;
      pending.delete(serverContext);
      metrics.request(request.operation, request.outcome, (performance.now() - request.startedMs) / 1000);
    },
  };
}
