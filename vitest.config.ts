import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // a temporary XDG_CACHE_HOME per test file: worktrees never land in the real ~/.cache
    setupFiles: ['test/support/cache-home.ts'],
  },
});
