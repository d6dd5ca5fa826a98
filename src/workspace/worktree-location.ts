import { createHash, randomBytes } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import envPaths from 'env-paths';

/**
 * Where worktrees live (issue item 9): outside the project by default, so nothing of the user's
 * checkout (its `node_modules`, build output, untracked files) leaks into a run. The one place
 * that computes a new worktree's path; a run's path is then kept in the store (`RunRecord.worktree`)
 * and every later reader (resume, status, report, clean) uses the stored path.
 *
 * Default parent: `<user cache dir>/worktrees/<project key>`, the cache dir from `env-paths`
 * (`envPaths('taskgraph', { suffix: '' }).cache`: `$XDG_CACHE_HOME/taskgraph` or
 * `~/.cache/taskgraph` on Linux, `~/Library/Caches/taskgraph` on macOS,
 * `%LOCALAPPDATA%\taskgraph\Cache` on Windows). `worktreeDir` in taskgraph.yaml replaces the
 * parent (relative paths resolve against the project directory).
 */

/** Prefix of a scratch worktree's directory name: `scratch-<pid>-<host tag>-<random>`. */
export const SCRATCH_PREFIX = 'scratch-';

/** The user's cache directory for taskgraph (read when called, so `XDG_CACHE_HOME` set later counts). */
export function userCacheDir(): string {
  return envPaths('taskgraph', { suffix: '' }).cache;
}

/**
 * A readable, collision-free directory name for a project: its directory's basename (characters
 * outside `[A-Za-z0-9._-]` become `-`, at most 40) + `-` + the first 12 hex chars of the SHA-256
 * of its real path. Two checkouts named alike get different keys; the same checkout reached
 * through a symlink gets the same key.
 * @param projectDir the project directory (relative paths resolve against cwd); need not exist
 * @returns e.g. `calculator-3f2a9c1b7d04`
 */
export async function projectKey(projectDir: string): Promise<string> {
  const absolute = path.resolve(projectDir);
  const real = await realpath(absolute).catch(() => absolute);
  const base = path.basename(real).replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[.-]+/, '').slice(0, 40) || 'project';
  return `${base}-${createHash('sha256').update(real).digest('hex').slice(0, 12)}`;
}

/**
 * The directory new worktrees of the project go in (absolute; not created here).
 * @param projectDir the project directory
 * @param configured `worktreeDir` from taskgraph.yaml, if set: used as is (resolved against the project directory)
 * @returns `configured` resolved, else `<user cache dir>/worktrees/<project key>`
 */
export async function worktreeParentDir(projectDir: string, configured?: string): Promise<string> {
  if (configured !== undefined) return path.resolve(projectDir, configured);
  return path.join(userCacheDir(), 'worktrees', await projectKey(projectDir));
}

/**
 * The worktree directory of a new run: `<parent>/<runId>` (see {@link worktreeParentDir}).
 * Only for creating a run's worktree: afterwards read the path stored with the run.
 * @param projectDir the project directory
 * @param runId the run id (a valid directory name)
 * @param configured `worktreeDir` from taskgraph.yaml, if set
 */
export async function runWorktreeDir(projectDir: string, runId: string, configured?: string): Promise<string> {
  return path.join(await worktreeParentDir(projectDir, configured), runId);
}

/** 6 hex chars naming this host, so a scratch worktree left by another host is never judged by a local pid. */
export function hostTag(host = hostname()): string {
  return createHash('sha256').update(host).digest('hex').slice(0, 6);
}

/**
 * A new scratch worktree's directory: `<parent>/scratch-<pid>-<host tag>-<8 random hex>`, so
 * `taskgraph clean` can tell a leftover (its process is gone) from one in use.
 * @param projectDir the project directory
 * @param configured `worktreeDir` from taskgraph.yaml, if set
 */
export async function scratchWorktreeDir(projectDir: string, configured?: string): Promise<string> {
  const name = `${SCRATCH_PREFIX}${process.pid}-${hostTag()}-${randomBytes(4).toString('hex')}`;
  return path.join(await worktreeParentDir(projectDir, configured), name);
}

/** Who made a scratch worktree, read from its directory name. */
export interface ScratchOwner {
  pid: number;
  /** {@link hostTag} of the host that made it */
  host: string;
}

/**
 * Reads the owner from a scratch worktree's path ({@link scratchWorktreeDir}).
 * @returns undefined when the basename is not a scratch worktree's name
 */
export function scratchOwner(dir: string): ScratchOwner | undefined {
  const match = /^scratch-(\d+)-([0-9a-f]{6})-[0-9a-f]{8}$/.exec(path.basename(dir));
  return match ? { pid: Number(match[1]), host: match[2]! } : undefined;
}
