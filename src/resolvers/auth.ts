import { createHash, timingSafeEqual } from 'node:crypto';
import type { GraphQLResolveInfo } from 'graphql';
import { coded } from '../errors.js';

type Role = 'writer' | 'admin';

export interface AuthState {
  role: Role | null;
  /** What the request sent, for error messages: never the token itself. */
  credential: 'missing' | 'malformed' | 'unknown' | 'valid';
  writerConfigured: boolean;
  adminConfigured: boolean;
}

export interface Tokens {
  writerToken: string | undefined;
  adminToken: string | undefined;
}

/** Reads `Authorization: Bearer <token>` and says which configured token, if any, it is. */
export function authenticate(header: string | null, { writerToken, adminToken }: Tokens): AuthState {
  const configured = { writerConfigured: writerToken !== undefined, adminConfigured: adminToken !== undefined };
  if (header === null || header.trim() === '') return { role: null, credential: 'missing', ...configured };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) return { role: null, credential: 'malformed', ...configured };
  // Compare against both tokens every time, so that timing says nothing about which one matched.
  const isAdmin = sameToken(match[1]!, adminToken);
  const isWriter = sameToken(match[1]!, writerToken);
  const role = isAdmin ? 'admin' : isWriter ? 'writer' : null;
  return { role, credential: role ? 'valid' : 'unknown', ...configured };
}

/**
 * Constant-time comparison, whatever the lengths: both sides are hashed to 32 bytes first, so
 * neither the content nor the length of the configured token leaks through timing.
 */
export function sameToken(sent: string, configured: string | undefined): boolean {
  const expected = digest(configured ?? '');
  return timingSafeEqual(digest(sent), expected) && configured !== undefined;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The error for a mutation the request may not run: `UNAUTHENTICATED` or `FORBIDDEN`. */
function authError(auth: AuthState, required: Role, info: GraphQLResolveInfo) {
  const field = `${info.parentType.name}.${info.fieldName}`;
  const tokens = required === 'admin' ? 'ADMIN_TOKEN' : 'WRITER_TOKEN or ADMIN_TOKEN';
  if (auth.role === 'writer' && required === 'admin') {
    return coded('FORBIDDEN', `${field}: expected the admin token, received the writer token`);
  }
  const enabled = required === 'admin' ? auth.adminConfigured : auth.writerConfigured || auth.adminConfigured;
  if (!enabled) {
    return coded('UNAUTHENTICATED', `${field}: disabled because no token is configured (set ${tokens})`);
  }
  const received = {
    missing: 'no Authorization header',
    malformed: 'an Authorization header that is not "Bearer <token>"',
    unknown: 'a token that is not configured',
    valid: 'a valid token',
  }[auth.credential];
  return coded('UNAUTHENTICATED', `${field}: expected "Authorization: Bearer <${tokens}>", received ${received}`);
}

/** Field options for writer mutations (`put*`): the writer or the admin token. */
export const writerOnly = {
  authScopes: { writer: true },
  unauthorizedError: (_parent: unknown, _args: unknown, ctx: { auth: AuthState }, info: GraphQLResolveInfo) =>
    authError(ctx.auth, 'writer', info),
} as const;

/** Field options for admin mutations (`invalidate*`): the admin token only. */
export const adminOnly = {
  authScopes: { admin: true },
  unauthorizedError: (_parent: unknown, _args: unknown, ctx: { auth: AuthState }, info: GraphQLResolveInfo) =>
    authError(ctx.auth, 'admin', info),
} as const;
