import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import type { ContextRequest, GatewayContext } from '../resolvers/context.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ReadPlans } from '../read/plan/read-plans.js';
import type { KnownDocuments } from './known-documents.js';
import { DEFAULTS } from '../defaults.js';
import { cachingHeaders } from './http-caching.js';
import { documentTextOf } from './persisted-documents.js';
import { readCostOf } from './use-read-cost.js';
import { variablesProblem } from './use-variables-limit.js';

/** What yoga's Node listener is called with: the request, its response, and what to add to its server context. */
type NodeListener = (request: IncomingMessage, response: ServerResponse, serverContext?: FastLaneServerContext) => unknown;

/** Handed to yoga with a request whose read plan ran here and met something only the executor reports. */
export interface FastLaneServerContext {
  /** The context the plan ran with: its loaders hold what it read, so the executor reads nothing again. */
  fastLaneContext: GatewayContext;
}

export interface FastLaneDeps {
  /** yoga's Node listener: every request the fast lane does not answer goes to it as it came. */
  yoga: NodeListener;
  schema: GraphQLSchema;
  plans: ReadPlans;
  known: KnownDocuments;
  context: (request: ContextRequest) => GatewayContext;
  metrics: Metrics;
  maxBodyBytes: number;
  maxVariablesBytes: number;
  maxReadCost: number;
  corsOrigins: readonly string[];
  /** Persisted documents by id, and whether only those are accepted. */
  persisted?: { documents: ReadonlyMap<string, string>; only: boolean };
  /** @default '/graphql' */
  endpoint?: string;
}

/** The one thing both request forms carry once read: what yoga would take as its params. */
interface Params {
  query: string | undefined;
  documentId: string | undefined;
  operationName: string | null | undefined;
  variables: Record<string, unknown> | null | undefined;
}

const PARAMS: ReadonlySet<string> = new Set(['query', 'operationName', 'variables', 'extensions', 'documentId']);
const JSON_CONTENT_TYPES: ReadonlySet<string> = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);

/**
 * The fast lane: a `node:http` request listener in front of yoga that answers, straight from the
 * socket, the requests a read plan answers, and hands every other request to yoga as it came.
 *
 * It answers a request only when yoga would answer it with exactly these bytes and headers, and
 * never decides anything yoga decides:
 * - The document must be known (src/edge/known-documents.ts): an earlier request brought the same
 *   text and operation name through yoga, which parsed and validated it, applied every limit of
 *   the edge and let a read plan answer it. So nothing here parses, validates or refuses.
 * - What a limit decides per request is checked again, and any doubt hands over: the body's
 *   declared size (`MAX_BODY_BYTES`; a body over 64 KiB, a write, goes to yoga unread), the
 *   variables' size (`MAX_VARIABLES_BYTES`), the read cost of these variables (`MAX_READ_COST`),
 *   and the plan's own coercion of them.
 * - Only the plain forms of a request: POST `application/json` with a `Content-Length`, or GET
 *   with the CSRF header; an `Accept` that negotiates a JSON result exactly as yoga does; no
 *   `Origin` that CORS allows (yoga writes those answers, with their CORS headers); no
 *   `extensions`; in persisted-only mode, a document id and never a `query`.
 * - A plan that meets anything out of the ordinary hands over with what it read (its context), so
 *   the executor reports it as always and Redis is not read twice.
 *
 * What the generic layer costs per request (a whatwg `Request` and `Response`, the envelop hook
 * chain, parsing the body through web streams) is what this saves: see the README's benchmark.
 */
