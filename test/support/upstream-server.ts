import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * A real HTTP server on loopback standing in for a public API this machine cannot reach. Each
 * upstream's module gives it a route table that speaks the documented wire format; this module
 * adds what every such stand-in needs: failure modes, a delay, and a record of every request.
 */

export interface UpstreamRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface UpstreamAnswer {
  /** 200 by default. */
  status?: number;
  headers?: Record<string, string>;
  /** A string or bytes, or chunks streamed with back-pressure (an endless generator streams until the client hangs up). */
  body?: string | Uint8Array | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;
}

/** Answers one request; `url` is the request's, resolved against the server. */
export type Route = (request: UpstreamRequest, url: URL) => UpstreamAnswer | Promise<UpstreamAnswer>;

/** Keyed `METHOD /path` (no query): `GET /fng/`. Any other request is answered 404. */
export type Routes = Record<string, Route>;

/** How the server misbehaves; at most one of the failures applies, in the order listed. */
export interface UpstreamModes {
  /** Waits this long before answering (or failing), in ms. */
  delayMs?: number;
  /** Hangs up without answering. */
  close?: boolean;
  /** `429 Too Many Requests`, with `Retry-After: <retryAfterSeconds>` (or `retryAfter` verbatim, e.g. an HTTP-date). */
  status429?: { retryAfterSeconds?: number; retryAfter?: string };
  /** `500 Internal Server Error`, with an HTML body. */
  status500?: boolean;
  /** 200 with a body that is not JSON (or with this body). */
  garbage?: boolean | string;
  /** Answers every request with this instead of its route. */
  answer?: UpstreamAnswer;
}

export interface UpstreamServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Every request received, in order, whatever it was answered. */
  readonly requests: readonly UpstreamRequest[];
  /** How many requests arrived (for `path`: with that path, query aside). */
  calls(path?: string): number;
  /** Replaces the modes of `path` (query aside), or of every path without modes of its own; `{}` clears them. */
  setModes(modes: UpstreamModes, path?: string): void;
  /** Forgets the requests and the modes. */
  reset(): void;
  stop(): Promise<void>;
}

export async function startUpstreamServer(routes: Routes): Promise<UpstreamServer> {
  const requests: UpstreamRequest[] = [];
  /** By path; `''` for every path. */
  const modes = new Map<string, UpstreamModes>();

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request: UpstreamRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    requests.push(request);
    const url = new URL(request.path, 'http://127.0.0.1');
    const current = modes.get(url.pathname) ?? modes.get('') ?? {};
    if (current.delayMs) await new Promise((resolve) => setTimeout(resolve, current.delayMs).unref());
    if (res.destroyed) return;
    if (current.close) {
      req.socket.destroy();
      return;
    }
    try {
      const route = routes[`${request.method} ${url.pathname}`];
      const answer = misbehaviourOf(current) ?? (route ? await route(request, url) : { status: 404, body: 'not found' });
      await send(res, answer);
    } catch (error) {
      // A route that throws is a bug in the test: answer 500 and say why.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    }
  }

  // A client that hangs up mid-request is not an error of the server.
  const server = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    calls: (path) => (path === undefined ? requests : requests.filter((r) => r.path.split('?')[0] === path)).length,
    setModes(next, path = '') {
      modes.set(path, { ...next });
    },
    reset() {
      requests.length = 0;
      modes.clear();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function misbehaviourOf(modes: UpstreamModes): UpstreamAnswer | undefined {
  if (modes.status429) {
    const { retryAfterSeconds, retryAfter } = modes.status429;
    const value = retryAfter ?? (retryAfterSeconds === undefined ? undefined : String(retryAfterSeconds));
    return { status: 429, headers: value === undefined ? {} : { 'retry-after': value }, body: '{"error":"Too Many Requests"}' };
  }
  if (modes.status500) return { status: 500, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>500 Internal Server Error</h1></body></html>' };
  if (modes.garbage) return { body: typeof modes.garbage === 'string' ? modes.garbage : '<!DOCTYPE html>\u0000\u00ff{"data": [tru' };
  return modes.answer;
}

async function send(res: ServerResponse, { status = 200, headers = {}, body = '' }: UpstreamAnswer) {
  const merged = { 'content-type': 'application/json', ...headers };
  if (typeof body === 'string' || body instanceof Uint8Array) {
    res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...merged });
    res.end(body);
    return;
  }
  res.writeHead(status, merged);
  // Ends when the body does, or when the client hangs up (the generator is then returned).
  await pipeline(Readable.from(body), res).catch(() => {});
}

/** A body that never ends on its own: it streams `chunk` until the client hangs up, counting what it sent. */
export function endlessBody(chunk: Uint8Array = Buffer.alloc(16 * 1024, ' ')) {
  const progress = { sentBytes: 0, /** Whether the client hung up, and the server stopped sending. */ ended: false };
  async function* body() {
    try {
      for (;;) {
        progress.sentBytes += chunk.byteLength;
        yield chunk;
      }
    } finally {
      progress.ended = true;
    }
  }
  return Object.assign(progress, { body: body() });
}
