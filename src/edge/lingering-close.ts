import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { DEFAULTS } from '../defaults.js';

export interface LingeringCloseOptions {
  /**
   * The most of a refused body read and thrown away so that its sender sees the answer; a body
   * declared larger is not waited for.
   * @default 16 MiB
   */
  maxBytes?: number;
  /** The longest a refused body is waited for. @default 5000 */
  maxMs?: number;
}

/**
 * Closes a connection whose request body was refused (HTTP 413) the way nginx does, lingering:
 * the answer is sent and the sending side shut, then the rest of the body is read and thrown away,
 * up to `maxBytes` and `maxMs`, before the connection goes.
 *
 * Node would destroy the socket as soon as the 413 was written. A client still sending its body
 * then meets a reset: curl shows the 413 it already received, but Node's `fetch` (undici) reports
 * only `EPIPE`. A body declared larger than `maxBytes` is refused fast, as before: no client
 * deserves the wait.
 */
export function useLingeringClose(server: Server, { maxBytes = 8 * DEFAULTS.limits.bodyBytes, maxMs = DEFAULTS.http.lingerMs }: LingeringCloseOptions = {}) {
  const requestOf = new WeakMap<Socket, IncomingMessage>();
  server.on('request', (request: IncomingMessage) => requestOf.set(request.socket, request));
  server.on('connection', (socket: Socket & { destroySoon?: () => void }) => {
    const destroySoon = socket.destroySoon;
    if (typeof destroySoon !== 'function') return;
    socket.destroySoon = function lingerThenDestroy(this: Socket) {
      const request = requestOf.get(socket);
      const declared = Number(request?.headers['content-length'] ?? 0);
      if (request === undefined || request.complete || declared > maxBytes) return destroySoon.call(this);
      socket.end(); // the answer is flushed first; the client may go on sending
      // Counted at the socket: Node's parser may discard a refused body without emitting it.
      const startBytes = socket.bytesRead;
      const done = () => {
        clearInterval(watch);
        clearTimeout(timer);
        socket.destroy();
      };
      const timer = setTimeout(done, maxMs);
      const watch = setInterval(() => {
        if (socket.bytesRead - startBytes > maxBytes) done();
      }, 20);
      request.removeAllListeners('data');
      request.once('end', done);
      request.once('error', done);
      socket.once('close', done);
      request.resume();
    };
  });
}
