import { mkdir, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TaskgraphError } from '../core/errors.js';
import { assertRevision, gitText, runGit } from './git-run.js';
import { runWorktreeDir } from './worktree-location.js';

/**
 * The lifecycle of a run's branch and worktree (DESIGN.md §2 step 3): `taskgraph/<runId>` checked
 * out in a new worktree outside the project, at `runWorktreeDir` (`worktree-location.ts`: the
 * user's cache directory, or `worktreeDir` of taskgraph.yaml). Only `refs/heads/taskgraph/*`,
 * the repository's worktree metadata (`.git/worktrees/`), `<projectDir>/.taskgraph/` and the
 * worktree directory are written; the user's HEAD, index and files are not. Once created, a run's
 * worktree path is the one stored with the run: resume and removal take it as given.
 */

/** Which project and run. */
export interface RunWorkspaceOptions {
  /** the user's project directory (inside a git working tree); relative paths resolve against cwd */
  projectDir: string;
  /** run id, e.g. `r-20250101120000-a1b2c3`: letters, digits, `.`, `_`, `-`; starts with a letter or digit */
  runId: string;
}

/** Options of `createRunWorkspace`. */
export interface CreateRunWorkspaceOptions extends RunWorkspaceOptions {
  /** revision the run branch starts at; default `HEAD` */
  baseRef?: string;
  /** `worktreeDir` of taskgraph.yaml: the parent directory of worktrees (relative to the project); default the user's cache directory */
  worktreeDir?: string | undefined;
}

/** Options of `openRunWorkspace`: the run's worktree and branch as stored with the run. */
export interface AttachRunWorkspaceOptions extends RunWorkspaceOptions {
  /** the worktree directory stored with the run (`RunRecord.worktree`), absolute */
  dir: string;
  /** the branch stored with the run (`RunRecord.branch`); default `taskgraph/<runId>` */
  branch?: string | undefined;
}

/** Options of {@link removeRunWorkspace}. */
export interface RemoveRunWorkspaceOptions {
  /** the user's project directory (inside a git working tree) */
  projectDir: string;
  /** the worktree directory to remove (as stored with the run), absolute */
  dir: string;
  /** remove even when the worktree has uncommitted changes (they are lost); default false */
  force?: boolean;
}

/** Commands that check out files run without the user's hooks (e.g. a post-checkout `npm install`). */
const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null'];

const INIT_HINT = 'make it a repository with at least one commit: git init && git add -A && git commit -m init';

/** The run's branch name, `taskgraph/<runId>`. */
export function runBranchName(runId: string): string {
  return `taskgraph/${runId}`;
}

function gitError(message: string, hint?: string, details: Record<string, unknown> = {}): TaskgraphError {
  return new TaskgraphError('GIT_ERROR', message, { details, ...(hint ? { hint } : {}) });
}

