import type { WorkspaceSnapshot } from '../store/store.js';
import type { FileChange } from './edit-apply.js';

/**
 * The Workspace boundary (DESIGN.md §2 step 3, §4 `apply`): a run works on its own branch
 * `taskgraph/<run-id>` in its own git worktree, so the user's checkout is never touched.
 * Implemented with real git in `git-workspace.ts`.
 */

/** Edit formats a coder model may answer with (`whole`: complete files, for small files). */
export type EditFormat = 'udiff' | 'search-replace' | 'whole';

/** What applying an edit did. */
export interface ApplyResult {
  format: EditFormat;
  /** repository-relative paths changed, sorted */
  files: string[];
  /** the resulting workspace state */
  snapshot: WorkspaceSnapshot;
}

/** Limits an edit is checked against before anything is written (`Workspace.applyEdit`). */
export interface ApplyEditOptions {
  /** largest content, in bytes (UTF-8), a file may have after the edit; absent: no limit (`policy.maxEditBytes`) */
  maxEditBytes?: number;
  /**
   * refuse changes to the project's own configuration and to what these commands run
   * (`policy.protectConfig`; see `protected-files.ts`); absent: nothing is protected
   */
  protectConfig?: { commands: readonly string[] };
  /**
   * called with the edit's computed changes after every other check passed, before anything is
   * written; throwing aborts the apply with nothing written (the diff-scoped approval of
   * `nodes/apply.ts` suspends this way)
   */
  review?: (changes: readonly FileChange[]) => void | Promise<void>;
}

/** A run's git worktree. Errors are TaskgraphError `GIT_ERROR`, `EDIT_INVALID`, `EDIT_REJECTED`, `EDIT_PROTECTED`, `PATH_OUTSIDE_WORKTREE`. */
export interface Workspace {
  /** absolute path of the worktree */
  readonly dir: string;
  /** branch name, `taskgraph/<run-id>` */
  readonly branch: string;
  /** HEAD commit + tree of the working tree including uncommitted and untracked (not ignored) files */
  snapshot(): Promise<WorkspaceSnapshot>;
  /** Makes the worktree match a snapshot: HEAD moved to `head`, tracked files set to `tree`. */
  restore(snapshot: WorkspaceSnapshot): Promise<void>;
  /** The snapshot of a clean checkout of `commit` (its sha and tree), without changing anything. */
  commitSnapshot(commit: string): Promise<WorkspaceSnapshot>;
  /** Whether commit `ancestor` is `descendant` or one of its ancestors; false for a commit the repository lacks. */
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  /** `git reset --hard commit` + `git clean -fd`: back to a task's starting commit. */
  resetTo(commit: string): Promise<void>;
  /**
   * Applies a unified diff, search/replace blocks or whole files (format detected). Never writes
   * outside the worktree; writes nothing when any check fails (paths, hunks, `options`).
   */
  applyEdit(edit: string, options?: ApplyEditOptions): Promise<ApplyResult>;
  /** Stages everything and commits; returns the new commit sha, or the current HEAD when there is nothing to commit. */
  commit(message: string): Promise<string>;
  /** tracked + untracked (not ignored) files, repository-relative, sorted */
  listFiles(): Promise<string[]>;
  /** reads a repository-relative file (rejects paths outside the worktree) */
  readFile(path: string): Promise<string>;
  /** writes a repository-relative file as UTF-8, creating its directories (rejects paths outside the worktree) */
  writeFile(path: string, text: string): Promise<void>;
}
