import { coded } from '../errors.js';

/**
 * How many bytes of cached values one response may still carry (`MAX_RESPONSE_BYTES`). Each field
 * is charged the stored size of what it serves, each time it is served (200 aliases of one 1 MB
 * analysis are read once but written 200 times); a field that would take the response past the
 * bound resolves to `null` with code `RESPONSE_TOO_LARGE`, so a response, and the memory that
 * building it takes, stays bounded whatever the query.
 */
export function createResponseBudget(maxBytes: number) {
  let used = 0;
  return {
    maxBytes,
    /** Takes `bytes` from the budget, or throws (taking nothing) when they do not fit. */
    charge(bytes: number) {
      if (used + bytes > maxBytes) {
        throw coded(
          'RESPONSE_TOO_LARGE',
          `response: expected at most ${maxBytes} bytes of cached values (MAX_RESPONSE_BYTES), received ${used + bytes} bytes`,
        );
      }
      used += bytes;
    },
  };
}

export type ResponseBudget = ReturnType<typeof createResponseBudget>;
