import { GraphQLError } from 'graphql';
import type { ErrorCode } from '../errors.js';

/**
 * A write larger than the in-memory store could hold even empty (`MEMORY_MAX_BYTES`): refused
 * before anything changes, with code `PAYLOAD_TOO_LARGE`.
 */
export class CacheFullError extends GraphQLError {
  override name = 'CacheFullError';

  constructor(maxBytes: number, bytes: number) {
    super(`write: expected at most ${maxBytes} bytes in memory (MEMORY_MAX_BYTES), received ${bytes} bytes`, {
      extensions: { code: 'PAYLOAD_TOO_LARGE' satisfies ErrorCode },
    });
  }
}
