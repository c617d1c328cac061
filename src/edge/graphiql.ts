import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { GraphiQLOptions } from 'graphql-yoga';
import { EXAMPLE_QUERY } from './example-query.js';

/**
 * What GraphiQL opens on: the example query, in the active tab, so that Run answers at once.
 *
 * `defaultQuery` alone is not enough. It fills the first tab only while the browser has no tabs
 * stored; on every later visit GraphiQL restores the stored tabs and appends an empty one, made
 * active, so Run answers `Syntax Error: Unexpected <EOF>` (measured in Chromium). `query`, which
 * yoga's GraphiQL hands on as GraphiQL's `initialQuery` although yoga's type omits it, makes the
 * stored tab holding the example active instead, and adds one only if the user edited it away
 * (their tab stays). A `?query=` in the page's URL still wins over it. `defaultQuery` remains
 * what a tab opened with "+" holds.
 */
export const GRAPHIQL_OPTIONS: GraphiQLOptions & { query: string } = Object.freeze({
  title: 'Market data cache gateway',
  query: EXAMPLE_QUERY,
  defaultQuery: EXAMPLE_QUERY,
  // GraphiQL runs a subscription as a GET asking for server-sent events, which CSRF prevention
  // refuses without this header (`use-csrf-prevention.ts`); a page on another site cannot send
  // it without a CORS preflight, so sending it from GraphiQL opens nothing.
  additionalHeaders: Object.freeze({ 'x-graphql-yoga-csrf': 'graphiql' }),
});

/**
 * yoga's `renderGraphiQL`, serving GraphiQL from the installed `@graphql-yoga/render-graphiql`:
 * its JS, CSS, fonts, favicon and Monaco workers are inlined into the one HTML page, so the page
 * requests nothing but `/graphql` and works with no internet. yoga's own renderer links them from
 * unpkg.com, and without internet stays on "Loading ..." forever.
 *
 * The page is 9 MB and takes 10-30 ms of this thread to build, so each renderer keeps the page of
 * the last options it was given: one memo per gateway, dropped with it.
 */
export function createGraphiQLRenderer(): (options: GraphiQLOptions) => string {
  let last: { key: string; html: string } | undefined;
  return (options) => {
    const key = JSON.stringify(options);
    if (last?.key !== key) last = { key, html: renderGraphiQL(options) };
    return last.html;
  };
}
