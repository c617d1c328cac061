import { IncomingMessage } from 'node:http';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../errors.js';
import { DEFAULTS } from '../defaults.js';

export interface BodyLimitOptions {
  /**
   * The largest request body accepted, in bytes.
   * @default 2097152 (2 MiB)
   */
  maxBytes?: number;
}

/**
 * Rejects a request body over `maxBytes` with HTTP 413 and code `PAYLOAD_TOO_LARGE`, before
 * any of it is parsed and without buffering more than `maxBytes` of it.
 *
 * A declared `Content-Length` over the limit is refused without reading a byte. The header
 * cannot be trusted, though (a chunked body has none, and in-process callers can send one that
 * lies), so the body itself is also counted as it streams in, and its reading fails as soon as
 * more than `maxBytes` have arrived. Both failures surface where yoga reads the body, which reports a
 * `GraphQLError` it meets there as it is, with its status.
 *
 * It replaces yoga's own limit (`maxRequestBodySize`, to be set to `false`), whose message
 * names neither the limit nor the size, and which checks `Content-Length` before this could.
 */
export function useBodyLimit({ maxBytes = DEFAULTS.limits.bodyBytes }: BodyLimitOptions = {}): Plugin {
  return {
    onRequest({ request, setRequest, fetchAPI, serverContext }) {
      const declared = request.headers.get('content-length');
      const declaredBytes = declared !== null && /^\d+$/.test(declared) ? Number(declared) : undefined;
      // Node's HTTP parser reads exactly the declared Content-Length of body (and refuses a request
      // that also declares chunks), so such a request needs no counting: its body is left alone,
      // for yoga to read the fast way.
      if (declaredBytes !== undefined && declaredBytes <= maxBytes && cameThroughNodeHttp(serverContext)) return;
      const body = request.body;
      if (body === null) return;

      const limited =
        declaredBytes !== undefined && declaredBytes > maxBytes
          ? refuse(payloadTooLarge(maxBytes, `${declaredBytes} bytes (Content-Length)`))
          : countedUpTo(maxBytes, body);
      // whatwg-node's Request takes an async iterable body, as it does Node's request itself.
      const init = { method: request.method, headers: request.headers, signal: request.signal, body: limited, duplex: 'half' };
      setRequest(new fetchAPI.Request(request.url, init as unknown as RequestInit));
    },
  };
}

function cameThroughNodeHttp(serverContext: unknown): boolean {
  return (serverContext as { req?: unknown } | undefined)?.req instanceof IncomingMessage;
}

// The limit throws inside an async generator rather than failing a TransformStream: whatwg-node
// destroys the source of a failed pipe (and of a released reader), and destroying Node's request
// resets the connection before the 413 is written. The rest of the body is left unread instead,
// and the 413 says `Connection: close`: a keep-alive client would otherwise send its next request
// down a socket still holding the rest of this body, and wait for an answer that never comes.
async function* refuse(error: Error): AsyncGenerator<Uint8Array> {
  throw error;
}

async function* countedUpTo(maxBytes: number, body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let bytesRead = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    bytesRead += value.byteLength;
    // Over the limit the reader is neither cancelled nor released (see above).
    if (bytesRead > maxBytes) throw payloadTooLarge(maxBytes, `more than ${maxBytes} bytes`);
    yield value;
  }
}

function payloadTooLarge(maxBytes: number, received: string) {
  return createGraphQLError(`request body: expected at most ${maxBytes} bytes (MAX_BODY_BYTES), received ${received}`, {
    extensions: { code: 'PAYLOAD_TOO_LARGE' satisfies ErrorCode, http: { status: 413, headers: { connection: 'close' } } },
  });
}
