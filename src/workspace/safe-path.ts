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

/** `relPath` as a JSON string literal with DEL and C1 controls escaped too (JSON.stringify leaves them raw). */
function quoted(relPath: string): string {
  return JSON.stringify(relPath).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function badName(relPath: string, reason: string): TaskgraphError {
  const shown = quoted(relPath);
  return new TaskgraphError('EDIT_REJECTED', `edit to ${shown} does not apply: ${reason}`, {
    details: { path: shown, reason },
    hint: 'name files with printable characters only, and never with a part that starts with "-"',
  });
}

/** C0 controls, DEL and C1 controls (U+0000–U+001F, U+007F–U+009F): never part of a path taskgraph writes. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Code points HFS+ ignores when it compares names (so `.g\u200cit` opens `.git` on macOS), the
 * list of git's `utf8.c` `next_hfs_char()`: U+200C–U+200F, U+202A–U+202E, U+206A–U+206F, U+FEFF.
 */
const HFS_IGNORABLE = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/**
 * Whether one path segment names the `.git` directory on some file system, after git's own rules
 * for this (CVE-2014-9390; `path.c` `is_ntfs_dotgit()`, `utf8.c` `is_hfs_dotgit()`): case folded,
 * HFS+-ignorable code points removed, an NTFS stream suffix (`:...`) cut off, and trailing dots
 * and spaces trimmed (Windows drops them: `.git.` and `.git ` open `.git`); the NTFS short name
 * `git~1` counts too.
 * @param segment one `/`-free part of a path
 * @example isDotGitSegment('.GIT.') === true; isDotGitSegment('.github') === false
 */
export function isDotGitSegment(segment: string): boolean {
  const folded = (segment.replace(HFS_IGNORABLE, '').toLowerCase().split(':')[0] ?? '').replace(/[. ]+$/, '');
  return folded === '.git' || folded === 'git~1';
}

/**
 * Lexically normalises a repository-relative path: backslashes become `/`, `.` segments and
 * repeated slashes go away, `a/../b` folds to `b`.
 * @returns the normalised path, e.g. `src/x.ts` (never empty, never starts with `/` or `..`)
 * @throws TaskgraphError PATH_OUTSIDE_WORKTREE for an empty path, an absolute path (`/x`,
 *   `C:\x`, `\\server\x`), a path that climbs out with `..`, the repository root itself, or any
 *   segment that names `.git` on some file system (see {@link isDotGitSegment}: `.GIT`, `.git.`,
 *   `.git `, `git~1`)
 * @throws TaskgraphError EDIT_REJECTED for a control character anywhere in the path (NUL, tab,
 *   CR, ESC, any C0/C1 control; the message shows the path JSON-escaped) and for a segment that
 *   starts with `-`, which a command could read as an option
 */
export function normalizeRepoPath(relPath: string): string {
  if (relPath.length === 0) throw outside(relPath, 'the path is empty');
  const control = CONTROL_CHARACTER.exec(relPath);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw badName(relPath, `the path contains a control character (U+${code})`);
  }
  const slashed = relPath.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) throw outside(relPath, 'absolute paths are not allowed');
  const normal = path.posix.normalize(slashed).replace(/\/+$/, '');
  if (normal === '..' || normal.startsWith('../')) throw outside(relPath, 'it climbs out of the worktree with ".."');
  if (normal === '.' || normal === '') throw outside(relPath, 'it names the worktree root, not a file');
  const segments = normal.split('/');
  if (segments.some(isDotGitSegment)) {
    throw outside(relPath, 'files under .git are git internals and may not be edited');
  }
  const option = segments.find((segment) => segment.startsWith('-'));
  if (option !== undefined) throw badName(relPath, `"${option}" starts with "-", so a command could read it as an option`);
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
 *   through a symlink that leads outside the worktree or into .git, and for a dangling symlink);
 *   EDIT_REJECTED for a control character or an option-like segment (see {@link normalizeRepoPath})
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
  if (inside.split(path.sep).some(isDotGitSegment)) {
    throw outside(relPath, `"${path.relative(root, probe)}" resolves through a symlink into .git`);
  }
  return target;
}
