import { createHash } from 'node:crypto';
import { getOperationAST, Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Freshness } from '../read/loaders.js';
import { rootReads } from '../read/root-reads.js';
import type { GatewayContext } from '../resolvers/context.js';

export interface CachingInput {
  /** The request's method: only a `GET` is given caching headers. */
  method: string;
  /** Whether the request carries an `Authorization` header, whatever its value. */
  authorized: boolean;
  /** Whether the response is a query's answer with status 200 and no error in it. */
  ok: boolean;
  /**
   * How long what the response serves stays fresh (`loaders.freshness()`), with `unknown` set if
   * anything in it was read some other way (`symbols`, introspection).
   */
  freshness: Freshness;
  /** The response body, exactly as sent; hashed only when a cache may store it. */
  body: string | Uint8Array;
  /** The request's `If-None-Match` header, `null` when absent. */
  ifNoneMatch: string | null;
  /** Now, in ms since the epoch. */
  nowMs: number;
}

export interface Caching {
  /**
   * 304: answer `Not Modified` instead, with no body and the same headers (`headers` included)
   * but the body's `Content-Type` and `Content-Length`. 200: answer as you would.
   */
  status: 200 | 304;
  /**
   * Headers to set on the response: none for a method other than `GET`; else `cache-control`,
   * and for a response a cache may store, `etag` and `vary` (to merge with any `Vary` already set).
   */
  headers: Record<string, string>;
}

/**
 * The HTTP caching headers of a response to a GraphQL request, so that a CDN or a browser can
 * absorb polling:
 *
 * - not a `GET`: none (a POST is not cached by HTTP caches, and its answer stays as it was);
 * - not `ok` (an error, a status other than 200, not a query), `authorized`, or anything served
 *   stale: `cache-control: no-store`; the answer must not outlive the request, and one that
 *   depends on a token must not be shared;
 * - every value served a fresh one with an `expiresAt` (points, and trades by their log's stamp):
 *   `cache-control: public, max-age=<whole seconds until the earliest expiresAt, at least 0>`;
 * - otherwise (something served has no known freshness: bars, a latest bar, a null, `symbols`;
 *   or nothing was served at all): `cache-control: no-cache`; a cache may keep it but must ask
 *   again each time, and the `ETag` lets the gateway answer 304 instead of sending the bytes.
 *
 * Whatever a cache may store gets a strong `etag` (the SHA-1 of the exact body, base64url, quoted)
 * and `vary: Accept, Origin` (the content type follows `Accept`, the CORS headers `Origin`). An
 * `If-None-Match` that lists it (weak comparison, so `W/"x"` matches `"x"`) or is `*` gets a 304:
 * no body, the same headers (RFC 9110 §13.1.2, §15.4.5). A `no-store` answer gets neither.
 * `Authorization` is not in `Vary`: no answer to a token is stored, and no query answers a token
 * differently except the admin's `cacheStats`, whose answer without one is an error.
 */
export function cachingHeaders(input: CachingInput): Caching {
  if (input.method !== 'GET') return { status: 200, headers: {} };
  const cacheControl = cacheControlOf(input);
  if (cacheControl === 'no-store') return { status: 200, headers: { 'cache-control': cacheControl } };
  const etag = `"${createHash('sha1').update(input.body).digest('base64url')}"`;
  return {
    status: input.ifNoneMatch !== null && matches(input.ifNoneMatch, etag) ? 304 : 200,
    headers: { 'cache-control': cacheControl, etag, vary: 'Accept, Origin' },
  };
}

function cacheControlOf({ authorized, ok, freshness, nowMs }: Omit<CachingInput, 'method' | 'body' | 'ifNoneMatch'>): string {
  if (!ok || authorized || freshness.stale) return 'no-store';
  if (freshness.unknown || freshness.expiresAtMs === undefined) return 'no-cache';
  return `public, max-age=${Math.max(0, Math.floor((freshness.expiresAtMs - nowMs) / 1000))}`;
}

