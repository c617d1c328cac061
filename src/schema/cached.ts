import type { CacheStamp, Output } from '../cache/market-types.js';
import { builder } from './builder.js';

/** The write time and expiry every cached point value carries, read with the value itself. */
export const Cached = builder.interfaceRef<Output<CacheStamp> & { stale?: boolean }>('Cached').implement({
  description: 'A value read from the cache, with when it was written and when it expires.',
  fields: (t) => ({
    cachedAt: t.expose('cachedAt', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    stale: t.boolean({
      description:
        'True when Redis was unavailable and this is the last value this gateway served, from its in-process tier.',
      resolve: ({ stale }) => stale ?? false,
    }),
  }),
});
