import { GraphQLError } from 'graphql';

/**
 * The cache could not be reached in time: Redis is down, frozen, slow, or the circuit breaker
 * is open. Reads of the affected fields resolve to `null` with this error (code
 * `CACHE_UNAVAILABLE`); writes fail with it and are not stored.
 *
 * It is a `GraphQLError` so that yoga passes it to clients as it is (code and message) rather
 * than masking it as unexpected: it is an expected, operational condition. The underlying error
 * stays in `cause`, for logs, and out of responses.
 */
export class CacheUnavailableError extends GraphQLError {
  override name = 'CacheUnavailableError';

  constructor(reason: string, cause?: unknown) {
    super(`cache unavailable: ${reason}`, { extensions: { code: 'CACHE_UNAVAILABLE' } });
    if (cause !== undefined) Object.defineProperty(this, 'cause', { value: cause, enumerable: false });
  }
}
