import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { TaskgraphError } from '../core/errors.js';

/**
 * Guards that keep every edit inside the run's worktree (DESIGN.md §9 "Edits never leave the
 * worktree").
 */

function outside(relPath: string, reason: string): TaskgraphError {
  return new TaskgraphError('PATH_OUTSIDE_WORKTREE', `path "${relPath}" is outside the worktree: ${reason}`, {
    details: { path: relPath, reason },
    hint: 'edits may only name repository-relative paths inside the worktree, never absolute paths, "..", or .git',
  });
}

/**
 * Lexically normalises a repository-relative path: backslashes become `/`, `.` segments and
 * repeated slashes go away, `a/../b` folds to `b`.
 * @returns the normalised path, e.g. `src/x.ts` (never empty, never starts with `/` or `..`)
 * @throws TaskgraphError PATH_OUTSIDE_WORKTREE for an empty path, a NUL byte, an absolute path
 *   (`/x`, `C:\x`, `\\server\x`), a path that climbs out with `..`, the repository root itself,
 *   or any `.git` segment (matched case-insensitively, for case-insensitive file systems)
 */
export function normalizeRepoPath(relPath: string): string {
  if (relPath.length === 0) throw outside(relPath, 'the path is empty');
  if (relPath.includes('\0')) throw outside(relPath, 'the path contains a NUL byte');
  const slashed = relPath.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) throw outside(relPath, 'absolute paths are not allowed');
  const normal = path.posix.normalize(slashed).replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../')) throw outside(relPath, 'it climbs out of the worktree with ".."');
  if (normal === '.' || normal === '') throw outside(relPath, 'it names the worktree root, not a file');
  if (normal.split('/').some((segment) => segment.toLowerCase() === '.git')) {
    throw outside(relPath, 'files under .git are git internals and may not be edited');
  }
  return normal;
}

async function lstatOrNull(p: string): Promise<Awaited<ReturnType<typeof lstat>> | null> {
  try {
    return await lstat(p);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return null;
    }
    throw error;
  }
}

/**
 * Resolves a repository-relative path to an absolute path inside `root`, following symbolic links
 * on the way: the deepest part of the path that exists (the file itself when it exists, else its
 * nearest existing parent directory) is resolved with `fs.realpath` and must lie inside the
 * real path of `root` and outside `.git`. Writing to the returned path therefore cannot land
 * outside the worktree through a symlink (checked at call time; a concurrent change of the file
 * system afterwards is not guarded against).
 * @param root absolute path of the worktree
 * @param relPath repository-relative path as written in an edit
 * @returns `path.join(root, normalizeRepoPath(relPath))`
 * @throws TaskgraphError PATH_OUTSIDE_WORKTREE (see {@link normalizeRepoPath}; also for a path
 *   through a symlink that leads outside the worktree or into .git, and for a dangling symlink)
 */
export async function resolveInside(root: string, relPath: string): Promise<string> {
  const normal = normalizeRepoPath(relPath);
  const rootReal = await realpath(root);
  const target = path.join(root, ...normal.split('/'));
  let probe = target;
  let stat = await lstatOrNull(probe);
  while (stat === null) {
    const parent = path.dirname(probe);
    if (parent === probe) break;
    probe = parent;
    stat = await lstatOrNull(probe);
  }
  let real: string;
  try {
    real = await realpath(probe);
  } catch (error) {
    if (stat?.isSymbolicLink()) throw outside(relPath, `"${path.relative(root, probe)}" is a symlink whose target does not exist`);
    throw error;
  }
  const inside = path.relative(rootReal, real);
  if (inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
    throw outside(relPath, `"${path.relative(root, probe) || '.'}" resolves through a symlink to ${real}`);
  }
  if (inside.split(path.sep).some((segment) => segment.toLowerCase() === '.git')) {
    throw outside(relPath, `"${path.relative(root, probe)}" resolves through a symlink into .git`);
  }
  return target;
}
