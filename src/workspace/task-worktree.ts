import { mkdir, realpath, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { TaskgraphError } from '../core/errors.js';
import { GitWorkspace } from './git-workspace.js';
import { assertRevision, gitText, runGit } from './git-run.js';
import { listWorktrees } from './run-worktree.js';

/**
 * A task's own worktree (issue 10): with `policy.taskConcurrency` above 1 every open task works
 * on branch {@link taskBranchName} in a worktree next to the run's, cut from the run branch at
 * the commit that holds all of the task's dependencies. The run branch itself is only moved by
 * integration (`integrate.ts`). Only `refs/heads/taskgraph/*`, the repository's worktree metadata
 * and the worktree directory are written; the user's checkout is never touched.
 *
 * The branch cannot be `taskgraph/<run>/<task>` as the issue writes it: `taskgraph/<run>` is the
 * run branch, and git cannot hold a ref and a directory of refs under one name. So it is
 * `taskgraph/<run>-tasks/<task>`, and the directory `<run worktree>-tasks/<task>`.
 */

/** Checkouts run without the user's hooks (a post-checkout `npm install` must not run). */
const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null'];

/** Task ids that can name a branch component and a directory: `T1`, `T2.1`, `setup-db`. */
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkTaskId(task: string): void {
  if (!TASK_ID.test(task) || task.includes('..') || task.endsWith('.lock') || task.endsWith('.')) {
    throw new TaskgraphError('GIT_ERROR', `task id "${task}" cannot name a branch and a directory`, {
      details: { task },
      hint: 'task ids of letters, digits, ".", "_" and "-" work with task worktrees; or set policy.taskConcurrency: 1',
    });
  }
}

/**
 * The task branch: `taskgraph/<runId>-tasks/<task>`.
 * @throws TaskgraphError GIT_ERROR for a task id that cannot be a ref component
 */
export function taskBranchName(runId: string, task: string): string {
  checkTaskId(task);
  return `taskgraph/${runId}-tasks/${task}`;
}

/**
 * The prefix of every task branch of a run (`refs/heads/` left out), for `taskgraph clean`.
 * @param runId the run id
 */
export function taskBranchPrefix(runId: string): string {
  return `taskgraph/${runId}-tasks/`;
}

/**
 * The task's worktree directory: `<run worktree>-tasks/<task>`, beside the run's worktree (so in
 * the user's cache directory, or under `worktreeDir`; see `worktree-location.ts`).
 * @param runWorktree the run's worktree directory as stored with the run (absolute)
 * @param task the task id
 * @throws TaskgraphError GIT_ERROR for a task id that cannot be a directory name
 */
export function taskWorktreeDir(runWorktree: string, task: string): string {
  checkTaskId(task);
  return path.join(`${path.resolve(runWorktree)}-tasks`, task);
}

/** Where a task works. */
export interface TaskWorktreeOptions {
  /** a directory inside the repository (the project or the run worktree) */
  repoDir: string;
  /** the task's worktree directory ({@link taskWorktreeDir}) */
  dir: string;
  /** the task's branch ({@link taskBranchName}) */
  branch: string;
  /** the commit a new task branch starts at (40 hex); an existing branch is kept where it is */
  base: string;
}

const realOr = (p: string): Promise<string> => realpath(p).catch(() => path.resolve(p));

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() === true;
}

/**
 * Opens a task's worktree: reuses it when the directory already is that branch's worktree (a
 * resumed run), checks an existing branch out again when the directory is gone (removed by
 * `taskgraph clean`, or a crash between the branch and the checkout), else creates the branch at
 * `base` and checks it out.
 * @returns the worktree, with calls serialised like the run's (`GitWorkspace`)
 * @throws TaskgraphError GIT_ERROR when git fails, `base` names no commit, or the directory exists
 *   but is some other worktree or no worktree of the repository (it is never deleted)
 */