export function createFastLane(deps: FastLaneDeps): (request: IncomingMessage, response: ServerResponse) => void {
  const { yoga, endpoint = '/graphql' } = deps;
  const allowedOrigins = new Set(deps.corsOrigins);
  const queryStart = endpoint.length;

  /** Whether the request's headers let this lane answer it; the media type it answers with. */
  function mediaTypeFor(request: IncomingMessage): string | undefined {
    const origin = request.headers.origin;
    if (origin !== undefined && allowedOrigins.has(origin)) return undefined;
    return negotiate(request.headers.accept);
  }

  function handOver(request: IncomingMessage, response: ServerResponse, body?: ReadBody, ctx?: GatewayContext) {
    if (request.url !== undefined && request.url.startsWith(endpoint)) deps.metrics.fastLane('handed_over');
    // whatwg-node takes a body already read from `request.body`: a parsed object as yoga's
    // `request.json()` (so yoga does not parse it again), bytes as the body itself.
    if (body !== undefined) (request as IncomingMessage & { body?: Buffer | object }).body = body.parsed ?? body.bytes;
    void yoga(request, response, ctx && { fastLaneContext: ctx });
  }

  async function answer(request: IncomingMessage, response: ServerResponse, params: Params, mediaType: string, started: number, body?: ReadBody) {
    const { persisted } = deps;
    if (params.query !== undefined && params.documentId !== undefined) return handOver(request, response, body);
    if (persisted?.only && params.query !== undefined) return handOver(request, response, body);
    const text = params.query ?? (params.documentId === undefined || persisted === undefined ? undefined : documentTextOf(persisted.documents, params.documentId));
    const known = text === undefined ? undefined : deps.known.get(text, params.operationName);
    if (known === undefined) return handOver(request, response, body);
    if (variablesProblem(params.variables, deps.maxVariablesBytes) !== undefined) return handOver(request, response, body);
    if (readCostOf(known.document, known.plan.operation, params.variables ?? {}) > deps.maxReadCost) return handOver(request, response, body);

    const ctx = deps.context({ headers: { get: (name) => headerOf(request, name) } });
    let json: string | undefined;
    try {
      json = await deps.plans.run(known.plan, deps.schema, params.variables, ctx);
    } catch {
      return handOver(request, response, body); // not expected: yoga answers from scratch
    }
    if (json === undefined) return handOver(request, response, body, ctx);

    if (request.method !== 'GET') {
      response.writeHead(200, { 'content-type': `${mediaType}; charset=utf-8`, 'content-length': Buffer.byteLength(json) }).end(json);
    } else {
      // As useHttpCaching caches yoga's answers (src/edge/http-caching.ts).
      const { status, headers } = cachingHeaders({
        method: 'GET',
        authorized: request.headers.authorization !== undefined,
        ok: true,
        freshness: ctx.loaders.freshness(),
        body: json,
        ifNoneMatch: headerOf(request, 'if-none-match'),
        nowMs: Date.now(),
      });
      if (status === 304) response.writeHead(304, headers).end();
      else response.writeHead(200, { 'content-type': `${mediaType}; charset=utf-8`, ...headers, 'content-length': Buffer.byteLength(json) }).end(json);
    }
    deps.metrics.fastLane('answered');
    deps.metrics.request('query', 'ok', (performance.now() - started) / 1000);
  }

  /** `answer`, and should anything in it throw unexpectedly before a byte is written, yoga instead. */
  function serve(request: IncomingMessage, response: ServerResponse, params: Params, mediaType: string, started: number, body?: ReadBody) {
    answer(request, response, params, mediaType, started, body).catch(() => {
      if (!response.headersSent) handOver(request, response, body);
    });
  }

  return function fastLane(request, response) {
    const started = performance.now();
    const url = request.url ?? '';
    const path = url.length === queryStart || url.charCodeAt(queryStart) === 63 /* ? */ ? url.slice(0, queryStart) : undefined;
    if (path !== endpoint) return handOver(request, response);
    const mediaType = mediaTypeFor(request);
    if (mediaType === undefined) return handOver(request, response);

    if (request.method === 'GET') {
      if (!csrfSafe(request)) return handOver(request, response);
      const params = getParams(url.slice(queryStart + 1));
      if (params === undefined) return handOver(request, response);
      return serve(request, response, params, mediaType, started);
    }

    if (request.method !== 'POST' || url.length !== queryStart) return handOver(request, response);
    const contentType = request.headers['content-type'];
    const declared = request.headers['content-length'];
    // Compared as yoga compares it: exactly, case included.
    if (contentType === undefined || !JSON_CONTENT_TYPES.has(contentType)) return handOver(request, response);
    if (declared === undefined || request.headers['transfer-encoding'] !== undefined || !/^\d+$/.test(declared)) return handOver(request, response);
    if (Number(declared) > Math.min(deps.maxBodyBytes, DEFAULTS.fastLaneMaxBodyBytes)) return handOver(request, response);
    readBody(request).then(
      (bytes) => {
        const body = parsedBody(bytes);
        const params = body.parsed && postParams(body.parsed);
        if (params === undefined) return handOver(request, response, body);
        return serve(request, response, params, mediaType, started, body);
      },
      // The client went away or broke the request: Node closes the socket, nothing to answer.
      () => undefined,
    );
  };
}

