import { GraphQLError } from 'graphql';
import type { ErrorCode } from '../errors.js';

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
  /**
   * Redis was alive but still sending when time ran out (a large reply, a long queue): load, not
   * an outage. The circuit breaker counts only failures that are not busy.
   */
  readonly busy: boolean;

  constructor(reason: string, { cause, busy = false }: { cause?: unknown; busy?: boolean } = {}) {
    super(`cache unavailable: ${reason}`, { extensions: { code: 'CACHE_UNAVAILABLE' satisfies ErrorCode } });
    this.busy = busy;
    if (cause !== undefined) Object.defineProperty(this, 'cause', { value: cause, enumerable: false });
  }
}
