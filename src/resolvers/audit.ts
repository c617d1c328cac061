import type { GatewayContext } from './context.js';

/** Logs an admin invalidation (never the token) and shapes its result. */
export function invalidated(ctx: GatewayContext, mutation: string, args: object, deleted: number) {
  ctx.logger.info({ audit: mutation, args, deleted }, 'cache entries invalidated');
  return { deleted };
}