/**
 * The body of a request whose `Content-Length` Node holds it to (its parser reads exactly that
 * many bytes, at most `fastLaneMaxBodyBytes` here). Held as it arrives, never allocated ahead of it: a
 * client that declares a large body and sends none of it costs nothing until `requestTimeout`.
 */
function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

/**
 * A POST's body as read, and parsed when it is a JSON object with at least one field: the one
 * form whatwg-node hands yoga as it is (an empty object it would read again from the request,
 * already consumed). Anything else (bad JSON, a byte-order mark, an array) yoga gets as bytes.
 */
interface ReadBody {
  bytes: Buffer;
  parsed?: Record<string, unknown>;
}

function parsedBody(bytes: Buffer): ReadBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { bytes };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.keys(parsed).length === 0) return { bytes };
  return { bytes, parsed: parsed as Record<string, unknown> };
}

/** yoga's params from a JSON body, or `undefined` for anything but the plain form. */
function postParams(fields: Record<string, unknown>): Params | undefined {
  for (const key in fields) if (!PARAMS.has(key)) return undefined;
  const { query, operationName, variables, extensions, documentId } = fields;
  if (extensions != null) return undefined;
  if (query !== undefined && (typeof query !== 'string' || query === '')) return undefined;
  if (documentId !== undefined && typeof documentId !== 'string') return undefined;
  if (operationName != null && typeof operationName !== 'string') return undefined;
  if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
  return { query, documentId, operationName, variables } as Params;
}

/** yoga's params from a query string (`URLSearchParams`, as yoga reads them), or `undefined`. */
function getParams(search: string): Params | undefined {
  const params = new URLSearchParams(search);
  if (params.get('extensions')) return undefined;
  const rawVariables = params.get('variables') || undefined;
  let variables: unknown;
  try {
    variables = rawVariables === undefined ? undefined : JSON.parse(rawVariables);
  } catch {
    return undefined;
  }
  if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
  return {
    query: params.get('query') || undefined,
    documentId: params.get('documentId') || undefined,
    operationName: params.get('operationName') || undefined,
    variables: variables as Params['variables'],
  };
}

/**
 * The media type yoga's result processors answer a non-streaming result with for this `Accept`,
 * or `undefined` when it is not a JSON one. Their rule, exactly: the accepted types are taken
 * last to first, each matched against `application/graphql-response+json` then `application/json`,
 * and the last match wins (a charset other than UTF-8 disqualifies a type).
 */
function negotiate(accept: string | undefined): string | undefined {
  if (accept === undefined || accept === '*/*' || accept === 'application/json') return 'application/json';
  let chosen: string | undefined;
  const types = accept.replace(/\s/g, '').toLowerCase().split(',').reverse();
  for (const accepted of types) {
    const [mediaType, ...parameters] = accepted.split(';');
    const charset = parameters.find((parameter) => parameter.includes('charset=')) ?? 'charset=utf-8';
    if (charset !== 'charset=utf-8' || mediaType === undefined) continue;
    for (const offered of ['application/graphql-response+json', 'application/json']) if (matches(mediaType, offered)) chosen = offered;
  }
  return chosen;
}

function matches(asked: string, offered: string): boolean {
  const [askedType, askedSubtype] = asked.split('/');
  const [type, subtype] = offered.split('/');
  return (askedType === '*' || askedType === type) && (askedSubtype === '*' || askedSubtype === subtype);
}

/** yoga's CSRF prevention (src/edge/use-csrf-prevention.ts) lets this GET through. */
function csrfSafe(request: IncomingMessage): boolean {
  if (request.headers['x-graphql-yoga-csrf'] !== undefined) return true;
  const contentType = request.headers['content-type'];
  return contentType !== undefined && contentType !== '' && !/^(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)/i.test(contentType);
}

function headerOf(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name];
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
}
