import { createGraphQLError } from 'graphql-yoga';
import type { ErrorCode } from '../errors.js';

/**
 * The rejection of an operation too big or too deep to run: `${subject}: expected ${expected},
 * received ${received}`, code `OPERATION_TOO_COMPLEX`.
 *
 * Its status is the one GraphQL over HTTP gives a document that fails validation (`spec`): 400
 * for a client accepting `application/graphql-response+json`, 200 for a legacy
 * `application/json` one, as yoga answers its own parse and validation errors.
 */
export function operationTooComplex(subject: string, expected: string, received: string | number) {
  return createGraphQLError(`${subject}: expected ${expected}, received ${received}`, {
    extensions: { code: 'OPERATION_TOO_COMPLEX' satisfies ErrorCode, http: { spec: true, status: 400 } },
  });
}