export async function openTaskWorktree(options: TaskWorktreeOptions): Promise<GitWorkspace> {
  const { repoDir, branch } = options;
  const dir = path.resolve(options.dir);
  assertRevision(branch, 'branch');
  assertRevision(options.base, 'base');
  if (await isDir(dir)) {
    const want = await realOr(dir);
    for (const entry of await listWorktrees(repoDir)) {
      if ((await realOr(entry.path)) !== want) continue;
      if (entry.branch !== `refs/heads/${branch}`) break;
      return new GitWorkspace(dir, branch);
    }
    throw new TaskgraphError('GIT_ERROR', `${dir} exists but is not the worktree of ${branch}`, {
      details: { dir, branch },
      hint: 'move that directory away and resume the run',
    });
  }
  const known = await runGit(repoDir, ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`], { okCodes: [0, 1] });
  await runGit(repoDir, ['worktree', 'prune']);
  await mkdir(path.dirname(dir), { recursive: true });
  if (known.code === 0) await runGit(repoDir, [...NO_HOOKS, 'worktree', 'add', '--quiet', dir, branch]);
  else {
    const sha = await gitText(repoDir, ['rev-parse', '--verify', `${options.base}^{commit}`]);
    await runGit(repoDir, [...NO_HOOKS, 'worktree', 'add', '--quiet', '-b', branch, dir, sha]);
  }
  return new GitWorkspace(dir, branch);
}

/**
 * Removes a task's worktree directory and git's record of it, and its branch when `dropBranch`
 * (the task's commit is on the run branch by then). Idempotent: a missing directory or branch is
 * no error.
 * @throws TaskgraphError GIT_ERROR when git refuses (e.g. the directory is a worktree of another branch)
 */
export async function removeTaskWorktree(repoDir: string, dir: string, branch: string, dropBranch: boolean): Promise<void> {
  const want = await realOr(dir);
  let known = false;
  for (const entry of await listWorktrees(repoDir)) if ((await realOr(entry.path)) === want) known = true;
  if (known) await runGit(repoDir, ['worktree', 'remove', '--force', dir]);
  else if (await isDir(dir)) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  await runGit(repoDir, ['worktree', 'prune']);
  await rmdir(path.dirname(dir)).catch(() => undefined); // the `-tasks` parent, when empty
  if (dropBranch) {
    assertRevision(branch, 'branch');
    await runGit(repoDir, ['branch', '-D', branch], { okCodes: [0, 1] });
  }
}

/** A run's task worktrees and task branches still in the repository. */
export interface RunTaskLeftovers {
  /** worktree directories checked out on one of the run's task branches */
  worktrees: string[];
  /** the run's task branches (`taskgraph/<run>-tasks/...`) */
  branches: string[];
}

/**
 * What a run left of its tasks: worktrees on its task branches and the branches themselves (a
 * task integrated normally leaves neither; a run stopped mid-task leaves both, for resume).
 * @param repoDir a directory inside the repository
 * @param runId the run id
 * @throws TaskgraphError GIT_ERROR when git fails
 */
export async function runTaskLeftovers(repoDir: string, runId: string): Promise<RunTaskLeftovers> {
  const prefix = `refs/heads/${taskBranchPrefix(runId)}`;
  const worktrees = (await listWorktrees(repoDir)).filter((e) => e.branch?.startsWith(prefix)).map((e) => e.path);
  const refs = await gitText(repoDir, ['for-each-ref', '--format=%(refname)', prefix]);
  const branches = refs.split('\n').filter(Boolean).map((ref) => ref.slice('refs/heads/'.length));
  return { worktrees, branches };
}

/**
 * Removes what a run left of its tasks (`taskgraph clean`): every worktree on one of its task
 * branches (`git worktree remove --force`), and with `dropBranches` the task branches too.
 * @returns what was removed
 * @throws TaskgraphError GIT_ERROR when git refuses
 */
export async function removeRunTaskLeftovers(repoDir: string, runId: string, dropBranches: boolean): Promise<RunTaskLeftovers> {
  const found = await runTaskLeftovers(repoDir, runId);
  for (const dir of found.worktrees) {
    await runGit(repoDir, ['worktree', 'remove', '--force', dir]);
    await rmdir(path.dirname(dir)).catch(() => undefined);
  }
  if (dropBranches) for (const branch of found.branches) await runGit(repoDir, ['branch', '-D', branch]);
  return { worktrees: found.worktrees, branches: dropBranches ? found.branches : [] };
}
