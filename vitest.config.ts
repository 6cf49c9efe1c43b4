import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real sockets and real Postfix processes: give them time, and never let one hang CI.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file in its own process: signal and cluster tests spawn daemons, interop tests
    // run Postfix; a crash in one must not take the others down.
    pool: 'forks',
  },
});
