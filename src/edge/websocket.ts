import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { getOperationAST, GraphQLError, type DocumentNode, type ExecutionArgs } from 'graphql';
import { CloseCode, makeServer, type SubscribePayload } from 'graphql-ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { DEFAULTS } from '../defaults.js';
import { badUserInput, coded } from '../errors.js';
import type { Gateway } from '../gateway.js';
import { variablesProblem } from './use-variables-limit.js';
import { persistedQueryOf } from './persisted-documents.js';

export interface WebSocketOptions {
  server: Server;
  gateway: Gateway;
  logger: Logger;
  /** Origins besides the page's own whose browsers may connect (`CORS_ORIGINS`). */
  corsOrigins: readonly string[];
  /** The largest message a client may send (`MAX_BODY_BYTES`, as for a request body). */
  maxMessageBytes: number;
  /** The largest `variables` (`MAX_VARIABLES_BYTES`). */
  maxVariablesBytes: number;
  /** Subscriptions one connection holds at once (`MAX_SUBSCRIPTIONS_PER_CONNECTION`). */
  maxSubscriptions: number;
}

interface Enveloped {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

/**
 * Subscriptions over WebSocket, with the graphql-ws protocol (`graphql-transport-ws`), on the
 * gateway's own `/graphql` path and HTTP server. Each operation goes through yoga's envelop (the
 * same parser limits, validation rules, context and error masking as over HTTP), and the same
 * rules as for HTTP requests hold at the edge:
 *
 * - only subscriptions: queries and mutations go over HTTP, where their limits, authentication,
 *   CSRF checks and metrics are (an operation of another type is refused, and the socket stays);
 * - a browser on another site connects only from an origin of `CORS_ORIGINS` (a WebSocket is not
 *   subject to CORS, so the upgrade checks `Origin` itself); clients that send none (not
 *   browsers) may connect, as they may POST;
 * - a message over `MAX_BODY_BYTES` closes the socket (1009), variables over `MAX_VARIABLES_BYTES`
 *   fail their operation, and a connection holds at most `MAX_SUBSCRIPTIONS_PER_CONNECTION`
 *   subscriptions;
 * - a socket that says nothing (`connection_init`) for `DEFAULTS.live.connectionInitWaitMs` is
 *   closed (4408), and one that stops answering pings is terminated;
 * - a client that stops reading leaves its messages in its subscriptions' bounded queues (a send
 *   waits until the last one was written); past `DEFAULTS.live.maxSocketBufferBytes` written but
 *   unsent (a client that sends pings faster than it reads), the socket is closed (1013).
 *
 * Why not graphql-ws's own `useServer`: it reports every socket error (a message too large,
 * a client gone) on the console as an "internal error"; here they go to the log, at debug.
 */
export function serveWebSockets({ server, gateway, logger, corsOrigins, maxMessageBytes, maxVariablesBytes, maxSubscriptions }: WebSocketOptions) {
  const endpoint = gateway.graphqlEndpoint;
  const allowed = new Set(corsOrigins);
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: maxMessageBytes,
    // graphql-ws's protocol, and only it: an older client's `graphql-ws` subprotocol is refused.
    handleProtocols: (protocols) => (protocols.has('graphql-transport-ws') ? 'graphql-transport-ws' : false),
  });

  const protocol = makeServer<undefined, { socket: WebSocket; request: IncomingMessage }>({
    connectionInitWaitTimeout: DEFAULTS.live.connectionInitWaitMs,
    execute: (args) => (args.rootValue as Enveloped).execute(args) as never,
    subscribe: (args) => (args.rootValue as Enveloped).subscribe(args) as never,
    async onSubscribe(ctx, _id, payload: SubscribePayload) {
      // The one being subscribed is already counted.
      const held = Object.keys(ctx.subscriptions).length;
      if (held > maxSubscriptions) {
        return [
          coded('TOO_MANY_SUBSCRIPTIONS', `subscriptions on this connection: expected at most ${maxSubscriptions} (MAX_SUBSCRIPTIONS_PER_CONNECTION), received ${held}`),
        ];
      }
      // Persisted documents (PERSISTED_DOCUMENTS), by the rules of HTTP. graphql-ws requires
      // `query` to be a string but passes other fields of the payload through, so a subscription
      // by id sends `{ query: '', documentId: 'sha256:...' }`.
      let query = payload.query;
      const { persistedDocuments, persistedDocumentsOnly } = gateway;
      if (persistedDocuments !== undefined) {
        const text = persistedQueryOf(payload, { documents: persistedDocuments, only: persistedDocumentsOnly });
        if (typeof text !== 'string') return [text];
        query = text;
      }
      const tooLarge = variablesProblem(payload.variables, maxVariablesBytes);
      if (tooLarge !== undefined) return [tooLarge];
      const request = new Request(new URL(endpoint, 'http://gateway'));
      const { schema, execute, subscribe, contextFactory, parse, validate } = gateway.getEnveloped({ request, params: { ...payload, query } });
      // The limits' rules throw their rejection (see use-operation-limits.ts), in parsing or validation.
      let document: DocumentNode;
      try {
        document = parse(query);
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
      } catch (error) {
        if (error instanceof GraphQLError) return [error];
        throw error;
      }
      const operation = getOperationAST(document, payload.operationName)?.operation;
      if (operation !== 'subscription') {
        return [badUserInput('operation', 'a subscription over WebSocket (queries and mutations go over HTTP)', operation ?? 'none')];
      }
      return {
        schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue: await contextFactory(),
        rootValue: { execute, subscribe } satisfies Enveloped,
      };
    },
  });

  sockets.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    socket.on('error', (error) => logger.debug({ err: error }, 'WebSocket closed on an error'));
    // A client that stops answering pings (gone without a word) is let go.
    let alive = true;
    socket.on('pong', () => (alive = true));
    const ping = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, DEFAULTS.live.pingIntervalMs);
    const closed = protocol.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            if (socket.bufferedAmount > DEFAULTS.live.maxSocketBufferBytes) {
              socket.close(1013, 'Too much unsent: read faster');
              return resolve();
            }
            // Resolves once written to the socket: the subscription sends its next message only then.
            socket.send(data, () => resolve());
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data, isBinary) => {
            if (isBinary) return socket.close(CloseCode.BadRequest, 'Expected text messages');
            handle(String(data)).catch((error: unknown) => {
              logger.error({ err: error }, 'WebSocket: a message failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      clearInterval(ping);
      void closed(code, String(reason));
    });
  });

  const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://gateway').pathname;
    if (path !== endpoint) return refuse(socket, 404, 'Not Found');
    const origin = request.headers.origin;
    if (origin !== undefined && !allowed.has(origin) && !sameOrigin(origin, request.headers.host)) return refuse(socket, 403, 'Forbidden');
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
  };
  server.on('upgrade', upgrade);

  return {
    /** Closes every socket (1001, going away) and stops accepting new ones. */
    close() {
      server.off('upgrade', upgrade);
      for (const socket of sockets.clients) socket.close(1001, 'Going away');
      sockets.close();
    },
  };
}

/** Whether `origin` is the page the gateway itself served (its `Host`). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

function refuse(socket: Duplex, status: number, reason: string) {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  // A client that never closes its side does not keep the socket.
  setTimeout(() => socket.destroy(), 1000).unref();
}
