import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Vite would load graphql's ESM build for our imports while Pothos and yoga require its
  // CommonJS build: two copies, and `instanceof GraphQLError` or schema utilities fail across
  // them. Pointing every import at the one Node resolves keeps a single graphql, as in production.
  resolve: {
    alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: two workers keep the run fast without starving the redis-servers tests start.
    maxWorkers: 2,
  },
});
