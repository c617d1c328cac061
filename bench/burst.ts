import { Agent, request } from 'node:http';

/** One answer of a burst: its status and body, or why there was none; `ms` from send to the last byte. */
export type Answer = { ms: number; status: number; body: string } | { ms: number; error: string };

/** A request slower than this is cut off and counts as failed: far beyond any figure worth reporting. */
const TIMEOUT_MS = 10_000;

/**
 * Sends bursts of identical POSTs to one URL: every request of a burst is written in the same
 * tick, each on its own keep-alive connection (opened by the first burst and reused by the next
 * ones, so that later bursts time the server, not TCP handshakes). Each request is timed alone,
 * from just before it is written to the last byte of its answer.
 */
export function createBurster(url: string, body: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const target = new URL(url);
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };

  function one(): Promise<Answer> {
    return new Promise((resolve) => {
      const startedAt = performance.now();
      const ms = () => performance.now() - startedAt;
      const req = request(target, { method: 'POST', agent, headers, timeout: TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ ms: ms(), status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (error) => resolve({ ms: ms(), error: error.message }));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      req.on('error', (error) => resolve({ ms: ms(), error: error.message }));
      req.end(body);
    });
  }

  return {
    /** `count` requests at once; resolves with every answer (never rejects). */
    fire: (count: number) => Promise.all(Array.from({ length: count }, one)),
    close: () => agent.destroy(),
  };
}
