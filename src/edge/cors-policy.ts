/**
 * yoga's `cors` option for a list of allowed origins: CORS headers go to a request from one of
 * `origins` (and to its preflight), and to no other. An empty list sends none at all, so only
 * same-origin pages and non-browser clients can read answers.
 *
 * Decided per request because yoga's own handling of an origin list is too loose: without a
 * list it allows every origin, with one origin it sends that origin to everybody, and with
 * several it answers a stranger `Access-Control-Allow-Origin: null` with credentials allowed,
 * which a sandboxed iframe (whose origin is `null`) satisfies.
 *
 * Credentials are not allowed: clients authenticate with a bearer token, never a cookie.
 */
export function corsPolicy(origins: readonly string[]) {
  const allowed = new Set(origins);
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (origin === null || !allowed.has(origin)) return false as const;
    return { origin: [origin], credentials: false, methods: ['GET', 'POST'], maxAge: 600 };
  };
}
