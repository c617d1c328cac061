import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { parse, type GraphQLError } from 'graphql';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { createGraphQLError, type GraphQLParams, type Plugin } from 'graphql-yoga';
import { ConfigError } from '../config.js';
import { DEFAULTS } from '../defaults.js';
import type { ErrorCode } from '../errors.js';

export interface PersistedDocumentsOptions {
  /** Document id (`sha256:<hex>`, as the client preset writes them) to document text. */
  documents: ReadonlyMap<string, string>;
  /** Refuse every operation sent as text (`PERSISTED_DOCUMENTS_ONLY`). */
  only: boolean;
}

const { maxManifestBytes, maxIdLength } = DEFAULTS.persistedDocuments;
const VARIABLE = 'PERSISTED_DOCUMENTS';

/**
 * Reads a persisted-documents manifest, as GraphQL Code Generator's client preset writes it
 * (`{"sha256:<hex>": "<document text>", ...}`), and checks every entry: ids of 1 to
 * `maxIdLength` characters, each `sha256:` id the SHA-256 of its text (a hand-edited or
 * mismatched manifest would run another operation than the client asked for), each text a
 * GraphQL document that parses. Throws `ConfigError` naming the variable, the entry, what was
 * expected and what was found.
 */
export function loadPersistedDocuments(path: string): ReadonlyMap<string, string> {
  const fail = (expected: string, received: string): never => {
    throw new ConfigError(`${VARIABLE}: expected ${expected}, received ${received}`);
  };
  let text = '';
  try {
    // The size first: a file of gigabytes is refused without being read.
    const bytes = statSync(path).size;
    if (bytes > maxManifestBytes) fail(`a manifest of at most ${maxManifestBytes} bytes`, `${bytes} bytes in ${path}`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    fail('a readable file', `${JSON.stringify(path)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    fail(`JSON in ${path}`, `text that does not parse (${(error as Error).message})`);
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    fail(`a JSON object of document id to document text in ${path}`, Array.isArray(manifest) ? 'an array' : String(manifest === null ? 'null' : typeof manifest));
  }
  // A Map, not the object: `documentTextOf(documents, 'constructor')` must find nothing.
  const documents = new Map<string, string>();
  for (const [id, document] of Object.entries(manifest as object)) {
    const entry = `${JSON.stringify(id.length > 80 ? `${id.slice(0, 77)}...` : id)} in ${path}`;
    if (id.length === 0 || id.length > maxIdLength) fail(`ids of 1 to ${maxIdLength} characters`, `${entry} (${id.length} characters)`);
    if (typeof document !== 'string') fail(`the text of a GraphQL document for each id`, `${document === null ? 'null' : typeof document} for ${entry}`);
    if (id.startsWith('sha256:')) {
      const hash = createHash('sha256').update(document).digest('hex');
      if (id !== `sha256:${hash}`) fail(`each sha256: id to be the SHA-256 of its text`, `text whose SHA-256 is ${hash} for ${entry}`);
    }
    try {
      parse(document, { noLocation: true });
    } catch (error) {
      fail('GraphQL documents', `text that does not parse for ${entry} (${(error as Error).message})`);
    }
    documents.set(id, document);
  }
  if (documents.size === 0) fail(`at least one document in ${path}`, 'an empty object');
  return documents;
}

/** The text of the document `id` names, if any: no lookup for an id longer than any in a manifest. */
export function documentTextOf(documents: ReadonlyMap<string, string>, id: unknown): string | undefined {
  return typeof id === 'string' && id.length <= maxIdLength ? documents.get(id) : undefined;
}

/**
 * Operations by document id, from a manifest (`loadPersistedDocuments`), on yoga's
 * persisted-operations plugin: `POST {"documentId": "sha256:...", "variables": {...}}`, or
 * `GET /graphql?documentId=sha256:...&variables=...` (yoga's GET parser keeps only its own four
 * parameters, so the id is read from the URL here). The document found runs as if its text had
 * been sent: every limit, rule and cache of the gateway applies to it, and yoga's parse cache,
 * keyed by that text, parses it once.
 *
 * Refused, each with HTTP 400 before anything is parsed: an unknown id
 * (`PERSISTED_DOCUMENT_NOT_FOUND`); an id that is not a string or is over `maxIdLength`
 * characters, or sent with a `query` too (`BAD_REQUEST`); with `only`, any `query`, and a request
 * with no id (`PERSISTED_DOCUMENT_REQUIRED`). Apollo's `extensions.persistedQuery` is not read:
 * one way to name a document, and a message saying which.
 */
export function usePersistedDocuments({ documents, only }: PersistedDocumentsOptions): Plugin {
  const persisted = usePersistedOperations({
    allowArbitraryOperations: !only,
    extractPersistedOperationId: (params, request) => (documentIdIn(params, request) as string | undefined) ?? null,
    getPersistedOperation: (id) => documentTextOf(documents, id) ?? null,
    customErrors: {
      notFound: ({ params, request }) => notFound(documentIdIn(params, request)),
      persistedQueryOnly: () => required('a query'),
      // No query and no id (the plugin asks only then).
      keyNotFound: ({ params }) =>
        only ? required(neither(params)) : badRequest('request', 'a documentId or a query', neither(params)),
    },
  }) as Required<Pick<Plugin, 'onParams'>>;
  return {
    onParams(payload) {
      // The plugin would run the query of a request naming a document too (when not `only`).
      const problem = documentIdProblem(documentIdIn(payload.params, payload.request), payload.params.query);
      if (problem !== undefined) throw problem;
      return persisted.onParams(payload);
    },
  };
}

/**
 * For a transport with no yoga params (WebSocket): the text to run for `payload`, by its
 * `documentId` or its `query`, or its refusal, by the rules of `usePersistedDocuments`.
 */
export function persistedQueryOf(payload: { query?: unknown; documentId?: unknown }, { documents, only }: PersistedDocumentsOptions): string | GraphQLError {
  const { query, documentId } = payload;
  const problem = documentIdProblem(documentId, query);
  if (problem !== undefined) return problem;
  if (documentId != null) return documentTextOf(documents, documentId) ?? notFound(documentId);
  if (only) return required(query ? 'a query' : 'neither');
  return typeof query === 'string' ? query : '';
}

function documentIdIn(params: GraphQLParams, request: Request): unknown {
  const id = (params as { documentId?: unknown }).documentId;
  if (id != null || request.method !== 'GET') return id;
  return new URL(request.url).searchParams.get('documentId') ?? undefined;
}

/** An id that cannot name a document, or that comes with a query. */
function documentIdProblem(id: unknown, query: unknown): GraphQLError | undefined {
  if (id == null) return undefined;
  if (typeof id !== 'string') return badRequest('documentId', 'a string', describe(id));
  if (id.length > maxIdLength) return badRequest('documentId', `at most ${maxIdLength} characters`, `${id.length} characters`);
  if (query) return badRequest('request', 'either documentId or query', 'both');
  return undefined;
}

function neither(params: GraphQLParams): string {
  return params.extensions?.['persistedQuery'] != null ? "neither (Apollo's extensions.persistedQuery is not accepted)" : 'neither';
}

function notFound(id: unknown) {
  return refusal('PERSISTED_DOCUMENT_NOT_FOUND', `documentId: expected the id of a persisted document (PERSISTED_DOCUMENTS), received ${describe(id)}`);
}

function required(received: string) {
  return refusal(
    'PERSISTED_DOCUMENT_REQUIRED',
    `request: expected a documentId, the id of a persisted document, instead of a query (PERSISTED_DOCUMENTS_ONLY), received ${received}`,
  );
}

function badRequest(field: string, expected: string, received: string) {
  return refusal('BAD_REQUEST', `${field}: expected ${expected}, received ${received}`);
}

function refusal(code: ErrorCode, message: string) {
  return createGraphQLError(message, { extensions: { code, http: { status: 400 } } });
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