/** Whether `If-None-Match` (`*`, or a list of entity tags) matches `etag`, by weak comparison. */
function matches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  for (const [, opaque] of ifNoneMatch.matchAll(/(?:W\/)?("[^"]*")/g)) if (opaque === etag) return true;
  return false;
}

export interface HttpCachingOptions {
  /** @default '/graphql' */
  endpoint?: string;
  /** @default Date.now */
  now?: () => number;
}

interface Query {
  freshness: () => Freshness;
  /** Every root field reads through the loaders (or is `__typename`). */
  throughLoaders: boolean;
  ok?: boolean;
}

/** The content types of a single result; GraphiQL's page, event streams and multipart are left alone. */
const RESULT_TYPES = /^application\/(?:graphql-response\+)?json\b/i;

/**
 * Applies `cachingHeaders` to every response to a `GET` of `endpoint` that carries a single
 * result: a query's answer gets the headers its freshness allows, and a 304 when the client has
 * those bytes already; every other one (a parse, validation, CSRF or read error, a mutation
 * refused over GET) gets `no-store`. GraphiQL's page, subscriptions' streams and POSTs are left
 * as they were.
 *
 * A request is followed by its server context, the one object every hook of it sees (as in
 * use-metrics.ts). The body is read back from the response only for an answer a cache may store:
 * hashing it is the price of the ETag, and only GETs pay it.
 */
export function useHttpCaching({ endpoint = '/graphql', now = Date.now }: HttpCachingOptions = {}): Plugin {
  const queries = new WeakMap<object, Query>();
  return {
    onExecute({ args }) {
      // Only a GET's answer is ever cached: a POST (most requests) needs none of this.
      if ((args.contextValue as { request?: Request }).request?.method !== 'GET') return;
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'query') return;
      const { loaders } = args.contextValue as unknown as GatewayContext;
      queries.set(args.contextValue, { freshness: loaders.freshness, throughLoaders: throughLoaders(args.document, operation.selectionSet) });
    },
    onResultProcess({ result, serverContext }) {
      const query = queries.get(serverContext);
      if (query !== undefined) query.ok = !Array.isArray(result) && !(Symbol.asyncIterator in result) && !(result.errors?.length ?? 0);
    },
    async onResponse({ request, serverContext, response, setResponse, fetchAPI }) {
      const query = queries.get(serverContext);
      queries.delete(serverContext);
      if (request.method !== 'GET' || !RESULT_TYPES.test(response.headers.get('content-type') ?? '')) return;
      if (new URL(request.url, 'http://localhost').pathname !== endpoint) return;
      const served = query?.freshness();
      const input = {
        method: request.method,
        authorized: request.headers.has('authorization'),
        ok: response.status === 200 && query?.ok === true,
        // No query ran: the answer is an error, never stored, whatever this says.
        freshness: served === undefined ? NOTHING_SERVED : { ...served, unknown: served.unknown || !query!.throughLoaders },
        ifNoneMatch: request.headers.get('if-none-match'),
        nowMs: now(),
      };
      if (cacheControlOf(input) === 'no-store') return void response.headers.set('cache-control', 'no-store');
      const body = await response.text();
      const { status, headers } = cachingHeaders({ ...input, body });
      // A plain record, names in lower case: whatwg-node's Headers keep the case they were given
      // in, and then fail to delete `content-type` when asked in lower case.
      const merged: Record<string, string> = {};
      response.headers.forEach((value, name) => void (merged[name.toLowerCase()] = value));
      Object.assign(merged, headers, { vary: joinVary(merged['vary'], headers['vary']!) });
      if (status === 200) return setResponse(new fetchAPI.Response(body, { status: response.status, headers: merged }));
      // A 304 keeps what guides caches (ETag, Cache-Control, Vary) and CORS, not the body's metadata.
      delete merged['content-type'];
      delete merged['content-length'];
      setResponse(new fetchAPI.Response(null, { status: 304, headers: merged }));
    },
  };
}

const NOTHING_SERVED: Freshness = { expiresAtMs: undefined, stale: false, unknown: true };

/** Whether every root field of `selectionSet` reads through the loaders (`rootReads`), or is `__typename`. */
function throughLoaders(document: DocumentNode, selectionSet: SelectionSetNode): boolean {
  return selectionSet.selections.every((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value === '__typename' || Object.hasOwn(rootReads, selection.name.value);
    if (selection.kind === Kind.INLINE_FRAGMENT) return throughLoaders(document, selection.selectionSet);
    // Validation has refused cycles of fragments before anything executes.
    const fragment = document.definitions.find((definition) => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value);
    return fragment?.kind === Kind.FRAGMENT_DEFINITION && throughLoaders(document, fragment.selectionSet);
  });
}

/** `existing` and `added`, each name once. */
function joinVary(existing: string | undefined, added: string): string {
  if (existing === undefined) return added;
  const names = existing.split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of added.split(', ')) if (!names.some((known) => known.toLowerCase() === name.toLowerCase())) names.push(name);
  return names.join(', ');
}
