import type { Source } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { createMemo } from '../cache/memo.js';
import { operationTooComplex } from './operation-too-complex.js';
import { DEFAULTS } from '../defaults.js';

export interface NestingLimitOptions {
  /**
   * The deepest nesting of `{ }`, `[ ]` and `( )` accepted in a document. Far above anything
   * `MAX_DEPTH` lets a selection reach or a real argument needs, far below what exhausts the stack.
   * @default 500
   */
  maxNesting?: number;
}

/**
 * Rejects a document nested deeper than `maxNesting` before it is parsed, with code
 * `OPERATION_TOO_COMPLEX`: e.g. `result: {a: {a: {a: ...}}}` written 2000 levels deep.
 *
 * graphql-js parses values recursively, so such a literal, a few kilobytes and well within the
 * token limit, overflows the stack and would reach the client as an unexpected error; and the
 * depth limit cannot help, because it counts selections, after parsing. A scan of the source
 * is linear and allocates nothing.
 */
export function useNestingLimit({ maxNesting = DEFAULTS.limits.nesting }: NestingLimitOptions = {}): Plugin {
  // Documents are sent again and again, and yoga parses each text once: scan each text once too.
  const nestingOf = createMemo<number>(DEFAULTS.memos.nestingBytes, () => 8);
  return {
    onParse({ params }) {
      const text = typeof params.source === 'string' ? params.source : (params.source as Source).body;
      let nesting = nestingOf.get(text);
      if (nesting === undefined) nestingOf.set(text, (nesting = deepestNesting(text)));
      if (nesting > maxNesting) {
        throw operationTooComplex('nesting', `brackets nested at most ${maxNesting} deep`, nesting);
      }
    },
  };
}

const QUOTE = 34; // "
const BACKSLASH = 92;
const HASH = 35; // # starts a comment
const NEWLINE = 10;
const RETURN = 13;
const OPENING = new Set([123, 91, 40]); // { [ (
const CLOSING = new Set([125, 93, 41]); // } ] )

/** How deep brackets nest outside strings, block strings and comments, as GraphQL's lexer sees them. */
function deepestNesting(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === QUOTE && text.startsWith('"""', i)) {
      // A block string ends at the first `"""` that is not escaped as `\"""`.
      i += 3;
      while (i < text.length && !text.startsWith('"""', i)) i += text.startsWith('\\"""', i) ? 4 : 1;
      i += 2;
    } else if (char === QUOTE) {
      // A string ends at an unescaped quote, or (unterminated, a syntax error) at the line's end.
      for (i++; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === BACKSLASH) i++;
        else if (c === QUOTE || c === NEWLINE || c === RETURN) break;
      }
    } else if (char === HASH) {
      while (i < text.length && text.charCodeAt(i) !== NEWLINE && text.charCodeAt(i) !== RETURN) i++;
    } else if (OPENING.has(char)) {
      deepest = Math.max(deepest, ++depth);
    } else if (CLOSING.has(char)) {
      depth--;
    }
  }
  return deepest;
}
