import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * A vitest setup file (vitest.config.ts `setupFiles`): every test file gets its own
 * `XDG_CACHE_HOME`, a new temporary directory removed after the file's tests, so run and scratch
 * worktrees (`src/workspace/worktree-location.ts`, which reads the user's cache directory through
 * env-paths) never land in the real `~/.cache`, and the CLI processes a test starts inherit it
 * (`cliEnv` in test/support/cli.ts passes it on explicitly).
 */
const cacheHome = mkdtempSync(join(tmpdir(), 'taskgraph-cache-'));
process.env['XDG_CACHE_HOME'] = cacheHome;

afterAll(() => {
  rmSync(cacheHome, { recursive: true, force: true });
});
