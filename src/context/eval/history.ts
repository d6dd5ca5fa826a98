import { parsePatch } from 'diff';
import { gitText, runGit } from '../../workspace/git-run.js';
import { markedGenerated } from '../file-filter.js';
import { isSourceFile } from './source-files.js';

/**
 * The commits `taskgraph context eval` replays, read from git: the newest non-merge commits
 * (first parent history of HEAD and everything reachable, `git rev-list --no-merges HEAD`) that
 * change at least one source file that existed at the parent, with the files and hunks they
 * changed. Hunks come from `git diff -U0 -M parent commit`, parsed by the `diff` package.
 */

/** A changed hunk, in the parent's (pre-image) line numbers. */
export interface EvalHunk {
  /** 1-based first pre-image line; for a pure addition (`oldLines` 0) the line it follows (0 = top of the file) */
  oldStart: number;
  /** pre-image lines the hunk replaces or deletes (0 for a pure addition) */
  oldLines: number;
}

/** A source file a commit changed that existed at its parent. */
export interface EvalFile {
  /** repository-relative path at the parent (the old name of a renamed file) */
  path: string;
  /** git's status letter: M (modified), D (deleted), R (renamed), T (type change) */
  status: string;
  hunks: EvalHunk[];
}

/** One commit to replay. */
export interface EvalCommit {
  /** 40 hex */
  sha: string;
  /** its only parent, 40 hex */
  parent: string;
  /** the full commit message */
  message: string;
  /** changed source files that existed at the parent (never empty) */
  files: EvalFile[];
}

/** Git options that keep output stable whatever the user's configuration says. */
const PLAIN = ['-c', 'core.quotePath=false', '-c', 'diff.noprefix=false', '-c', 'diff.mnemonicPrefix=false'];

/**
 * Changed source files of `sha` against `parent` that existed at the parent, with their hunks.
 * Added and copied files are left out (nothing of them is at the parent); so are non-source
 * files ({@link isSourceFile}) and files `.gitattributes` marks generated or vendored
 * ({@link markedGenerated}).
 * @param repoDir a directory inside the repository
 */
export async function changedSourceFiles(repoDir: string, parent: string, sha: string): Promise<EvalFile[]> {
  const raw = (await runGit(repoDir, [...PLAIN, 'diff', '--name-status', '-z', '-M', '--no-ext-diff', parent, sha])).stdout.split('\0');
  const files: EvalFile[] = [];
  for (let i = 0; i < raw.length; ) {
    const status = raw[i++] ?? '';
    if (!status) continue;
    const letter = status[0] ?? '';
    const oldPath = raw[i++] ?? '';
    if (letter === 'R' || letter === 'C') i++; // the new path
    if (letter === 'A' || letter === 'C' || !oldPath || !isSourceFile(oldPath)) continue;
    files.push({ path: oldPath, status: letter, hunks: [] });
  }
  const marked = await markedGenerated(repoDir, files.map((f) => f.path));
  files.splice(0, files.length, ...files.filter((f) => !marked.has(f.path)));
  if (files.length === 0) return files;
  const patch = (await runGit(repoDir, [...PLAIN, 'diff', '-U0', '-M', '--no-color', '--no-ext-diff', '--no-prefix', parent, sha, '--', ...files.map((f) => f.path)])).stdout;
  const byPath = new Map(files.map((f) => [f.path, f]));
  for (const p of parsePatch(patch)) {
    const file = byPath.get(p.oldFileName ?? '');
    // jsdiff numbers a pure addition by the line it goes before (git's `-6,0` becomes 7): back to git's
    if (file) file.hunks.push(...p.hunks.map((h) => ({ oldStart: h.oldLines === 0 ? h.oldStart - 1 : h.oldStart, oldLines: h.oldLines })));
  }
  return files;
}

/**
 * The newest `n` commits to replay (see the module doc), newest first. Root commits are skipped
 * (no parent to check out).
 * @param repoDir a directory inside the repository
 * @param n commits wanted (≥ 1); fewer are returned when the history has fewer
 * @throws TaskgraphError GIT_ERROR when git fails (e.g. not a repository, no commits)
 */
export async function listEvalCommits(repoDir: string, n: number): Promise<EvalCommit[]> {
  const list = (await gitText(repoDir, ['rev-list', '--no-merges', '--parents', 'HEAD'])).split('\n').filter(Boolean);
  const out: EvalCommit[] = [];
  for (const line of list) {
    if (out.length >= n) break;
    const [sha, parent, ...more] = line.split(' ');
    if (!sha || !parent || more.length > 0) continue;
    const files = await changedSourceFiles(repoDir, parent, sha);
    if (files.length === 0) continue;
    const message = (await runGit(repoDir, ['log', '-1', '--format=%B', sha])).stdout.trim();
    out.push({ sha, parent, message, files });
  }
  return out;
}
