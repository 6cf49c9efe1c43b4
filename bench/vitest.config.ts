import { defineConfig } from 'vitest/config';

// The scan and brand benchmarks and the brand measurement run under vitest only to reuse the
// test helpers (wrappings built with the real zip tool, mail builders); they are not part of
// npm test and assert nothing about speed.
export default defineConfig({
  test: {
    include: ['bench/*-bench.ts', 'bench/*-measure.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
  },
});
