import { GraphQLError } from 'graphql';
import type { ErrorCode } from '../../errors.js';
import type { UpstreamError } from '../../sources/source.js';

/**
 * A miss could not be filled: its source failed (timeout, 5xx, 429, a malformed answer), is
 * backing off, or is busy, and the cache had nothing to serve instead. The field is `null` with
 * code `UPSTREAM_UNAVAILABLE`; the rest of the query resolves.
 */
export class UpstreamUnavailableError extends GraphQLError {
  override name = 'UpstreamUnavailableError';

  constructor(reason: UpstreamError | string) {
    super(`upstream unavailable: ${typeof reason === 'string' ? reason : reason.message}`, {
      extensions: { code: 'UPSTREAM_UNAVAILABLE' satisfies ErrorCode },
    });
  }
}
