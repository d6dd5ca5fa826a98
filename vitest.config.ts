import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // generous: on a slow 2-core machine an end-to-end test of several CLI runs takes 1–2 min
    testTimeout: 240_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // two test files at once on CI's two cores (vitest's default is cores - 1 = 1): the end-to-end
    // files spend most of their time waiting on git, sqlite and child processes
    poolOptions: { forks: { minForks: 1, maxForks: 2 } },
    // a temporary XDG_CACHE_HOME per test file: worktrees never land in the real ~/.cache
    setupFiles: ['test/support/cache-home.ts'],
  },
});
