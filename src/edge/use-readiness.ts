import type { Plugin } from 'graphql-yoga';

/**
 * `GET /ready`: 200 while the gateway can reach its cache, 503 while it cannot (Redis not yet
 * connected, gone, or behind an open circuit). Liveness stays on `/health`, which answers while
 * the process lives: an orchestrator should route traffic by this one and restart by that one.
 */
export function useReadiness(isReady: () => boolean | Promise<boolean>, endpoint = '/ready'): Plugin {
  return {
    // Not async: every other request goes on without waiting for a promise.
    onRequest({ url, endResponse }) {
      if (url.pathname !== endpoint) return;
      return Promise.resolve(isReady()).then((ready) =>
        endResponse(
        new Response(JSON.stringify({ ready }), {
          status: ready ? 200 : 503,
          headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        }),
        ),
      );
    },
  };
}
