import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';

export interface ParseCacheOptions {
  /**
   * Characters of document text the caches hold, each. A parsed document takes about 60 bytes of
   * syntax tree a character (every token is kept, linked to the next), so this bounds them at
   * about 30 MB however large the documents clients send.
   * @default 524_288
   */
  maxChars?: number;
  /**
   * The longest document cached. Larger ones are parsed on every request (their parse is bounded
   * by MAX_TOKENS) and never kept: real queries are a few hundred characters, and a client
   * sending distinct huge documents must not fill the cache with them.
   * @default 16_384
   */
  maxDocumentChars?: number;
}

/**
 * yoga's parser and validation cache, bounded by the text it holds instead of by count. Validation
 * results are kept per parsed document (yoga's WeakMap), so they go when their document does.
 */
export function createParseCache({ maxChars = 512 * 1024, maxDocumentChars = 16 * 1024 }: ParseCacheOptions = {}) {
  const bounded = <V extends object>() =>
    new LRUCache<string, V>({ maxSize: maxChars, maxEntrySize: maxDocumentChars, sizeCalculation: (_value, text) => text.length || 1 });
  return { documentCache: bounded<DocumentNode>(), errorCache: bounded<Error>(), validationCache: true };
}
