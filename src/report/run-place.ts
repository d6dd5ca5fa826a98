import { stat } from 'node:fs/promises';
import type { RunRecord } from '../store/store.js';
import { runGit } from '../workspace/git-run.js';
import { runBranchName } from '../workspace/run-worktree.js';

/**
 * Where a run's work is now, as git and the file system show it: whether the branch and the
 * worktree stored with the run still exist (`taskgraph clean` removes worktrees, `--branches`
 * also branches; a person may delete a merged branch), and whether the branch is another run's (a
 * fully cached re-run points at the earlier run's branch, `cli/cached-rerun.ts`). `status`,
 * `report` and the end of a session show the stored paths with this, never a recomputed path.
 */

/** The earlier run whose branch a fully cached run points at. */
export interface ReusedBranch {
  /** the run that made the branch (`taskgraph/<runId>`) */
  runId: string;
  /** e.g. `taskgraph/r-20250101120000-a1b2c3` */
  branch: string;
}

/** A run's branch and worktree now. */
export interface RunPlace {
  /** the stored branch exists in the project's repository; undefined when the run has no branch, or git could not tell (no repository there) */
  branchExists?: boolean;
  /** the stored worktree directory exists; undefined when the run has no worktree */
  worktreeExists?: boolean;
  /** set when the stored branch is another run's ({@link reusedBranchOf}) */
  reused?: ReusedBranch;
}

/**
 * Whether a run's stored branch is another run's: a fully cached re-run that gave up its own
 * branch and worktree. Pure.
 * @param run the run as stored (`id`, `branch`)
 * @returns the owner of the branch, or undefined when the run has its own branch or none
 */
export function reusedBranchOf(run: Pick<RunRecord, 'id' | 'branch'>): ReusedBranch | undefined {
  if (!run.branch || run.branch === runBranchName(run.id) || !run.branch.startsWith('taskgraph/')) return undefined;
  return { runId: run.branch.slice('taskgraph/'.length), branch: run.branch };
}

/**
 * Looks at the run's stored branch (in `run.projectDir`) and worktree.
 * @param run the run as stored
 * @returns never rejects: when git cannot answer (e.g. the project moved), `branchExists` is left unset
 */
export async function runPlace(run: Pick<RunRecord, 'id' | 'projectDir' | 'branch' | 'worktree'>): Promise<RunPlace> {
  const place: RunPlace = {};
  if (run.branch) {
    const ref = await runGit(run.projectDir, ['show-ref', '--verify', '--quiet', `refs/heads/${run.branch}`], { okCodes: [0, 1, 128] }).catch(() => undefined);
    if (ref?.code === 0 || ref?.code === 1) place.branchExists = ref.code === 0;
    const reused = reusedBranchOf(run);
    if (reused) place.reused = reused;
  }
  if (run.worktree) place.worktreeExists = await stat(run.worktree).then((s) => s.isDirectory(), () => false);
  return place;
}

/**
 * One line about a run's branch and worktree for `status`, e.g. `branch taskgraph/r-1, worktree
 * /home/me/.cache/taskgraph/worktrees/app-1a2b/r-1 (removed)`.
 * @returns undefined for a run without a branch or worktree
 */
export function placeLine(run: Pick<RunRecord, 'branch' | 'worktree'>, place: RunPlace): string | undefined {
  if (!run.branch && !run.worktree) return undefined;
  const branch = run.branch
    ? `branch ${run.branch}${place.reused ? ` (run ${place.reused.runId}'s: this run was fully cached)` : ''}${place.branchExists === false ? ' (deleted)' : ''}`
    : 'no branch';
  const worktree = run.worktree ? `worktree ${run.worktree}${place.worktreeExists === false ? ' (removed)' : ''}` : 'no worktree of its own';
  return `${branch}, ${worktree}`;
}
