import { mkdir, realpath, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TaskgraphError } from '../core/errors.js';
import { assertRevision, gitText, runGit } from './git-run.js';

/**
 * The lifecycle of a run's branch and worktree (DESIGN.md §2 step 3): `taskgraph/<runId>` checked
 * out at `<projectDir>/.taskgraph/worktrees/<runId>`. Only `refs/heads/taskgraph/*`, the
 * repository's worktree metadata (`.git/worktrees/`) and `<projectDir>/.taskgraph/` are written;
 * the user's HEAD, index and files are not.
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
}

/** Options of {@link removeRunWorkspace}. */
export interface RemoveRunWorkspaceOptions extends RunWorkspaceOptions {
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

/** The run's worktree directory, `<projectDir>/.taskgraph/worktrees/<runId>` (absolute). */
export function runWorktreeDir(projectDir: string, runId: string): string {
  return path.join(path.resolve(projectDir), '.taskgraph', 'worktrees', runId);
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

/** Writes `.taskgraph/.gitignore` (`*`) unless present, so the user's `git status` ignores our files. */
async function ensureIgnored(project: string): Promise<void> {
  const dir = path.join(project, '.taskgraph');
  await mkdir(dir, { recursive: true });
  try {
    await writeFile(path.join(dir, '.gitignore'), '# written by taskgraph: keep run worktrees and state out of git\n*\n', {
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
  const dir = runWorktreeDir(project, options.runId);
  if (await exists(dir)) {
    throw gitError(`worktree directory ${dir} already exists`, 'remove it or choose a new run id', { dir });
  }
  await ensureIgnored(project);
  await runGit(project, [...NO_HOOKS, 'worktree', 'add', '--quiet', '-b', branch, dir, base.stdout.trim()]);
  return { dir, branch };
}

interface WorktreeEntry {
  path: string;
  branch?: string;
}

/** Parses `git worktree list --porcelain`. */
async function listWorktrees(project: string): Promise<WorktreeEntry[]> {
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
 * Finds the run's worktree for a resume; when its directory is gone, prunes the stale worktree
 * record and checks the branch out again at the same place.
 * @returns the worktree directory and branch name
 * @throws TaskgraphError GIT_ERROR: no branch `taskgraph/<runId>`, or the directory exists but is
 *   not a worktree of that branch
 */
export async function attachRunWorktree(options: RunWorkspaceOptions): Promise<{ dir: string; branch: string }> {
  checkRunId(options.runId);
  const project = await requireRepository(options.projectDir);
  const branch = runBranchName(options.runId);
  if (!(await branchExists(project, branch))) {
    throw gitError(`run ${options.runId} has no branch ${branch} in ${project}`, 'start a new run instead of resuming', { branch });
  }
  const dir = runWorktreeDir(project, options.runId);
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
  await runGit(project, [...NO_HOOKS, 'worktree', 'add', '--quiet', dir, branch]);
  return { dir, branch };
}

/**
 * Removes the run's worktree directory and git's record of it; keeps the branch (and so every
 * commit of the run). A missing directory only prunes the stale record.
 * @throws TaskgraphError GIT_ERROR, e.g. when the worktree has uncommitted changes and `force` is false
 */
export async function removeRunWorkspace(options: RemoveRunWorkspaceOptions): Promise<void> {
  checkRunId(options.runId);
  const project = await requireRepository(options.projectDir);
  const dir = runWorktreeDir(project, options.runId);
  if (await exists(dir)) {
    await runGit(project, ['worktree', 'remove', ...(options.force ? ['--force'] : []), dir]);
  } else {
    await runGit(project, ['worktree', 'prune']);
  }
}
