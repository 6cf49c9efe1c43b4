import { defineConfig } from 'vitest/config';

// The scan benchmark runs under vitest only to reuse the test helpers (wrappings built with
// the real zip tool); it is not part of npm test and asserts nothing about speed.
export default defineConfig({
  test: {
    include: ['bench/scan-bench.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
  },
});