function checkRunId(runId: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId) || runId.includes('..') || runId.endsWith('.lock') || runId.endsWith('.')) {
    throw gitError(`run id "${runId}" cannot name a branch and a directory`, 'use letters, digits, ".", "_" and "-" only', { runId });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Checks that `projectDir` is a directory inside a non-bare git working tree; returns it absolute. */
async function requireRepository(projectDir: string): Promise<string> {
  const project = path.resolve(projectDir);
  const info = await stat(project).catch(() => undefined);
  if (!info?.isDirectory()) throw gitError(`project directory ${project} does not exist`, 'pass an existing directory');
  const inside = await runGit(project, ['rev-parse', '--is-inside-work-tree'], { okCodes: [0, 128] });
  if (inside.code !== 0 || inside.stdout.trim() !== 'true') {
    throw gitError(`${project} is not inside a git repository (${inside.stderr.trim() || 'not a work tree'})`, INIT_HINT, {
      projectDir: project,
    });
  }
  return project;
}

async function branchExists(project: string, branch: string): Promise<boolean> {
  return (await runGit(project, ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`], { okCodes: [0, 1] })).code === 0;
}

/** Writes `.taskgraph/.gitignore` (`*`) unless present, so the user's `git status` ignores our state (store, reports). */
async function ensureIgnored(project: string): Promise<void> {
  const dir = path.join(project, '.taskgraph');
  await mkdir(dir, { recursive: true });
  try {
    await writeFile(path.join(dir, '.gitignore'), '# written by taskgraph: keep its state (store, reports) out of git\n*\n', {
      flag: 'wx',
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * Creates branch `taskgraph/<runId>` at `baseRef` and checks it out in a new worktree.
 * @returns the worktree directory (absolute) and branch name
 * @throws TaskgraphError GIT_ERROR: not a repository / no commits (hint: `git init && git add -A
 *   && git commit -m init`), `baseRef` not a commit, invalid run id, branch or directory exists
 */
export async function addRunWorktree(options: CreateRunWorkspaceOptions): Promise<{ dir: string; branch: string }> {
  checkRunId(options.runId);
  const project = await requireRepository(options.projectDir);
  const baseRef = options.baseRef ?? 'HEAD';
  assertRevision(baseRef, 'baseRef');
  const base = await runGit(project, ['rev-parse', '--verify', '--quiet', `${baseRef}^{commit}`], { okCodes: [0, 1, 128] });
  if (base.code !== 0) {
    if (baseRef === 'HEAD') throw gitError(`the git repository at ${project} has no commits yet`, INIT_HINT, { projectDir: project });
    throw gitError(`baseRef "${baseRef}" does not name a commit in ${project}`, 'pass a commit sha, branch or tag', { baseRef });
  }
  const branch = runBranchName(options.runId);
  if (await branchExists(project, branch)) {
    throw gitError(`branch ${branch} already exists`, 'resume the run (openRunWorkspace) or choose a new run id', { branch });
  }
  const dir = await runWorktreeDir(project, options.runId, options.worktreeDir);
  if (await exists(dir)) {
    throw gitError(`worktree directory ${dir} already exists`, 'remove it or choose a new run id', { dir });
  }
  await ensureIgnored(project);
  await mkdir(path.dirname(dir), { recursive: true });
  await runGit(project, [...NO_HOOKS, 'worktree', 'add', '--quiet', '-b', branch, dir, base.stdout.trim()]);
  return { dir, branch };
}

/** One worktree of a repository, from `git worktree list --porcelain`. */
export interface WorktreeEntry {
  /** its directory as git records it (absolute) */
  path: string;
  /** the full ref checked out there (`refs/heads/...`); absent when detached */
  branch?: string;
}

/**
 * The repository's worktrees (the main one first), from `git worktree list --porcelain`.
 * @param project a directory inside the repository
 * @throws TaskgraphError GIT_ERROR when git fails
 */
export async function listWorktrees(project: string): Promise<WorktreeEntry[]> {
  const text = await gitText(project, ['worktree', 'list', '--porcelain']);
  const entries: WorktreeEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('worktree ')) entries.push({ path: line.slice('worktree '.length) });
    else if (line.startsWith('branch ') && entries.length > 0) entries[entries.length - 1]!.branch = line.slice('branch '.length);
  }
  return entries;
}

const realOr = (p: string): Promise<string> => realpath(p).catch(() => path.resolve(p));

/**
 * Finds the run's worktree for a resume at the path stored with the run; when its directory is
 * gone (e.g. removed by `taskgraph clean`), prunes the stale worktree record and checks the
 * branch out again at the same place.
 * @returns the worktree directory and branch name
 * @throws TaskgraphError GIT_ERROR: no such branch (hint: start a new run), or the directory
 *   exists but is not a worktree of that branch
 */
export async function attachRunWorktree(options: AttachRunWorkspaceOptions): Promise<{ dir: string; branch: string }> {
  checkRunId(options.runId);
  const project = await requireRepository(options.projectDir);
  const branch = options.branch ?? runBranchName(options.runId);
  assertRevision(branch, 'branch');
  if (!(await branchExists(project, branch))) {
    throw gitError(`run ${options.runId} has no branch ${branch} in ${project}`, 'start a new run instead of resuming (unchanged nodes come from the cache)', { branch });
  }
  const dir = path.resolve(options.dir);
  if (await exists(dir)) {
    const want = await realOr(dir);
    const entries = await listWorktrees(project);
    let entry: WorktreeEntry | undefined;
    for (const candidate of entries) if ((await realOr(candidate.path)) === want) entry = candidate;
    if (!entry) {
      throw gitError(`${dir} exists but is not a git worktree of ${project}`, 'move that directory away and resume again', { dir });
    }
    if (entry.branch !== `refs/heads/${branch}`) {
      throw gitError(`worktree ${dir} has ${entry.branch ?? 'a detached HEAD'} checked out, not ${branch}`, `run: git -C ${dir} switch ${branch}`, {
        dir,
        branch,
      });
    }
    return { dir, branch };
  }
  await runGit(project, ['worktree', 'prune']);
  await ensureIgnored(project);
  await mkdir(path.dirname(dir), { recursive: true });
  await runGit(project, [...NO_HOOKS, 'worktree', 'add', '--quiet', dir, branch]);
  return { dir, branch };
}

/**
 * Removes a run's worktree directory and git's record of it; keeps the branch (and so every
 * commit of the run). A missing directory only prunes the stale record. A directory that is not
 * a worktree of this repository is refused, never deleted.
 * @returns `removed` when a directory was removed, `gone` when there was none
 * @throws TaskgraphError GIT_ERROR, e.g. when the worktree has uncommitted changes and `force` is
 *   false, or the directory is not one of the repository's worktrees
 */
export async function removeRunWorkspace(options: RemoveRunWorkspaceOptions): Promise<'removed' | 'gone'> {
  const project = await requireRepository(options.projectDir);
  const dir = path.resolve(options.dir);
  if (!(await exists(dir))) {
    await runGit(project, ['worktree', 'prune']);
    return 'gone';
  }
  const want = await realOr(dir);
  let known = false;
  for (const entry of await listWorktrees(project)) if ((await realOr(entry.path)) === want) known = true;
  if (!known) {
    throw gitError(`${dir} is not a git worktree of ${project}; not removing it`, 'look at the directory and remove it by hand if it is not yours', { dir });
  }
  await runGit(project, ['worktree', 'remove', ...(options.force ? ['--force'] : []), dir]);
  return 'removed';
}

/**
 * Deletes a run branch (`git branch -D`; its commits stay reachable from anything else that has
 * them). Only `taskgraph/...` branches are deleted; a missing branch is not an error.
 * @param projectDir the project directory
 * @param branch e.g. `taskgraph/r-20250101120000-a1b2c3`
 * @returns whether a branch was deleted
 * @throws TaskgraphError GIT_ERROR for a branch outside `taskgraph/`, or when git refuses (e.g. the
 *   branch is checked out in a worktree)
 */
export async function deleteRunBranch(projectDir: string, branch: string): Promise<boolean> {
  assertRevision(branch, 'branch');
  if (!branch.startsWith('taskgraph/')) {
    throw gitError(`refusing to delete branch ${branch}: not a taskgraph run branch`, 'delete it with git branch -D yourself if you mean it', { branch });
  }
  const project = await requireRepository(projectDir);
  if (!(await branchExists(project, branch))) return false;
  await runGit(project, ['branch', '-D', branch]);
  return true;
}

/**
 * Whether the repository has branch `branch` (`refs/heads/<branch>`).
 * @throws TaskgraphError GIT_ERROR when `projectDir` is not in a repository
 */
export async function hasBranch(projectDir: string, branch: string): Promise<boolean> {
  assertRevision(branch, 'branch');
  return branchExists(await requireRepository(projectDir), branch);
}
