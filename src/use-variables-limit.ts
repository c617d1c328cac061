import { createGraphQLError, type Plugin } from 'graphql-yoga';

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
 * as an unexpected error, wherever it is first walked.
 */
export function useVariablesLimit({ maxBytes = 1024 * 1024 }: VariablesLimitOptions = {}): Plugin {
  return {
    onParams({ params, setResult }) {
      if (params.variables == null) return;
      let bytes: number;
      try {
        bytes = Buffer.byteLength(JSON.stringify(params.variables) ?? '');
      } catch {
        setResult({ errors: [tooLarge(maxBytes, 'a value nested too deeply to serialise')] });
        return;
      }
      if (bytes > maxBytes) setResult({ errors: [tooLarge(maxBytes, `${bytes} bytes`)] });
    },
  };
}

function tooLarge(maxBytes: number, received: string) {
  return createGraphQLError(`variables: expected at most ${maxBytes} bytes of JSON (MAX_VARIABLES_BYTES), received ${received}`, {
    extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
  });
}
