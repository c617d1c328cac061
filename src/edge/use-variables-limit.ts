import type { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../errors.js';
import { DEFAULTS } from '../defaults.js';

export interface VariablesLimitOptions {
  /**
   * The largest `variables` accepted, in bytes of compact JSON (as `JSON.stringify` writes it,
   * UTF-8), whatever white space the client sent.
   * @default 1048576 (1 MiB)
   */
  maxBytes?: number;
}

/**
 * Rejects an operation whose `variables` are over `maxBytes` with code `BAD_USER_INPUT` and
 * HTTP 400, before it is parsed or run. The body limit bounds what is read; this bounds the part
 * that graphql-js coerces value by value and the resolvers then check and serialise.
 *
 * A value too deeply nested to serialise is refused the same way: it would otherwise fail later,
 * as an unexpected error, wherever it is first walked. So is a string that is not valid UTF-16 (a
 * lone surrogate, which JSON can carry as `"\ud800"`): it is not text, and two of them hash to the
 * same UTF-8 bytes, hence to the same analysis. Literals cannot carry one: graphql-js refuses it.
 */
export function useVariablesLimit({ maxBytes = DEFAULTS.limits.variablesBytes }: VariablesLimitOptions = {}): Plugin {
  return {
    onParams({ params, setResult }) {
      const problem = variablesProblem(params.variables, maxBytes);
      if (problem !== undefined) setResult({ errors: [problem] });
    },
  };
}

/** What is wrong with `variables` (see `useVariablesLimit`), for a transport that has no yoga params (WebSocket). */
export function variablesProblem(variables: unknown, maxBytes: number): GraphQLError | undefined {
  if (variables == null) return undefined;
  let json: string;
  try {
    json = JSON.stringify(variables) ?? '';
  } catch {
    return tooLarge(maxBytes, 'a value nested too deeply to serialise');
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) return tooLarge(maxBytes, `${bytes} bytes`);
  // JSON.stringify writes a lone surrogate, and only a lone one, as a `\ud8xx`-`\udfxx`
  // escape: one scan of the text it already made, and a walk for the path only when it finds one.
  if (!ESCAPED_SURROGATE.test(json)) return undefined;
  const broken = loneSurrogateIn(variables, 'variables');
  return broken === undefined ? undefined : badVariable(broken, 'text without lone surrogates (valid UTF-16)', 'a lone surrogate');
}

const LONE_SURROGATE = /\p{Surrogate}/u;
/** `\udXXX` (X from 8 to f) after an even run of backslashes: an escape, not escaped text. */
const ESCAPED_SURROGATE = /(?<!\\)(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/;

/** The path of the first string (or object key) in `value` holding a lone surrogate. */
function loneSurrogateIn(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = loneSurrogateIn(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (LONE_SURROGATE.test(key)) return `${path} key`;
      const found = loneSurrogateIn(item, `${path}.${key}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function badVariable(path: string, expected: string, received: string) {
  return createGraphQLError(`${path}: expected ${expected}, received ${received}`, {
    extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode, http: { status: 400 } },
  });
}

function tooLarge(maxBytes: number, received: string) {
  return createGraphQLError(`variables: expected at most ${maxBytes} bytes of JSON (MAX_VARIABLES_BYTES), received ${received}`, {
    extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode, http: { status: 400 } },
  });
}
