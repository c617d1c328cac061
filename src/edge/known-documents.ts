import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { DEFAULTS } from '../defaults.js';
import type { ReadPlan } from '../read/plan/compile.js';

/** A document yoga accepted and a read plan answered, as the fast lane needs it. */
export interface KnownDocument {
  document: DocumentNode;
  plan: ReadPlan;
}

/**
 * The documents the fast lane may answer (src/edge/fast-lane.ts): each one a request has already
 * brought through yoga, where it was parsed, passed every check that looks at the document alone
 * (the token, depth, alias, nesting and directive limits, validation, introspection) and was
 * answered by a read plan. Only such a document is known, by its exact text and operation name:
 * the fast lane never parses or validates, so it can never accept what yoga would refuse.
 *
 * Bounded by the text held, as the parse cache is, so that distinct documents cannot grow it.
 */
export function createKnownDocuments({ maxChars = DEFAULTS.memos.knownDocumentsChars }: { maxChars?: number } = {}) {
  const known = new LRUCache<string, KnownDocument>({
    maxSize: maxChars,
    maxEntrySize: Math.min(maxChars, 16 * 1024),
    sizeCalculation: (_value, key) => key.length || 1,
  });
  return {
    get: (query: string, operationName: string | null | undefined) => known.get(keyOf(query, operationName)),
    remember(query: string, operationName: string | null | undefined, value: KnownDocument) {
      known.set(keyOf(query, operationName), value);
    },
  };
}

export type KnownDocuments = ReturnType<typeof createKnownDocuments>;

/**
 * No operation name (`null` or absent, which yoga treats alike) and an empty one are different
 * requests. Neither separator can occur in a known document's text or name (graphql-js refuses
 * both characters in a document, and a name is letters, digits and `_`), so no two requests share
 * a key.
 */
function keyOf(query: string, operationName: string | null | undefined): string {
  return operationName == null ? `\u0000${query}` : `${operationName}\u0001${query}`;
}
