import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../errors.js';

export interface CsrfPreventionOptions {
  /**
   * Headers of which a request that a browser would send cross-site without asking (a GET, or a
   * POST of a form or plain text) must carry at least one. A browser sends a custom header
   * cross-site only after a CORS preflight, which only `CORS_ORIGINS` pass.
   * @default ['x-graphql-yoga-csrf']
   */
  requestHeaders?: string[];
}

/**
 * yoga's CSRF prevention, with a stable code: a request that could come from a form or an
 * `<img>` on another site, and carries none of `requestHeaders`, is refused with HTTP 403 and
 * code `CSRF_HEADER_MISSING` before it is parsed. A POST with `content-type: application/json`
 * (curl, every GraphQL client, GraphiQL) needs no extra header: a browser cannot send one
 * cross-site without a preflight.
 */
export function useCsrfPrevention({ requestHeaders = ['x-graphql-yoga-csrf'] }: CsrfPreventionOptions = {}): Plugin {
  const { onRequestParse } = useCSRFPrevention({ requestHeaders }) as Required<Pick<Plugin, 'onRequestParse'>>;
  return {
    onRequestParse(payload) {
      try {
        return onRequestParse(payload);
      } catch {
        // The plugin throws only this, and says only "Required CSRF header(s) not present".
        throw createGraphQLError(
          `request: expected header ${requestHeaders.join(' or ')} on a GET, or on a POST of a form, ` +
            `text/plain or no content-type (a JSON POST needs none), received none`,
          { extensions: { code: 'CSRF_HEADER_MISSING' satisfies ErrorCode, http: { status: 403 } } },
        );
      }
    },
  };
}
