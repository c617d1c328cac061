import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { createClient, type SubscribePayload } from 'graphql-ws';

/**
 * A generated document: its text, with the types of its result and of its variables, and its id
 * in the persisted-documents manifest (`__meta__.hash`, `sha256:<hex>`), which is what is sent.
 */
export type Document<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> & { toString(): string; __meta__?: Record<string, unknown> | undefined };

export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting';

export interface GatewayOptions {
  /** The gateway's GraphQL endpoint over HTTP; its WebSocket is the same URL in `ws(s):`. */
  url: string;
  onStatus(status: ConnectionStatus): void;
  /** The socket came back after a drop: what was missed while it was down is not replayed. */
  onReconnect(): void;
  /** A subscription failed (its GraphQL errors, or the socket gave up). */
  onError(message: string): void;
}

export interface GatewayClient {
  /** Posts a query; rejects with the gateway's messages if it answered with errors. */
  query<TResult, TVariables>(document: Document<TResult, TVariables>, variables: TVariables): Promise<TResult>;
  /** Calls `onData` with each result until the returned function is called. */
  subscribe<TResult, TVariables>(document: Document<TResult, TVariables>, variables: TVariables, onData: (data: TResult) => void): () => void;
}

interface GraphQLResponse<TResult> {
  data?: TResult | null;
  errors?: ReadonlyArray<{ message: string }>;
}

/** Longest wait between two attempts to reconnect: the page keeps trying for as long as it is open. */
const MAX_RETRY_WAIT_MS = 10_000;

/**
 * Queries go over `fetch`, subscriptions over one WebSocket (the graphql-ws protocol) that
 * carries them all: a browser opens at most 6 HTTP/1.1 connections to a host, and a dashboard
 * with one server-sent event stream per subscription would leave none for its queries.
 */
export function createGatewayClient({ url, onStatus, onReconnect, onError }: GatewayOptions): GatewayClient {
  const socket = createClient({
    url: url.replace(/^http/, 'ws'),
    // The socket is opened by the first subscription and closed after the last one stops; a
    // dashboard always has some, so in practice it stays open.
    lazy: true,
    retryAttempts: Infinity,
    // A gateway restarting, or a network change, must not leave the page dead until a reload.
    shouldRetry: () => true,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(MAX_RETRY_WAIT_MS, 500 * 2 ** retries) + Math.random() * 300)),
    on: {
      connecting: (isRetry) => onStatus(isRetry ? 'reconnecting' : 'connecting'),
      connected: (_socket, _payload, wasRetry) => {
        onStatus('live');
        if (wasRetry) onReconnect();
      },
      closed: () => onStatus('reconnecting'),
    },
  });

  async function query<TResult, TVariables>(document: Document<TResult, TVariables>, variables: TVariables): Promise<TResult> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      // The id, not the text: the gateway may accept persisted documents only (PERSISTED_DOCUMENTS_ONLY).
      body: JSON.stringify({ documentId: documentIdOf(document), variables }),
    });
    let body: GraphQLResponse<TResult>;
    try {
      body = (await response.json()) as GraphQLResponse<TResult>;
    } catch {
      throw new Error(`expected a GraphQL response from ${url}, received HTTP ${response.status}`);
    }
    if (body.errors?.length) throw new Error(body.errors.map((error) => error.message).join('; '));
    if (body.data == null) throw new Error(`expected data from ${url}, received HTTP ${response.status} without any`);
    return body.data;
  }

  function subscribe<TResult, TVariables>(document: Document<TResult, TVariables>, variables: TVariables, onData: (data: TResult) => void) {
    // graphql-ws requires `query` to be a string, and sends the payload's other fields as they are.
    const payload = { query: '', documentId: documentIdOf(document), variables: variables as Record<string, unknown> };
    return socket.subscribe<TResult>(
      payload as SubscribePayload,
      {
        next: (result) => {
          if (result.errors?.length) onError(result.errors.map((error) => error.message).join('; '));
          if (result.data != null) onData(result.data);
        },
        error: (error) => onError(error instanceof Error ? error.message : `subscription failed: ${describe(error)}`),
        complete: () => {},
      },
    );
  }

  return { query, subscribe };
}

/** The document's id in the manifest that codegen wrote beside it. */
function documentIdOf(document: { __meta__?: Record<string, unknown> | undefined }): string {
  const hash = document.__meta__?.['hash'];
  if (typeof hash !== 'string') throw new Error('expected a document generated with persistedDocuments (npm run codegen), received one without __meta__.hash');
  return hash;
}

/** A close event or error as a line of text. */
function describe(error: unknown): string {
  if (typeof CloseEvent !== 'undefined' && error instanceof CloseEvent) return `socket closed (${error.code} ${error.reason})`;
  return String(error);
}
