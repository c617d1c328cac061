import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

// These measure latency under load against a frozen, killed or slowed Redis (or a master killed in
// a cluster or under Sentinel), attack the gateway, or measure its heap: they get the machine to
// themselves, one file at a time, after everything else has finished.
const FAULT_TESTS = ['test/faults.test.ts', 'test/write-race.test.ts', 'test/attacks.test.ts', 'test/memory-bounds.test.ts', 'test/failover.test.ts', 'test/live-fanout.test.ts'];

export default defineConfig({
  // Vite would load graphql's ESM build for our imports while Pothos and yoga require its
  // CommonJS build: two copies, and `instanceof GraphQLError` or schema utilities fail across
  // them. Pointing every import at the one Node resolves keeps a single graphql, as in production.
  resolve: {
    alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        // No server of any kind: no redis-server, no child process, no socket. `npm run test:unit`
        // runs these alone, on a machine without Redis.
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Runs beside the behaviour files: vitest wants the same worker count in one group.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Each file starts its own redis-server (test/support/harness.ts), gateway or process.
        extends: true,
        test: {
          name: 'behaviour',
          include: ['test/*.test.ts'],
          exclude: FAULT_TESTS,
          // Two cores: two workers keep the run fast without starving the redis-servers tests start.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          include: FAULT_TESTS,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
