import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { GitWorkspace } from './git-workspace.js';
import { assertRevision, gitText, runGit } from './git-run.js';
import { scratchWorktreeDir } from './worktree-location.js';

/**
 * A throw-away git worktree: a detached checkout of one commit outside the project, next to the
 * run worktrees (`worktree-location.ts`, named `scratch-<pid>-<host>-<random>` so `taskgraph
 * clean` can remove one left by a killed process), sharing the repository's object database. Forecasts (`engine/forecast.ts`) run the engine in one, so
 * every file a node reads, every tree it hashes and every cached state it restores is exactly
 * what a new run's worktree would hold — never the user's checkout with its uncommitted and
 * untracked files. No branch is created; nothing in the user's checkout changes.
 */
export interface ScratchWorktree {
  /** the worktree, detached at the commit */
  workspace: GitWorkspace;
  /** the commit it was cut from (40 hex) */
  commit: string;
  /** Removes the worktree directory and git's record of it (idempotent, never throws). */
  dispose(): Promise<void>;
}

/** Checkouts run without the user's hooks (a post-checkout `npm install` must not run). */
const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null'];

/**
 * Creates a detached worktree of `rev` in a new directory ({@link scratchWorktreeDir}).
 * @param projectDir a directory inside the repository
 * @param rev a revision naming a commit (default `HEAD`)
 * @param worktreeDir `worktreeDir` of taskgraph.yaml (the parent of worktrees), if set
 * @throws TaskgraphError GIT_ERROR when `rev` names no commit or git fails
 */
export async function createScratchWorktree(projectDir: string, rev = 'HEAD', worktreeDir?: string): Promise<ScratchWorktree> {
  assertRevision(rev, 'revision');
  const commit = await gitText(projectDir, ['rev-parse', '--verify', `${rev}^{commit}`]);
  const dir = await scratchWorktreeDir(projectDir, worktreeDir);
  await mkdir(path.dirname(dir), { recursive: true });
  try {
    await runGit(projectDir, [...NO_HOOKS, 'worktree', 'add', '--quiet', '--detach', dir, commit]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let disposed = false;
  return {
    workspace: new GitWorkspace(dir, '(forecast)'),
    commit,
    async dispose() {
      if (disposed) return;
      disposed = true;
      await runGit(projectDir, ['worktree', 'remove', '--force', dir]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      await runGit(projectDir, ['worktree', 'prune']).catch(() => undefined);
    },
  };
}
