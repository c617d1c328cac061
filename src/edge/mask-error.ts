import { GraphQLError } from 'graphql';
import { createGraphQLError, maskError as maskYogaError, type YogaServerOptions } from 'graphql-yoga';

type MaskError = NonNullable<Exclude<YogaServerOptions<object, object>['maskedErrors'], boolean | undefined>['maskError']>;

/**
 * yoga's error masking, and in production one thing more: no `extensions.originalError` on an
 * error yoga raised itself while reading the request. For a body that is not JSON, that is
 * `JSON.parse`'s message, which quotes the body: a 2 MB body came back whole. The message
 * (`POST body sent invalid JSON.`) and the code say what was wrong.
 */
export function maskErrorFor(production: boolean): MaskError {
  return (error, message, isDev) => {
    const masked = maskYogaError(error, message, isDev);
    if (!production || !(masked instanceof GraphQLError) || masked.extensions['originalError'] === undefined) return masked;
    const { originalError: _detail, http, ...extensions } = masked.extensions as Record<string, unknown> & { http?: object };
    // The status stays the one yoga answers with the detail attached: 400 whatever the client accepts.
    return createGraphQLError(masked.message, { extensions: { ...extensions, ...(http && { http: { ...http, spec: false } }) } });
  };
}
