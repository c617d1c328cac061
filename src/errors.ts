import { createGraphQLError } from 'graphql-yoga';

/** Stable `extensions.code` values a client can branch on. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'CACHE_UNAVAILABLE'
  | 'UPSTREAM_UNAVAILABLE'
  | 'OPERATION_TOO_COMPLEX'
  | 'PAYLOAD_TOO_LARGE'
  | 'RESPONSE_TOO_LARGE'
  | 'CSRF_HEADER_MISSING'
  | 'TOO_MANY_SUBSCRIPTIONS'
  /** A request yoga cannot take as it is (yoga's own code): here, both `query` and `documentId`. */
  | 'BAD_REQUEST'
  | 'PERSISTED_DOCUMENT_NOT_FOUND'
  | 'PERSISTED_DOCUMENT_REQUIRED';

/** `${argument}: expected ${expected}, received ${received}`, with code `BAD_USER_INPUT`. */
export function badUserInput(argument: string, expected: string, received: unknown) {
  return createGraphQLError(`${argument}: expected ${expected}, received ${describeValue(received)}`, {
    extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode },
  });
}

/**
 * A scalar's error for a bad literal: `expected ${expected}, received ${received}`. A plain
 * `Error`, not a `GraphQLError`, so that graphql-js wraps it with the location of the bad value
 * (keeping its `extensions`) and `useArgumentNames` can say which argument it was. For a bad
 * variable, use `invalidValue`: graphql-js already names the variable, and passes a `GraphQLError`
 * through unmasked.
 */
export class InputValueError extends Error {
  override name = 'InputValueError';
  readonly extensions = { code: 'BAD_USER_INPUT' satisfies ErrorCode };
  /** `verbatim`: `received` is GraphQL source text to show as it is, not a value to render. */
  constructor(expected: string, received: unknown, { verbatim = false } = {}) {
    super(`expected ${expected}, received ${verbatim ? String(received) : describeValue(received)}`);
  }
}

export function invalidValue(expected: string, received: unknown) {
  return createGraphQLError(new InputValueError(expected, received).message, {
    extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode },
  });
}

export function coded(code: ErrorCode, message: string) {
  return createGraphQLError(message, { extensions: { code } });
}

/** A short, printable rendering of what a client sent, for error messages. */
function describeValue(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
